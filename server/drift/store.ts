/**
 * Drift results, the drift schedule's ledger (`drift_ticks`) and operation
 * options, as plain SQL over the store's narrow port. `server/store/drift.ts`
 * (the environment listings' latest status) reads the same `drift_results`.
 */
import type { Queryable } from "../store/db.js";
import type { OperationErrorInfo } from "../store/operations.js";
import type { DriftedResource, DriftStatus } from "./classify.js";

/** What remediation did after a check that found cloud drift. */
export type Remediation = { operationId: string } | { skipped: string };

/** One stored drift check. */
export interface DriftResultRecord {
  id: number;
  environment: string;
  operationId: string | null;
  status: DriftStatus;
  checkedAt: Date;
  engine: string | null;
  resources: DriftedResource[];
  counts: { cloud: number; pending: number };
  error: OperationErrorInfo | null;
  remediation: Remediation | null;
}

const COLUMNS = "id, environment, operation_id, status, checked_at, engine, resources, counts, error, remediation";

function fromRow(r: Record<string, any>): DriftResultRecord {
  return {
    id: Number(r.id),
    environment: r.environment,
    operationId: r.operation_id,
    status: r.status,
    checkedAt: r.checked_at,
    engine: r.engine,
    resources: r.resources,
    counts: r.counts,
    error: r.error,
    remediation: r.remediation,
  };
}

export interface NewDriftResult {
  environment: string;
  operationId: string;
  status: DriftStatus;
  engine: string;
  resources: DriftedResource[];
  counts: { cloud: number; pending: number };
  error?: OperationErrorInfo | null;
}

