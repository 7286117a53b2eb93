/** API tokens: stored as SHA-256 hashes only; the value is shown once at creation. */
import { randomUUID } from "node:crypto";
import type { Queryable } from "./db.js";

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  lastUsed: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = "id, name, role, created_at, last_used, revoked_at";
const fromRow = (r: Record<string, any>): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdAt: r.created_at,
  lastUsed: r.last_used,
  revokedAt: r.revoked_at,
});

/** Undefined when an active token already has this name. */
export async function insertToken(db: Queryable, name: string, role: Role, hash: string): Promise<TokenRecord | undefined> {
  const r = await db.query(
    `INSERT INTO tokens (id, name, role, hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [randomUUID(), name, role, hash],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** The active token with this hash, with its stored hash for the constant-time comparison. */
export async function findActiveByHash(db: Queryable, hash: string): Promise<(TokenRecord & { hash: string }) | undefined> {
  const r = await db.query(`SELECT ${COLUMNS}, hash FROM tokens WHERE hash = $1 AND revoked_at IS NULL`, [hash]);
  return r.rows[0] ? { ...fromRow(r.rows[0]), hash: r.rows[0].hash } : undefined;
}

export async function tokenHashExists(db: Queryable, hash: string): Promise<boolean> {
  const r = await db.query("SELECT 1 FROM tokens WHERE hash = $1", [hash]);
  return r.rowCount! > 0;
}

export async function touchToken(db: Queryable, id: string): Promise<void> {
  // Coarse (one write a minute at most per token) so reads stay reads.
  await db.query("UPDATE tokens SET last_used = now() WHERE id = $1 AND (last_used IS NULL OR last_used < now() - interval '1 minute')", [id]);
}

export async function listTokens(db: Queryable): Promise<TokenRecord[]> {
  const r = await db.query(`SELECT ${COLUMNS} FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, name`);
  return r.rows.map(fromRow);
}

export async function revokeToken(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query("UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", [id]);
  return r.rowCount! > 0;
}
