/** The audit trail: every mutating call and every failed token use, by token name. */
import type { Queryable } from "./db.js";

export interface AuditEntry {
  tokenName: string | null;
  method: string;
  path: string;
  status: number;
  environment?: string | null;
  requestId?: string;
}

export async function writeAudit(db: Queryable, e: AuditEntry): Promise<void> {
  await db.query(
    "INSERT INTO audit (token_name, method, path, status, environment, request_id) VALUES ($1, $2, $3, $4, $5, $6)",
    [e.tokenName, e.method, e.path, e.status, e.environment ?? null, e.requestId ?? null],
  );
}

export async function listAudit(db: Queryable, limit = 100): Promise<(AuditEntry & { at: Date })[]> {
  const r = await db.query("SELECT at, token_name, method, path, status, environment, request_id FROM audit ORDER BY id DESC LIMIT $1", [limit]);
  return r.rows.map((x) => ({ at: x.at, tokenName: x.token_name, method: x.method, path: x.path, status: x.status, environment: x.environment, requestId: x.request_id }));
}