export async function insertDriftResult(db: Queryable, d: NewDriftResult): Promise<DriftResultRecord> {
  const r = await db.query(
    `INSERT INTO drift_results (environment, operation_id, status, engine, resources, counts, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [d.environment, d.operationId, d.status, d.engine, JSON.stringify(d.resources), JSON.stringify(d.counts), d.error ? JSON.stringify(d.error) : null],
  );
  return fromRow(r.rows[0]);
}

export async function setRemediation(db: Queryable, id: number, remediation: Remediation): Promise<void> {
  await db.query("UPDATE drift_results SET remediation = $2 WHERE id = $1", [id, JSON.stringify(remediation)]);
}

export async function latestDriftResult(db: Queryable, environment: string): Promise<DriftResultRecord | undefined> {
  const r = await db.query(`SELECT ${COLUMNS} FROM drift_results WHERE environment = $1 ORDER BY id DESC LIMIT 1`, [environment]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

export async function driftResultOfOperation(db: Queryable, operationId: string): Promise<DriftResultRecord | undefined> {
  const r = await db.query(`SELECT ${COLUMNS} FROM drift_results WHERE operation_id = $1 ORDER BY id DESC LIMIT 1`, [operationId]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** The status of the check before `id` (null for the first check): what a transition is measured from. */
export async function previousDriftStatus(db: Queryable, environment: string, id: number): Promise<DriftStatus | null> {
  const r = await db.query("SELECT status FROM drift_results WHERE environment = $1 AND id < $2 ORDER BY id DESC LIMIT 1", [environment, id]);
  return r.rows[0]?.status ?? null;
}

/** A history entry: a check, or a scheduled occurrence that was skipped. */
export type DriftHistoryEntry = DriftResultRecord | { id: number; environment: string; status: "skipped"; checkedAt: Date; reason: string; occurrence: Date };

/** Checks and skipped occurrences, newest first; `beforeId` is the cursor (ids share one sequence). */
export async function driftHistory(db: Queryable, environment: string, limit: number, beforeId?: number): Promise<DriftHistoryEntry[]> {
  const r = await db.query(
    `SELECT * FROM (
       SELECT ${COLUMNS}, NULL::text AS reason, NULL::timestamptz AS occurrence FROM drift_results WHERE environment = $1
       UNION ALL
       SELECT id, environment, NULL, 'skipped', decided_at, NULL, '[]'::jsonb, NULL, NULL, NULL, skipped_reason, occurrence
         FROM drift_ticks WHERE environment = $1 AND skipped_reason IS NOT NULL
     ) h WHERE ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`,
    [environment, limit, beforeId ?? null],
  );
  return r.rows.map((row) =>
    row.status === "skipped"
      ? { id: Number(row.id), environment: row.environment, status: "skipped" as const, checkedAt: row.checked_at, reason: row.reason, occurrence: row.occurrence }
      : fromRow(row),
  );
}

/** Claim one cron occurrence of an environment; false when another tick (or replica) already did. */
export async function claimOccurrence(db: Queryable, environment: string, occurrence: Date): Promise<boolean> {
  const r = await db.query("INSERT INTO drift_ticks (environment, occurrence) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id", [environment, occurrence]);
  return r.rowCount === 1;
}

/** Record what a due occurrence did: queued an operation, or was skipped and why. */
export async function decideOccurrence(db: Queryable, environment: string, occurrence: Date, d: { operationId?: string; skippedReason?: string }): Promise<void> {
  await db.query(
    `INSERT INTO drift_ticks (environment, occurrence, decided_at, operation_id, skipped_reason) VALUES ($1, $2, now(), $3, $4)
     ON CONFLICT (environment, occurrence) DO UPDATE SET decided_at = now(), operation_id = EXCLUDED.operation_id, skipped_reason = EXCLUDED.skipped_reason`,
    [environment, occurrence, d.operationId ?? null, d.skippedReason ?? null],
  );
}

/** Live environments (not destroyed) with their drift settings: the scheduler's view. */
export async function scheduledEnvironments(db: Queryable): Promise<{ name: string; schedule: string | null; remediate: boolean }[]> {
  const r = await db.query(
    "SELECT name, spec->'drift'->>'schedule' AS schedule, COALESCE((spec->'drift'->>'remediate')::boolean, false) AS remediate FROM environments WHERE deleted_at IS NULL AND status <> 'deleted' ORDER BY name",
  );
  return r.rows.map((x) => ({ name: x.name, schedule: x.schedule, remediate: x.remediate }));
}

/** The operation of an environment that is queued or running, if any (oldest first). */
export async function busyOperation(db: Queryable, environment: string): Promise<{ id: string; kind: string; status: string } | undefined> {
  const r = await db.query(
    "SELECT id, kind, status FROM operations WHERE environment = $1 AND status IN ('queued', 'running') ORDER BY seq LIMIT 1",
    [environment],
  );
  return r.rows[0];
}

/** Operation options (`{refresh: true}` on a remediation `up`). */
export async function operationOptions(db: Queryable, id: string): Promise<{ refresh?: boolean }> {
  const r = await db.query("SELECT options FROM operations WHERE id = $1", [id]);
  return r.rows[0]?.options ?? {};
}

export async function setOperationOptions(db: Queryable, id: string, options: { refresh?: boolean }): Promise<void> {
  await db.query("UPDATE operations SET options = $2 WHERE id = $1", [id, JSON.stringify(options)]);
}

/** For the metrics: latest status per live environment and the last successful (non-error) check. */
export async function driftGaugeRows(db: Queryable): Promise<{ name: string; status: string | null; lastOk: Date | null }[]> {
  const r = await db.query(
    `SELECT e.name,
       (SELECT status FROM drift_results d WHERE d.environment = e.name ORDER BY id DESC LIMIT 1) AS status,
       (SELECT max(checked_at) FROM drift_results d WHERE d.environment = e.name AND d.status <> 'error') AS last_ok
     FROM environments e WHERE e.deleted_at IS NULL AND e.status <> 'deleted' ORDER BY e.name`,
  );
  return r.rows.map((x) => ({ name: x.name, status: x.status, lastOk: x.last_ok }));
}
