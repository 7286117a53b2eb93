/**
 * The simulate engine's cloud: one JSON file per stack under
 * `<dataDir>/simulate/<environment>/<layer>.json`, plus per environment the
 * injected failures (`failures.json`) and per stack an operation lock
 * (`<layer>.lock`).
 *
 * Each resource keeps two views, because drift is their difference:
 *  - `recorded`: what the stack's state says (inputs and outputs of the last
 *    step that touched it) — Pulumi's checkpoint;
 *  - `actual`: what the cloud has now; out-of-band changes edit only this,
 *    `null` when someone deleted the resource behind the stack's back.
 * Stored values include generated secrets (they are the cloud); nothing in
 * this module returns values to callers outside the engine — the listing has
 * property names only.
 *
 * Writes are atomic (temp file + rename) so a killed run leaves either the old
 * or the new state, never half of one.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LayerName } from "../../programs/layers/types.js";
import type { StepOp } from "./port.js";

/** One resource of a simulated stack. */
export interface CloudResource {
  urn: string;
  type: string;
  name: string;
  /** false for ComponentResources: in the stack's state, not in the cloud. */
  custom: boolean;
  parent: string | null;
  provider: string | null;
  dependsOn: string[];
  id: string;
  recorded: { inputs: Record<string, unknown>; state: Record<string, unknown> };
  /** The cloud's current properties; null when deleted out of band. */
  actual: Record<string, unknown> | null;
}

/** A simulated stack: its resources in creation order and its last outputs. */
export interface StackCloud {
  version: 1;
  resources: CloudResource[];
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  updatedAt: string | null;
}

/** A failure to inject into a resource step (tests and demos). */
export interface InjectedFailure {
  id: string;
  /** Only in this layer's stack; both when absent. */
  layer?: LayerName;
  /** Resource logical name, URN or type token. */
  resource: string;
  message: string;
  /** Only this kind of step; any changing step (create, update, replace, delete) when absent. */
  op?: "create" | "update" | "delete";
  /** Fires this many times, then is gone; until cleared when absent. */
  remaining?: number;
}

/** The lock an operation holds on its stack; a killed run leaves it behind. */
export interface StackLock {
  pid: number;
  operation: string;
  startedAt: string;
  /** URNs whose step started and did not finish (Pulumi's pending operations). */
  pending: string[];
}

export function emptyStack(): StackCloud {
  return { version: 1, resources: [], outputs: {}, secretOutputs: [], updatedAt: null };
}

function writeAtomic(path: string, data: unknown) {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** File access for one data dir. Synchronous: files are small and writes must not interleave. */
export class SimulatedCloud {
  constructor(readonly dataDir: string) {}

  environmentDir(environment: string): string {
    return join(this.dataDir, "simulate", environment);
  }

  private stackPath(environment: string, layer: LayerName) {
    return join(this.environmentDir(environment), `${layer}.json`);
  }

  private lockPath(environment: string, layer: LayerName) {
    return join(this.environmentDir(environment), `${layer}.lock`);
  }

  private failuresPath(environment: string) {
    return join(this.environmentDir(environment), "failures.json");
  }

  /** Whether the stack was ever written (an `up` ran, even if it failed). */
  exists(environment: string, layer: LayerName): boolean {
    return readJson(this.stackPath(environment, layer)) !== null;
  }

  load(environment: string, layer: LayerName): StackCloud {
    return readJson<StackCloud>(this.stackPath(environment, layer)) ?? emptyStack();
  }

  save(environment: string, layer: LayerName, stack: StackCloud) {
    mkdirSync(this.environmentDir(environment), { recursive: true, mode: 0o700 });
    writeAtomic(this.stackPath(environment, layer), { ...stack, updatedAt: new Date().toISOString() });
  }

  readLock(environment: string, layer: LayerName): StackLock | null {
    return readJson<StackLock>(this.lockPath(environment, layer));
  }

  writeLock(environment: string, layer: LayerName, lock: StackLock) {
    mkdirSync(this.environmentDir(environment), { recursive: true, mode: 0o700 });
    writeAtomic(this.lockPath(environment, layer), lock);
  }

  removeLock(environment: string, layer: LayerName) {
    rmSync(this.lockPath(environment, layer), { force: true });
  }

  failures(environment: string): InjectedFailure[] {
    return readJson<InjectedFailure[]>(this.failuresPath(environment)) ?? [];
  }

  saveFailures(environment: string, failures: InjectedFailure[]) {
    mkdirSync(this.environmentDir(environment), { recursive: true, mode: 0o700 });
    writeAtomic(this.failuresPath(environment), failures);
  }

  /**
   * The failure, if any, that a step of this resource hits now. Consumes one
   * use of a counted failure (re-reading the file so an injection made while
   * the run started is not lost).
   */
  takeFailure(environment: string, layer: LayerName, r: { urn: string; name: string; type: string }, op: StepOp): InjectedFailure | null {
    const stepKind = op === "replace" ? "create" : op;
    if (stepKind !== "create" && stepKind !== "update" && stepKind !== "delete") return null;
    const all = this.failures(environment);
    const hit = all.find(
      (f) => (!f.layer || f.layer === layer) && (!f.op || f.op === stepKind) && matchesResource(f.resource, r),
    );
    if (!hit) return null;
    if (hit.remaining !== undefined) {
      const left = hit.remaining - 1;
      this.saveFailures(environment, left > 0 ? all.map((f) => (f === hit ? { ...f, remaining: left } : f)) : all.filter((f) => f !== hit));
    }
    return hit;
  }
}

/** A selector names a resource by logical name, URN or type token. */
export function matchesResource(selector: string, r: { urn: string; name: string; type: string }): boolean {
  return selector === r.urn || selector === r.name || selector === r.type;
}

/** Stable JSON for comparisons: key order must not make two equal values differ. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** Names of the top-level properties whose values differ (either side missing counts). */
export function changedProperties(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonical(before[k]) !== canonical(after[k])).sort();
}
