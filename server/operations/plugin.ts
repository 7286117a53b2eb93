/**
 * Operations as named services: the event bus (LISTEN/NOTIFY tail of the
 * store), the runner, the queue and the service the routes call. Workers
 * start when the app is ready (unless a test drives the queue with
 * `runOnce()`); on close the queue stops taking work first and gives running
 * operations the grace period before marking them interrupted.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import fp from "fastify-plugin";
import type { Config } from "../config.js";
import { Metrics } from "../metrics.js";
import { ImageService } from "../mirror/image-service.js";
import { EventBus } from "./event-bus.js";
import { OperationQueue } from "./queue.js";
import { OperationRunner } from "./runner.js";
import { OperationService } from "./service.js";

declare module "fastify" {
  interface FastifyInstance {
    bus: EventBus;
    runner: OperationRunner;
    queue: OperationQueue;
    operations: OperationService;
    metrics: Metrics;
    images: ImageService;
  }
}

export interface OperationsPluginOptions {
  config: Config;
  /** false: no workers; tests call `app.queue.runOnce()`. */
  startWorkers?: boolean;
  sweepIntervalMs?: number;
}

export const operationsPlugin = fp(
  async (app, opts: OperationsPluginOptions) => {
    const log = app.log.child({ component: "operations" });
    const metrics = new Metrics();
    const bus = new EventBus(app.databaseUrl, (err) => log.warn({ err: { message: err.message } }, "event listener connection lost"));
    await bus.start();
    const runnerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const images = new ImageService({
      engine: app.engine.name,
      registryMirrors: opts.config.registryMirrors,
      dockerConfigDir: opts.config.dockerConfig,
      simulateRegistry: opts.config.simulateRegistry,
    });
    const runner = new OperationRunner({ pool: app.db, engine: app.engine, log, metrics, images });
    const queue = new OperationQueue({
      pool: app.db,
      connectionString: app.databaseUrl,
      runner,
      engine: app.engine,
      log,
      bus,
      maxOperations: opts.config.maxOperations,
      runnerId,
      sweepIntervalMs: opts.sweepIntervalMs,
    });
    await queue.init();
    const service = new OperationService({ pool: app.db, engine: app.engine, queue, runner, log });

    app.decorate("images", images);
    app.decorate("metrics", metrics);
    app.decorate("bus", bus);
    app.decorate("runner", runner);
    app.decorate("queue", queue);
    app.decorate("operations", service);

    app.addHook("onResponse", async (req, reply) => {
      metrics.httpRequest(req.method, req.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
    });
    if (opts.startWorkers !== false) {
      app.addHook("onReady", async () => {
        await queue.start();
        log.info({ maxOperations: opts.config.maxOperations, runnerId }, "operation workers started");
      });
    }
    // preClose runs before the HTTP server stops and before any onClose (pool end).
    app.addHook("preClose", async () => {
      await queue.stop(opts.config.shutdownGraceSeconds * 1000);
    });
    app.addHook("onClose", async () => {
      await bus.stop();
    });
  },
  { name: "goldenpath-operations", dependencies: ["goldenpath-store", "goldenpath-engine"] },
);
