/**
 * The operation queue. Operations are rows in the store; pg-boss jobs only
 * say "environment X has work". A worker that takes such a job tries the
 * environment's PostgreSQL advisory lock (session level, so it dies with a
 * dead process's connection) and, holding it, runs that environment's queued
 * operations oldest first until none is left. So, across every process on
 * one database:
 *   - one running operation per environment (the lock),
 *   - FIFO per environment (the claim takes the lowest seq),
 *   - at most `maxOperations` running in this process (that many pg-boss workers),
 * without trusting pg-boss singleton keys. A job that finds the lock taken is
 * simply done: the holder re-checks for queued work after it unlocks, and a
 * slow sweep re-announces any environment with queued work (a crash between
 * storing an operation and sending its job loses nothing).
 */
import PgBoss from "pg-boss";
import type { FastifyBaseLogger as Logger } from "fastify";
import { LAYERS } from "../../programs/layers/types.js";
import type { Engine } from "../engine/port.js";
import type { Pool, PoolClient } from "../store/db.js";
import { setEnvironmentStatus } from "../store/environments.js";
import { appendEventNext } from "../store/events.js";
import {
  claimNextOperation,
  environmentsWithQueuedWork,
  finishOperation,
  hasQueuedWork,
  runningOperations,
  type OperationRecord,
} from "../store/operations.js";
import type { EventBus } from "./event-bus.js";
import type { OperationRunner } from "./runner.js";

export const QUEUE_NAME = "goldenpath-operations";
const LOCK_PREFIX = "goldenpath-environment:";
/** Arbitrary constant: serialises pg-boss installation across processes. */
const QUEUE_INSTALL_LOCK = 7_301_002;

export interface QueueOptions {
  pool: Pool;
  connectionString: string;
  runner: OperationRunner;
  engine: Engine;
  log: Logger;
  bus?: EventBus;
  maxOperations: number;
  /** Identifies this process on the operations it claims. */
  runnerId: string;
  /** How often to re-announce queued work and recover dead runners' operations. */
  sweepIntervalMs?: number;
  pollingIntervalSeconds?: number;
}

