/** How drift results are shown over HTTP and in webhook bodies: property names only, never values. */
import type { DriftHistoryEntry, DriftResultRecord } from "./store.js";

const iso = (d: Date) => new Date(d).toISOString();

export function driftResultView(r: DriftResultRecord) {
  return {
    environment: r.environment,
    status: r.status,
    checkedAt: iso(r.checkedAt),
    engine: (r.engine ?? "pulumi") as "pulumi" | "simulate",
    operationId: r.operationId,
    counts: r.counts,
    resources: r.resources,
    ...(r.error ? { error: r.error } : {}),
    ...(r.remediation ? { remediation: r.remediation } : {}),
  };
}

export function driftHistoryView(e: DriftHistoryEntry) {
  if (e.status === "skipped") {
    return { environment: e.environment, status: "skipped" as const, checkedAt: iso(e.checkedAt), occurrence: iso(e.occurrence), reason: e.reason };
  }
  return driftResultView(e);
}
