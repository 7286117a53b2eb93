/** Webhooks and their delivery attempts, as plain SQL. */
import { randomUUID } from "node:crypto";
import type { Queryable } from "../store/db.js";

export const WEBHOOK_EVENTS = ["drift.detected", "drift.resolved", "drift.error", "operation.succeeded", "operation.failed"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** A webhook as admins see it: never its secret. */
export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdBy: string | null;
  createdAt: Date;
}

/** One delivery attempt. */
export interface DeliveryRecord {
  id: number;
  webhookId: string;
  eventId: string;
  event: WebhookEvent;
  attempt: number;
  status: "succeeded" | "failed";
  responseCode: number | null;
  error: string | null;
  durationMs: number | null;
  at: Date;
}

const HOOK_COLUMNS = "id, url, events, created_by, created_at";
const hookFromRow = (r: Record<string, any>): WebhookRecord => ({ id: r.id, url: r.url, events: r.events, createdBy: r.created_by, createdAt: r.created_at });

export async function insertWebhook(db: Queryable, w: { url: string; secret: string; events: WebhookEvent[]; createdBy?: string }): Promise<WebhookRecord> {
  const r = await db.query(
    `INSERT INTO webhooks (id, url, secret, events, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${HOOK_COLUMNS}`,
    [randomUUID(), w.url, w.secret, w.events, w.createdBy ?? null],
  );
  return hookFromRow(r.rows[0]);
}

export async function listWebhooks(db: Queryable): Promise<WebhookRecord[]> {
  const r = await db.query(`SELECT ${HOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`);
  return r.rows.map(hookFromRow);
}

export async function getWebhook(db: Queryable, id: string): Promise<WebhookRecord | undefined> {
  const r = await db.query(`SELECT ${HOOK_COLUMNS} FROM webhooks WHERE id = $1`, [id]);
  return r.rows[0] ? hookFromRow(r.rows[0]) : undefined;
}

export async function deleteWebhook(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query("DELETE FROM webhooks WHERE id = $1", [id]);
  return r.rowCount === 1;
}

/** Webhooks subscribed to `event`. */
export async function subscribers(db: Queryable, event: WebhookEvent): Promise<string[]> {
  const r = await db.query("SELECT id FROM webhooks WHERE $1 = ANY(events) ORDER BY id", [event]);
  return r.rows.map((x) => x.id);
}

/** Only the delivery worker reads the secret (to sign). */
export async function webhookTarget(db: Queryable, id: string): Promise<{ url: string; secret: string } | undefined> {
  const r = await db.query("SELECT url, secret FROM webhooks WHERE id = $1", [id]);
  return r.rows[0];
}

export async function recordDelivery(
  db: Queryable,
  d: { webhookId: string; eventId: string; event: WebhookEvent; payload: unknown; attempt: number; status: "succeeded" | "failed"; responseCode?: number; error?: string; durationMs: number },
): Promise<void> {
  await db.query(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, attempt, status, response_code, error, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [d.webhookId, d.eventId, d.event, JSON.stringify(d.payload), d.attempt, d.status, d.responseCode ?? null, d.error ?? null, d.durationMs],
  );
}

/** Attempts, newest first; `beforeId` is the cursor. */
export async function listDeliveries(db: Queryable, webhookId: string, limit: number, beforeId?: number): Promise<DeliveryRecord[]> {
  const r = await db.query(
    `SELECT id, webhook_id, event_id, event, attempt, status, response_code, error, duration_ms, at FROM webhook_deliveries
     WHERE webhook_id = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`,
    [webhookId, limit, beforeId ?? null],
  );
  return r.rows.map((x) => ({
    id: Number(x.id),
    webhookId: x.webhook_id,
    eventId: x.event_id,
    event: x.event,
    attempt: x.attempt,
    status: x.status,
    responseCode: x.response_code,
    error: x.error,
    durationMs: x.duration_ms,
    at: x.at,
  }));
}