export class OperationQueue {
  private readonly boss: PgBoss;
  private workerIds: string[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  private started = false;
  private sweepTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(private readonly o: QueueOptions) {
    this.boss = new PgBoss({ connectionString: o.connectionString, schema: "pgboss", max: 4, application_name: "goldenpath-queue" });
    this.boss.on("error", (err) => o.log.warn({ err: { message: err.message } }, "queue error"));
  }

  /** Install pg-boss and the queue; recover what dead runners left. No workers yet. */
  async init(): Promise<void> {
    // Replicas starting together would race pg-boss's schema install and queue
    // creation (its partition DDL can deadlock): one at a time.
    const client = await this.o.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [QUEUE_INSTALL_LOCK]);
      await this.boss.start();
      await this.boss.createQueue(QUEUE_NAME, { name: QUEUE_NAME, retryLimit: 5, retryDelay: 2 });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [QUEUE_INSTALL_LOCK]).catch(() => {});
      client.release();
    }
    await this.recoverAll();
  }

  /** Start taking work: workers, cancel notifications from other replicas, the sweep. */
  async start(): Promise<void> {
    this.stopping = false;
    this.started = true;
    for (let i = 0; i < this.o.maxOperations; i++) {
      const id = await this.boss.work<{ environment: string }>(
        QUEUE_NAME,
        { batchSize: 1, pollingIntervalSeconds: this.o.pollingIntervalSeconds ?? 1 },
        async (jobs) => {
          for (const job of jobs) await this.track(this.drain(job.data.environment));
        },
      );
      this.workerIds.push(id);
    }
    this.unsubscribe = this.o.bus?.onOperation("*", (c) => {
      if (c.status === "running" && c.cancelRequested) this.o.runner.abort(c.id, "cancel");
    });
    this.sweepTimer = setInterval(() => {
      this.sweep().catch((err) => this.o.log.warn({ err: { message: err.message } }, "queue sweep failed"));
    }, this.o.sweepIntervalMs ?? 5000);
    this.sweepTimer.unref();
    await this.sweep();
  }

  /** Announce that an environment has queued work. */
  async notify(environment: string): Promise<void> {
    await this.boss.send(QUEUE_NAME, { environment }, { expireInSeconds: 6 * 3600 });
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  /** Tests: take the queued jobs and run their environments' work now, in this call. Returns operations run. */
  async runOnce(): Promise<number> {
    let ran = 0;
    for (;;) {
      const jobs = await this.boss.fetch<{ environment: string }>(QUEUE_NAME, { batchSize: 100 });
      if (jobs.length === 0) return ran;
      for (const job of jobs) ran += await this.drain(job.data.environment);
      await this.boss.complete(QUEUE_NAME, jobs.map((j) => j.id));
    }
  }

  /** Queued operations (all replicas), for the queue depth metric. */
  async depth(): Promise<number> {
    const r = await this.o.pool.query("SELECT count(*)::int AS n FROM operations WHERE status = 'queued'");
    return r.rows[0].n;
  }

  /** Is pg-boss installed and reachable? (readiness) */
  async ping(): Promise<boolean> {
    return Boolean(await this.boss.isInstalled());
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p)).catch(() => {});
    return p;
  }

  /** Run an environment's queued operations while holding its lock. Returns how many ran. */
  async drain(environment: string): Promise<number> {
    if (this.stopping) return 0;
    const { pool, runner, runnerId } = this.o;
    const client = await pool.connect();
    let ran = 0;
    let locked = false;
    try {
      locked = await tryLock(client, environment);
      if (!locked) return 0;
      await this.interruptStale(environment);
      while (!this.stopping) {
        const op = await claimNextOperation(pool, environment, runnerId);
        if (!op) break;
        await runner.run(op);
        ran++;
      }
    } finally {
      if (locked) await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [LOCK_PREFIX + environment]).catch(() => {});
      client.release();
    }
    // Work queued while we held the lock may have had its job turned away: announce it again.
    if (locked && !this.stopping && (await hasQueuedWork(pool, environment))) await this.notify(environment);
    return ran;
  }

  /** Re-announce queued work and recover operations whose runner died. */
  async sweep(): Promise<void> {
    if (this.stopping) return;
    await this.recoverAll();
    for (const env of await environmentsWithQueuedWork(this.o.pool)) await this.notify(env);
  }

  /**
   * Operations left `running` whose environment lock nobody holds belong to a
   * dead process: mark them interrupted (events kept) and recover the stacks.
   */
  async recoverAll(): Promise<void> {
    const envs = [...new Set((await runningOperations(this.o.pool)).map((o) => o.environment))];
    for (const env of envs) {
      const client = await this.o.pool.connect();
      try {
        if (!(await tryLock(client, env))) continue;
        try {
          await this.interruptStale(env);
        } finally {
          await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [LOCK_PREFIX + env]);
        }
      } finally {
        client.release();
      }
    }
  }

  /** Caller holds the environment's lock. */
  private async interruptStale(environment: string): Promise<void> {
    const { pool, engine, log } = this.o;
    for (const op of await runningOperations(pool, environment)) {
      if (this.o.runner.runningIds.includes(op.id)) continue;
      await interruptOperation(pool, engine, op, log);
    }
  }

  /**
   * Stop taking work; give running operations `graceMs` to finish, then abort
   * them (they end `interrupted`), and close pg-boss.
   */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.unsubscribe?.();
    if (this.started) await this.boss.offWork(QUEUE_NAME).catch(() => {});
    const all = Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([all.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      this.o.runner.abortAll("shutdown");
      await Promise.race([all, sleep(10_000)]);
    }
    await this.boss.stop({ graceful: true, wait: true, timeout: 2000, close: true }).catch(() => {});
    this.workerIds = [];
  }
}

async function tryLock(client: PoolClient, environment: string): Promise<boolean> {
  const r = await client.query("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [LOCK_PREFIX + environment]);
  return r.rows[0].ok === true;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Mark a dead runner's operation interrupted, record why, and make its stacks usable again. */
export async function interruptOperation(pool: Pool, engine: Engine, op: OperationRecord, log: Logger): Promise<void> {
  const recovered: Record<string, unknown> = {};
  for (const layer of LAYERS) {
    try {
      const report = await engine.recover({ environment: op.environment, layer });
      recovered[layer] = report;
    } catch (err) {
      log.warn({ operation: op.id, layer, err: { message: (err as Error).message } }, "stack recovery failed");
      recovered[layer] = { error: "recovery failed; see the server log" };
    }
  }
  const now = new Date().toISOString();
  const phases = op.phases.map((p) => (p.status === "running" ? { ...p, status: "interrupted" as const, finishedAt: now } : p));
  phases.push({ name: "recovery", status: "succeeded", startedAt: now, finishedAt: now, message: "the process running this operation died; stacks recovered" });
  await appendEventNext(pool, op.id, "recovery", { message: "the process running this operation died; its stacks were recovered", stacks: recovered });
  await appendEventNext(pool, op.id, "operation", { status: "interrupted" });
  await finishOperation(pool, op.id, {
    status: "interrupted",
    phases,
    summary: op.summary,
    error: { code: "INTERRUPTED", message: "the server running this operation stopped before it finished; its stacks were recovered" },
  });
  if (op.kind === "up" || op.kind === "destroy") await setEnvironmentStatus(pool, op.environment, "failed");
  log.warn({ operation: op.id, environment: op.environment }, "operation interrupted by a dead runner; recovered");
}
