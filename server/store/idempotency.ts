/**
 * Idempotency keys: the first answer to a mutating call. Callers take the
 * key's advisory lock inside their transaction so two concurrent requests
 * with one key cannot both create an operation.
 */
import type { Queryable } from "./db.js";

export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  operationId: string;
  statusCode: number;
}

export async function lockKey(db: Queryable, key: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('goldenpath-idempotency:' || $1, 0))", [key]);
}

export async function findKey(db: Queryable, key: string): Promise<IdempotencyRecord | undefined> {
  const r = await db.query("SELECT key, fingerprint, operation_id, status_code FROM idempotency_keys WHERE key = $1", [key]);
  const x = r.rows[0];
  return x ? { key: x.key, fingerprint: x.fingerprint, operationId: x.operation_id, statusCode: x.status_code } : undefined;
}

export async function saveKey(db: Queryable, rec: IdempotencyRecord): Promise<void> {
  await db.query("INSERT INTO idempotency_keys (key, fingerprint, operation_id, status_code) VALUES ($1, $2, $3, $4)", [
    rec.key,
    rec.fingerprint,
    rec.operationId,
    rec.statusCode,
  ]);
}
