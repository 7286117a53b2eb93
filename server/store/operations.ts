/** Operations: one queued/running/finished `up`, `preview`, `refresh`, `destroy` or `drift`. */
import { randomUUID } from "node:crypto";
import type { EnvironmentSpec } from "../../programs/spec.js";
import type { ChangeSummary } from "../engine/port.js";
import type { Queryable } from "./db.js";

export const OPERATION_KINDS = ["up", "preview", "refresh", "destroy", "drift"] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export const OPERATION_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly OperationStatus[] = ["succeeded", "failed", "cancelled", "interrupted"];

export const PHASE_NAMES = ["validate", "preflight", "foundation", "mirror", "platform", "outputs", "recovery"] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];
export const PHASE_STATUSES = ["running", "succeeded", "failed", "skipped", "cancelled", "interrupted"] as const;

/** A phase as recorded on the operation. */
export interface PhaseRecord {
  name: PhaseName;
  status: (typeof PHASE_STATUSES)[number];
  startedAt: string;
  finishedAt?: string;
  message?: string;
  summary?: ChangeSummary;
}

/** The classified error of a failed or interrupted operation (safe for any client). */
export interface OperationErrorInfo {
  code: string;
  message: string;
  urn?: string;
  fix?: string;
}

export interface OperationRecord {
  id: string;
  seq: number;
  environment: string;
  kind: OperationKind;
  status: OperationStatus;
  engine: string;
  specRevision: number;
  spec: EnvironmentSpec;
  phases: PhaseRecord[];
  summary: ChangeSummary | null;
  error: OperationErrorInfo | null;
  /** Redacted engine output: admins only. */
  errorDetail: string | null;
  requestedBy: string | null;
  cancelRequested: boolean;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const COLUMNS = `id, seq, environment, kind, status, engine, spec_revision, spec, phases, summary, error, error_detail,
  requested_by, cancel_requested, created_at, started_at, finished_at`;

function fromRow(r: Record<string, any>): OperationRecord {
  return {
    id: r.id,
    seq: Number(r.seq),
    environment: r.environment,
    kind: r.kind,
    status: r.status,
    engine: r.engine,
    specRevision: r.spec_revision,
    spec: r.spec,
    phases: r.phases,
    summary: r.summary,
    error: r.error,
    errorDetail: r.error_detail,
    requestedBy: r.requested_by,
    cancelRequested: r.cancel_requested,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export interface NewOperation {
  environment: string;
  kind: OperationKind;
  engine: string;
  specRevision: number;
  spec: EnvironmentSpec;
  requestedBy?: string;
  idempotencyKey?: string;
}

export async function insertOperation(db: Queryable, op: NewOperation): Promise<OperationRecord> {
  const r = await db.query(
    `INSERT INTO operations (id, environment, kind, status, engine, spec_revision, spec, requested_by, idempotency_key)
     VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [randomUUID(), op.environment, op.kind, op.engine, op.specRevision, JSON.stringify(op.spec), op.requestedBy ?? null, op.idempotencyKey ?? null],
  );
  return fromRow(r.rows[0]);
}

export async function getOperation(db: Queryable, id: string): Promise<OperationRecord | undefined> {
  const r = await db.query(`SELECT ${COLUMNS} FROM operations WHERE id = $1`, [id]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** History, newest first; `beforeSeq` is the pagination cursor. */
export async function listOperations(db: Queryable, environment: string, limit: number, beforeSeq?: number): Promise<OperationRecord[]> {
  const r = await db.query(
    `SELECT ${COLUMNS} FROM operations WHERE environment = $1 AND ($3::bigint IS NULL OR seq < $3) ORDER BY seq DESC LIMIT $2`,
    [environment, limit, beforeSeq ?? null],
  );
  return r.rows.map(fromRow);
}

export async function latestOperations(db: Queryable, environments: string[]): Promise<Map<string, OperationRecord>> {
  if (environments.length === 0) return new Map();
  const r = await db.query(
    `SELECT DISTINCT ON (environment) ${COLUMNS} FROM operations WHERE environment = ANY($1) ORDER BY environment, seq DESC`,
    [environments],
  );
  return new Map(r.rows.map((row) => [row.environment, fromRow(row)]));
}

/**
 * Claim the oldest queued operation of an environment for this runner.
 * The caller holds the environment's advisory lock; SKIP LOCKED keeps a
 * concurrent cancel (which locks the row) from blocking the claim.
 */
export async function claimNextOperation(db: Queryable, environment: string, runnerId: string): Promise<OperationRecord | undefined> {
  const r = await db.query(
    `UPDATE operations SET status = 'running', started_at = now(), runner_id = $2
     WHERE id = (SELECT id FROM operations WHERE environment = $1 AND status = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING ${COLUMNS}`,
    [environment, runnerId],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

export async function setPhases(db: Queryable, id: string, phases: PhaseRecord[]): Promise<void> {
  await db.query("UPDATE operations SET phases = $2 WHERE id = $1", [id, JSON.stringify(phases)]);
}

export interface OperationOutcome {
  status: Exclude<OperationStatus, "queued" | "running">;
  phases: PhaseRecord[];
  summary?: ChangeSummary | null;
  error?: OperationErrorInfo | null;
  errorDetail?: string | null;
}

export async function finishOperation(db: Queryable, id: string, o: OperationOutcome): Promise<OperationRecord> {
  const r = await db.query(
    `UPDATE operations SET status = $2, phases = $3, summary = $4, error = $5, error_detail = $6, finished_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, o.status, JSON.stringify(o.phases), o.summary ? JSON.stringify(o.summary) : null, o.error ? JSON.stringify(o.error) : null, o.errorDetail ?? null],
  );
  return fromRow(r.rows[0]);
}

/** Cancel a queued operation at once; undefined when it is no longer queued. */
export async function cancelQueued(db: Queryable, id: string): Promise<OperationRecord | undefined> {
  const r = await db.query(
    `UPDATE operations SET status = 'cancelled', cancel_requested = true, finished_at = now(),
       error = '{"code":"CANCELLED","message":"cancelled before it started"}'
     WHERE id = $1 AND status = 'queued' RETURNING ${COLUMNS}`,
    [id],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

export async function requestCancel(db: Queryable, id: string): Promise<OperationRecord | undefined> {
  const r = await db.query(`UPDATE operations SET cancel_requested = true WHERE id = $1 AND status = 'running' RETURNING ${COLUMNS}`, [id]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** Operations left `running` for an environment (by a dead process, when the caller holds its lock). */
export async function runningOperations(db: Queryable, environment?: string): Promise<OperationRecord[]> {
  const r = await db.query(
    `SELECT ${COLUMNS} FROM operations WHERE status = 'running' AND ($1::text IS NULL OR environment = $1) ORDER BY seq`,
    [environment ?? null],
  );
  return r.rows.map(fromRow);
}

/** Environments with queued work, oldest first. */
export async function environmentsWithQueuedWork(db: Queryable): Promise<string[]> {
  const r = await db.query("SELECT environment, min(seq) AS s FROM operations WHERE status = 'queued' GROUP BY environment ORDER BY s");
  return r.rows.map((x) => x.environment);
}

export async function hasQueuedWork(db: Queryable, environment: string): Promise<boolean> {
  const r = await db.query("SELECT 1 FROM operations WHERE environment = $1 AND status = 'queued' LIMIT 1", [environment]);
  return r.rowCount! > 0;
}

export async function countByStatus(db: Queryable): Promise<Record<string, number>> {
  const r = await db.query("SELECT status, count(*)::int AS n FROM operations WHERE status IN ('queued', 'running') GROUP BY status");
  return Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
}
