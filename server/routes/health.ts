/**
 * Liveness (`/healthz`: the process answers), readiness (`/readyz`: the
 * store, the queue and the event listener are reachable) and Prometheus
 * metrics (`/metrics`, viewer token).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Engine } from "./schemas.js";

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const Health = z.object({ status: z.enum(["ok", "unavailable"]), engine: Engine, checks: z.record(z.string(), Check).optional() });

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> {
  try {
    const ok = await Promise.race([fn().then((v) => v !== false), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    return ok ? { ok } : { ok, detail: "no answer" };
  } catch {
    // The error text may name hosts or users: keep it in the log, not the answer.
    return { ok: false, detail: "unreachable" };
  }
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get("/healthz", {
    config: { auth: "public" },
    schema: { tags: ["health"], summary: "Liveness", response: { 200: Health } },
    handler: async () => ({ status: "ok" as const, engine: app.engine.name }),
  });

  app.get("/readyz", {
    config: { auth: "public" },
    schema: { tags: ["health"], summary: "Readiness: database, queue and event listener reachable", response: { 200: Health, 503: Health } },
    handler: async (_req, reply) => {
      const checks = {
        database: await check(() => app.db.query("SELECT 1")),
        queue: await check(() => app.queue.ping()),
        events: await check(async () => app.bus.connected),
      };
      const ok = Object.values(checks).every((c) => c.ok);
      reply.code(ok ? 200 : 503);
      return { status: ok ? ("ok" as const) : ("unavailable" as const), engine: app.engine.name, checks };
    },
  });

  app.get("/metrics", {
    schema: { tags: ["health"], summary: "Prometheus metrics (text exposition format)", response: { 200: z.string() } },
    handler: async (_req, reply) => {
      const counts = await app.db.query<{ status: string; n: number }>(
        "SELECT status, count(*)::int AS n FROM operations WHERE status IN ('queued', 'running') GROUP BY status",
      );
      const by = Object.fromEntries(counts.rows.map((r) => [r.status, r.n]));
      const text = app.metrics.render([
        { name: "goldenpath_queue_depth", help: "Queued operations (all replicas).", values: [{ labels: {}, value: by.queued ?? 0 }] },
        { name: "goldenpath_operations_running", help: "Running operations (all replicas).", values: [{ labels: {}, value: by.running ?? 0 }] },
        { name: "goldenpath_operations_running_here", help: "Operations running in this process.", values: [{ labels: {}, value: app.runner.runningIds.length }] },
      ]);
      reply.type("text/plain; version=0.0.4; charset=utf-8");
      return text;
    },
  });
};
