/** Drift results (written by the drift checks of the next issue; read here for environment listings). */
import type { Queryable } from "./db.js";

export interface DriftStatus {
  status: "in_sync" | "drifted" | "error";
  checkedAt: Date;
}

/** The latest drift result of each named environment. */
export async function latestDrift(db: Queryable, environments: string[]): Promise<Map<string, DriftStatus>> {
  if (environments.length === 0) return new Map();
  const r = await db.query(
    "SELECT DISTINCT ON (environment) environment, status, checked_at FROM drift_results WHERE environment = ANY($1) ORDER BY environment, checked_at DESC, id DESC",
    [environments],
  );
  return new Map(r.rows.map((x) => [x.environment, { status: x.status, checkedAt: x.checked_at }]));
}
