/** Environments: the spec as last accepted, its revision and lifecycle status. */
import type { EnvironmentSpec } from "../../programs/spec.js";
import type { Queryable } from "./db.js";

export const ENVIRONMENT_STATUSES = ["creating", "updating", "ready", "failed", "destroying", "deleted"] as const;
export type EnvironmentStatus = (typeof ENVIRONMENT_STATUSES)[number];

/** One stored environment. */
export interface EnvironmentRecord {
  name: string;
  spec: EnvironmentSpec;
  revision: number;
  status: EnvironmentStatus;
  engine: string;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = "name, spec, revision, status, engine, deleted_at, created_at, updated_at";

function fromRow(r: Record<string, any>): EnvironmentRecord {
  return {
    name: r.name,
    spec: r.spec,
    revision: r.revision,
    status: r.status,
    engine: r.engine,
    deletedAt: r.deleted_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Lock and read (inside a transaction), including deleted ones. */
export async function lockEnvironment(db: Queryable, name: string): Promise<EnvironmentRecord | undefined> {
  const r = await db.query(`SELECT ${COLUMNS} FROM environments WHERE name = $1 FOR UPDATE`, [name]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** A live (not deleted) environment. */
export async function getEnvironment(db: Queryable, name: string): Promise<EnvironmentRecord | undefined> {
  const r = await db.query(`SELECT ${COLUMNS} FROM environments WHERE name = $1 AND deleted_at IS NULL`, [name]);
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** Whether an environment was ever created (deleted ones keep their history). */
export async function environmentExisted(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query("SELECT 1 FROM environments WHERE name = $1", [name]);
  return r.rowCount! > 0;
}

export async function listEnvironments(db: Queryable, limit: number, after?: string): Promise<EnvironmentRecord[]> {
  const r = await db.query(
    `SELECT ${COLUMNS} FROM environments WHERE deleted_at IS NULL AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $1`,
    [limit, after ?? null],
  );
  return r.rows.map(fromRow);
}

/** Insert a new environment, or bring a deleted one back with a new revision. */
export async function upsertEnvironment(db: Queryable, spec: EnvironmentSpec, engine: string): Promise<EnvironmentRecord> {
  const r = await db.query(
    `INSERT INTO environments (name, spec, status, engine) VALUES ($1, $2, 'creating', $3)
     ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, revision = environments.revision + 1,
       status = 'creating', engine = EXCLUDED.engine, deleted_at = NULL, updated_at = now()
     RETURNING ${COLUMNS}`,
    [spec.name, JSON.stringify(spec), engine],
  );
  return fromRow(r.rows[0]);
}

export async function replaceSpec(db: Queryable, spec: EnvironmentSpec): Promise<EnvironmentRecord> {
  const r = await db.query(
    `UPDATE environments SET spec = $2, revision = revision + 1, updated_at = now() WHERE name = $1 RETURNING ${COLUMNS}`,
    [spec.name, JSON.stringify(spec)],
  );
  return fromRow(r.rows[0]);
}

export async function setEnvironmentStatus(db: Queryable, name: string, status: EnvironmentStatus): Promise<void> {
  await db.query(
    `UPDATE environments SET status = $2, updated_at = now(),
       deleted_at = CASE WHEN $2 = 'deleted' THEN now() ELSE NULL END WHERE name = $1`,
    [name, status],
  );
}
