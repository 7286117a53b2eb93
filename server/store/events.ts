/**
 * Operation events, stored one by one as they happen. A trigger NOTIFYs
 * `goldenpath_events` on each insert so followers on any replica wake up.
 */
import type { Queryable } from "./db.js";

/** One stored event; `seq` is its SSE id. */
export interface StoredEvent {
  seq: number;
  at: Date;
  kind: string;
  data: Record<string, unknown>;
}

export async function appendEvent(db: Queryable, operationId: string, seq: number, kind: string, data: Record<string, unknown>): Promise<void> {
  await db.query("INSERT INTO operation_events (operation_id, seq, kind, data) VALUES ($1, $2, $3, $4)", [operationId, seq, kind, JSON.stringify(data)]);
}

/** Append with the next free seq, for writers other than the runner (recovery, cancel). */
export async function appendEventNext(db: Queryable, operationId: string, kind: string, data: Record<string, unknown>): Promise<number> {
  const r = await db.query(
    `INSERT INTO operation_events (operation_id, seq, kind, data)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3 FROM operation_events WHERE operation_id = $1 RETURNING seq`,
    [operationId, kind, JSON.stringify(data)],
  );
  return r.rows[0].seq;
}

export async function lastEventSeq(db: Queryable, operationId: string): Promise<number> {
  const r = await db.query("SELECT coalesce(max(seq), 0) AS s FROM operation_events WHERE operation_id = $1", [operationId]);
  return Number(r.rows[0].s);
}

export async function listEvents(db: Queryable, operationId: string, afterSeq = 0, limit = 1000): Promise<StoredEvent[]> {
  const r = await db.query(
    "SELECT seq, at, kind, data FROM operation_events WHERE operation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    [operationId, afterSeq, limit],
  );
  return r.rows.map((x) => ({ seq: x.seq, at: x.at, kind: x.kind, data: x.data }));
}
