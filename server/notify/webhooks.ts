/**
 * Webhook notifications. `publish(event, data)` turns one event into one
 * pg-boss job per subscribed webhook on the `webhook-delivery` queue; any
 * replica's worker POSTs the JSON body, signed (`Goldenpath-Signature`, see
 * `signature.ts`) with a fresh timestamp on every attempt. A non-2xx answer,
 * a timeout or a connection error fails the job and pg-boss retries it with
 * exponential backoff (`retryDelay · 2^n`, jittered) up to `retryLimit`
 * times. Every attempt, good or bad, is a row admins can read.
 *
 * The body is the same on every attempt (its `id` lets a receiver drop
 * duplicates: delivery is at least once).
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger as Logger } from "fastify";
import type PgBoss from "pg-boss";
import type { Pool } from "../store/db.js";
import { SIGNATURE_HEADER, sign } from "./signature.js";
import { recordDelivery, subscribers, webhookTarget, type WebhookEvent } from "./store.js";

export const DELIVERY_QUEUE = "webhook-delivery";

/** What a receiver gets as the JSON body. */
export interface WebhookPayload {
  /** The event's id: the same on every attempt and for every webhook. */
  id: string;
  event: WebhookEvent;
  createdAt: string;
  data: Record<string, unknown>;
}

interface DeliveryJob {
  webhookId: string;
  payload: WebhookPayload;
}

export interface NotifierOptions {
  boss: PgBoss;
  pool: Pool;
  log: Logger;
  /** Retries after the first attempt (default 6: about 10 min of backoff at the default delay). */
  retryLimit?: number;
  /** Base of the exponential backoff, in seconds (default 10). */
  retryDelaySeconds?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  pollingIntervalSeconds?: number;
}

export class Notifier {
  private workerId?: string;

  constructor(private readonly o: NotifierOptions) {}

  /** Create the queue (the caller serialises this across replicas). */
  async init(): Promise<void> {
    await this.o.boss.createQueue(DELIVERY_QUEUE, { name: DELIVERY_QUEUE, ...this.retry() });
  }

  private retry() {
    return { retryLimit: this.o.retryLimit ?? 6, retryDelay: this.o.retryDelaySeconds ?? 10, retryBackoff: true };
  }

  /** Queue `event` for every webhook subscribed to it. Returns how many deliveries were queued. */
  async publish(event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
    const hooks = await subscribers(this.o.pool, event);
    if (hooks.length === 0) return 0;
    const payload: WebhookPayload = { id: randomUUID(), event, createdAt: new Date().toISOString(), data };
    for (const webhookId of hooks) {
      await this.o.boss.send(DELIVERY_QUEUE, { webhookId, payload } satisfies DeliveryJob, { ...this.retry(), expireInSeconds: 60 });
    }
    if (this.workerId) this.o.boss.notifyWorker(this.workerId);
    return hooks.length;
  }

  async start(): Promise<void> {
    this.workerId = await this.o.boss.work<DeliveryJob>(
      DELIVERY_QUEUE,
      { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.o.pollingIntervalSeconds ?? 1 },
      async (jobs) => {
        // pg-boss 10 hands an array; one job per call, so a failure retries only that one.
        for (const job of jobs) await this.deliver(job.data, job.retryCount + 1);
      },
    );
  }

  async stop(): Promise<void> {
    if (this.workerId) await this.o.boss.offWork(DELIVERY_QUEUE).catch(() => {});
    this.workerId = undefined;
  }

  /**
   * One attempt. Throws when it failed, so pg-boss schedules the next one.
   * A webhook deleted meanwhile is simply done.
   */
  async deliver(job: DeliveryJob, attempt: number): Promise<void> {
    const { pool, log } = this.o;
    const target = await webhookTarget(pool, job.webhookId);
    if (!target) return;
    const body = JSON.stringify(job.payload);
    const started = Date.now();
    let responseCode: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(target.url, {
        method: "POST",
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        headers: {
          "content-type": "application/json",
          "user-agent": "goldenpath-webhooks/1",
          [SIGNATURE_HEADER]: sign(target.secret, body),
          "goldenpath-event": job.payload.event,
          "goldenpath-delivery": job.payload.id,
          "goldenpath-attempt": String(attempt),
        },
      });
      responseCode = res.status;
      // Drain without keeping it: a receiver's body is not ours to store.
      await res.arrayBuffer().catch(() => {});
      if (res.status < 200 || res.status >= 300) error = `the receiver answered ${res.status}`;
    } catch (err) {
      error = describe(err);
    }
    const status = error ? "failed" : "succeeded";
    await recordDelivery(pool, {
      webhookId: job.webhookId,
      eventId: job.payload.id,
      event: job.payload.event,
      payload: job.payload,
      attempt,
      status,
      responseCode,
      error,
      durationMs: Date.now() - started,
    });
    if (error) {
      log.info({ webhook: job.webhookId, event: job.payload.event, attempt, responseCode }, "webhook delivery failed; pg-boss retries it");
      throw new Error(error);
    }
  }
}

/** A failure in words that carry no secret (never the URL's userinfo, never a body). */
function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } };
  if (e?.name === "TimeoutError") return "timed out";
  if (e?.cause?.code) return `connection failed (${e.cause.code})`;
  return "request failed";
}
