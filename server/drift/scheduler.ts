/**
 * Scheduled drift checks.
 *
 * The issue asks for each environment's `drift.schedule` to "become a pg-boss
 * schedule". pg-boss 10 ties a schedule to a queue name, so one schedule per
 * environment would need one queue and one polling worker per environment
 * on every replica. The scalable equivalent used here:
 *
 *   - ONE pg-boss schedule, `drift-tick`, cron `* * * * *`. pg-boss's
 *     timekeeper fires it once per minute across all replicas.
 *   - The tick handler (`runTick`) reads every live environment's
 *     `drift.schedule` (else the server default, `GOLDENPATH_DRIFT_SCHEDULE`)
 *     and, for each whose cron has an occurrence in that minute, claims the
 *     occurrence in `drift_ticks` (primary key: environment + occurrence, so
 *     a duplicate tick or two replicas claim it once) and sends a `drift-due`
 *     job delayed by a stable per-environment jitter (checks spread over the
 *     window instead of all starting in the same second).
 *   - The `drift-due` handler (`runDue`) skips, recording why, when the
 *     environment has an operation queued or running; otherwise it queues a
 *     `drift` operation through the operation service (FIFO per environment,
 *     under the global cap, like any other operation).
 *
 * So a spec change takes effect at the next tick, and a destroyed
 * environment is simply no longer scheduled: nothing to update or remove.
 */
import type { FastifyBaseLogger as Logger } from "fastify";
import type PgBoss from "pg-boss";
import type { OperationService } from "../operations/service.js";
import type { Pool } from "../store/db.js";
import { jitterSeconds, occurrenceInMinute, periodSeconds, validCron } from "./cron.js";
import { busyOperation, claimOccurrence, decideOccurrence, scheduledEnvironments } from "./store.js";

export const TICK_QUEUE = "drift-tick";
export const DUE_QUEUE = "drift-due";

export interface DueJob {
  environment: string;
  /** ISO time of the cron occurrence this check is for. */
  occurrence: string;
}

export interface SchedulerOptions {
  boss: PgBoss;
  pool: Pool;
  log: Logger;
  operations: Pick<OperationService, "submit">;
  /** The server default (`GOLDENPATH_DRIFT_SCHEDULE`). */
  defaultSchedule: string;
  /** Caps the per-environment delay (tests); the default spreads over up to half the period, at most 15 min. */
  maxJitterSeconds?: number;
  pollingIntervalSeconds?: number;
}

/** What one tick did. */
export interface TickReport {
  minute: string;
  /** Environments whose cron has an occurrence in this minute. */
  due: string[];
  /** Those this call claimed and sent a `drift-due` job for (others were claimed already). */
  claimed: { environment: string; occurrence: string; delaySeconds: number }[];
  /** Environments whose own schedule is not a valid cron (skipped, logged). */
  invalid: string[];
}

export class DriftScheduler {
  private started = false;

  constructor(private readonly o: SchedulerOptions) {}

  /** Create both queues (the caller serialises this across replicas). */
  async init(): Promise<void> {
    await this.o.boss.createQueue(TICK_QUEUE, { name: TICK_QUEUE, retryLimit: 2, retryDelay: 5 });
    await this.o.boss.createQueue(DUE_QUEUE, { name: DUE_QUEUE, retryLimit: 3, retryDelay: 10 });
  }

  /** Install the one schedule and start both workers. */
  async start(): Promise<void> {
    const { boss } = this.o;
    // Idempotent: every replica upserts the same schedule row.
    await boss.schedule(TICK_QUEUE, "* * * * *", {}, { tz: "UTC" });
    const polling = this.o.pollingIntervalSeconds ?? 2;
    await boss.work(TICK_QUEUE, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: polling }, async (jobs) => {
      // The tick is for the minute pg-boss created it in, not the minute a worker got to it.
      for (const job of jobs) await this.runTick(job.createdOn ?? new Date());
    });
    await boss.work<DueJob>(DUE_QUEUE, { batchSize: 1, pollingIntervalSeconds: polling }, async (jobs) => {
      for (const job of jobs) await this.runDue(job.data);
    });
    this.started = true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.o.boss.offWork(TICK_QUEUE).catch(() => {});
    await this.o.boss.offWork(DUE_QUEUE).catch(() => {});
  }

  /** One tick: which environments are due in `now`'s minute; claim and send each once. */
  async runTick(now: Date): Promise<TickReport> {
    const { pool, boss, log, defaultSchedule } = this.o;
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const report: TickReport = { minute: minute.toISOString(), due: [], claimed: [], invalid: [] };
    for (const env of await scheduledEnvironments(pool)) {
      const expr = env.schedule ?? defaultSchedule;
      // The spec is validated as five fields; an impossible one (e.g. minute 61) must not stop the others.
      if (!validCron(expr)) {
        report.invalid.push(env.name);
        log.warn({ environment: env.name }, "drift schedule is not a valid cron expression; not scheduled");
        continue;
      }
      const occurrence = occurrenceInMinute(expr, minute);
      if (!occurrence) continue;
      report.due.push(env.name);
      if (!(await claimOccurrence(pool, env.name, occurrence))) continue;
      const period = periodSeconds(expr, occurrence);
      const spread = this.o.maxJitterSeconds === undefined ? period : Math.min(period, 2 * this.o.maxJitterSeconds);
      const delaySeconds = this.o.maxJitterSeconds === 0 ? 0 : jitterSeconds(env.name, spread);
      const at = occurrence.toISOString();
      await boss.send(DUE_QUEUE, { environment: env.name, occurrence: at } satisfies DueJob, {
        startAfter: delaySeconds,
        // Belt and braces beside the drift_ticks claim: pg-boss drops a same-minute duplicate too.
        singletonKey: `${env.name}@${at}`,
        singletonSeconds: 60,
        expireInSeconds: 300,
      });
      report.claimed.push({ environment: env.name, occurrence: at, delaySeconds });
    }
    if (report.due.length > 0) log.info({ minute: report.minute, due: report.due.length, claimed: report.claimed.length }, "drift tick");
    return report;
  }

  /** A due occurrence: skip (recorded, with the reason) when the environment is busy, else queue a drift operation. */
  async runDue(job: DueJob): Promise<{ operationId?: string; skippedReason?: string }> {
    const { pool, operations, log } = this.o;
    const occurrence = new Date(job.occurrence);
    const busy = await busyOperation(pool, job.environment);
    if (busy) {
      const skippedReason = `operation ${busy.id} (${busy.kind}) was ${busy.status}; the scheduled check was skipped`;
      await decideOccurrence(pool, job.environment, occurrence, { skippedReason });
      log.info({ environment: job.environment, occurrence: job.occurrence, busy: busy.id }, "scheduled drift check skipped");
      return { skippedReason };
    }
    try {
      const { operation } = await operations.submit(job.environment, "drift", { requestedBy: "drift-schedule" });
      await decideOccurrence(pool, job.environment, occurrence, { operationId: operation.id });
      return { operationId: operation.id };
    } catch (err) {
      // Destroyed between tick and due time (ENVIRONMENT_NOT_FOUND): nothing to check.
      const skippedReason = `could not queue the check: ${(err as Error).message}`;
      await decideOccurrence(pool, job.environment, occurrence, { skippedReason });
      return { skippedReason };
    }
  }
}
