/**
 * Drift classification: turns the engine's answers to the two drift
 * questions (DESIGN §5) into one result per environment.
 *
 * - cloud drift: the cloud changed behind Pulumi's back. `previewRefresh`
 *   reports each resource whose refreshed state would `update` or `delete`.
 * - pending changes: the spec or program differs from what was applied.
 *   `preview` reports each resource that would be created, updated,
 *   replaced or deleted.
 *
 * Only property names travel, never values (secrets live in those values).
 */
import type { LayerName } from "../../programs/layers/types.js";
import type { ChangeKind, ResourceChange } from "../engine/port.js";

export type DriftStatus = "in_sync" | "drifted" | "error";
export type DriftKind = "cloud" | "pending";

export interface DriftedResource {
  layer: LayerName;
  urn: string;
  type: string;
  kind: DriftKind;
  change: ChangeKind;
  properties: string[];
}

export interface LayerDriftAnswers {
  layer: LayerName;
  /** `previewRefresh` changes (cloud drift). */
  cloud: ResourceChange[];
  /** `preview` changes (pending changes). */
  pending: ResourceChange[];
}

export interface DriftClassification {
  status: Exclude<DriftStatus, "error">;
  resources: DriftedResource[];
  counts: { cloud: number; pending: number };
}

const CLOUD_CHANGES: ReadonlySet<ChangeKind> = new Set(["update", "delete"]);

export function classifyDrift(answers: LayerDriftAnswers[]): DriftClassification {
  const resources: DriftedResource[] = [];
  for (const a of answers) {
    for (const c of a.cloud) {
      // A refresh that would only "create" or "replace" is not something the
      // cloud can do behind our back; only changed or vanished resources count.
      if (!CLOUD_CHANGES.has(c.change)) continue;
      resources.push({ layer: a.layer, urn: c.urn, type: c.type, kind: "cloud", change: c.change, properties: uniqueSorted(c.properties) });
    }
    for (const c of a.pending) {
      resources.push({ layer: a.layer, urn: c.urn, type: c.type, kind: "pending", change: c.change, properties: uniqueSorted(c.properties) });
    }
  }
  const cloud = resources.filter((r) => r.kind === "cloud").length;
  return {
    status: resources.length > 0 ? "drifted" : "in_sync",
    resources,
    counts: { cloud, pending: resources.length - cloud },
  };
}

function uniqueSorted(props: string[]): string[] {
  // detailedDiff keys can be nested paths ("tags.env", "spec.values[0]"); keep them as given.
  return [...new Set(props)].sort();
}

/** Whether a status change between two checks deserves a notification. */
export function driftTransition(previous: DriftStatus | null, current: DriftStatus): "drift.detected" | "drift.resolved" | "drift.error" | null {
  if (previous === current) return null;
  if (current === "drifted") return "drift.detected";
  if (current === "error") return "drift.error";
  // in_sync after drifted or error; the very first in_sync check is not news.
  return previous === null ? null : "drift.resolved";
}
