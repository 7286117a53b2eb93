/**
 * Drift checks and notifications as one named service plugin: a pg-boss
 * client of its own (queues `drift-tick`, `drift-due`, `webhook-delivery`
 * on the same `pgboss` schema as the operation queue), the drift service the
 * runner delegates `drift` operations to, the scheduler and the webhook
 * notifier. Workers start with the app (unless a test drives
 * `runTick`/`runDue`/`deliver` itself) and stop before the pool closes.
 */
import fp from "fastify-plugin";
import PgBoss from "pg-boss";
import type { Config } from "../config.js";
import { Notifier } from "../notify/webhooks.js";
import { DriftService } from "./drift-check.js";
import { DriftScheduler } from "./scheduler.js";
import { driftGaugeRows } from "./store.js";

declare module "fastify" {
  interface FastifyInstance {
    drift: DriftService;
    driftScheduler: DriftScheduler;
    notifier: Notifier;
  }
}

/** Timing knobs (tests make retries and jitter take seconds, not minutes). */
export interface DriftTuning {
  /** Webhook retries after the first attempt (default 6). */
  webhookRetryLimit?: number;
  /** Base of the webhook backoff in seconds (default 10). */
  webhookRetryDelaySeconds?: number;
  /** Cap on the per-environment delay of a scheduled check. */
  maxJitterSeconds?: number;
  /** How often pg-boss's timekeeper looks at cron schedules (1–45 s; pg-boss default 30). */
  cronMonitorIntervalSeconds?: number;
  pollingIntervalSeconds?: number;
}

export interface DriftPluginOptions {
  config: Config;
  startWorkers?: boolean;
  tuning?: DriftTuning;
}

/** Same constant as the operation queue's: pg-boss queue creation is serialised across processes. */
const QUEUE_INSTALL_LOCK = 7_301_002;

export const driftPlugin = fp(
  async (app, opts: DriftPluginOptions) => {
    const log = app.log.child({ component: "drift" });
    const tuning = opts.tuning ?? {};
    const boss = new PgBoss({
      connectionString: app.databaseUrl,
      schema: "pgboss",
      max: 3,
      application_name: "goldenpath-drift",
      ...(tuning.cronMonitorIntervalSeconds ? { cronMonitorIntervalSeconds: tuning.cronMonitorIntervalSeconds } : {}),
      // Without workers (tests) this client only sends; the operation queue's client keeps pg-boss maintained.
      ...(opts.startWorkers === false ? { schedule: false, supervise: false } : {}),
    });
    boss.on("error", (err) => log.warn({ err: { message: err.message } }, "drift queue error"));
    const notifier = new Notifier({
      boss,
      pool: app.db,
      log,
      retryLimit: tuning.webhookRetryLimit,
      retryDelaySeconds: tuning.webhookRetryDelaySeconds,
      pollingIntervalSeconds: tuning.pollingIntervalSeconds,
    });
    const scheduler = new DriftScheduler({
      boss,
      pool: app.db,
      log,
      operations: app.operations,
      defaultSchedule: opts.config.driftSchedule,
      maxJitterSeconds: tuning.maxJitterSeconds,
      pollingIntervalSeconds: tuning.pollingIntervalSeconds,
    });
    const client = await app.db.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [QUEUE_INSTALL_LOCK]);
      await boss.start();
      await notifier.init();
      await scheduler.init();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [QUEUE_INSTALL_LOCK]).catch(() => {});
      client.release();
    }
    const service = new DriftService({ pool: app.db, engine: app.engine, log, metrics: app.metrics, notifier, queue: app.queue });
    app.runner.drift = service;
    app.decorate("drift", service);
    app.decorate("driftScheduler", scheduler);
    app.decorate("notifier", notifier);

    // The drift gauges come from the store (every replica reports the same truth), read just before a scrape.
    app.addHook("onRequest", async (req) => {
      if (req.routeOptions.url !== "/metrics") return;
      const rows = await driftGaugeRows(app.db);
      const byStatus: Record<string, number> = { in_sync: 0, drifted: 0, error: 0, unknown: 0 };
      for (const r of rows) byStatus[r.status ?? "unknown"] = (byStatus[r.status ?? "unknown"] ?? 0) + 1;
      const now = Date.now();
      app.metrics.scrapeGauges = [
        {
          name: "goldenpath_environments_by_drift_status",
          help: "Live environments by the status of their latest drift check (unknown: never checked).",
          values: Object.entries(byStatus).map(([status, value]) => ({ labels: { status }, value })),
        },
        {
          name: "goldenpath_drift_seconds_since_last_success",
          help: "Seconds since the environment's last drift check that did not end in error (absent: never).",
          values: rows.filter((r) => r.lastOk).map((r) => ({ labels: { environment: r.name }, value: Math.round((now - new Date(r.lastOk!).getTime()) / 1000) })),
        },
      ];
    });

    if (opts.startWorkers !== false) {
      app.addHook("onReady", async () => {
        await scheduler.start();
        await notifier.start();
        log.info({ defaultSchedule: opts.config.driftSchedule }, "drift scheduler and webhook delivery started");
      });
    }
    // After the operation queue's preClose (registered earlier) let running operations finish and notify.
    app.addHook("preClose", async () => {
      await scheduler.stop();
      await notifier.stop();
      await boss.stop({ graceful: true, wait: true, timeout: 2000, close: true }).catch(() => {});
    });
  },
  { name: "goldenpath-drift", dependencies: ["goldenpath-store", "goldenpath-engine", "goldenpath-operations"] },
);
