/**
 * Operations: queue one on an environment, its history, one operation,
 * cancel, and its events as Server-Sent Events (replay from the store, then
 * live as the store's notifications arrive from whichever replica runs it;
 * `id:` is the event's seq, `Last-Event-ID` resumes; the stream ends when the
 * operation does).
 */
import type { ServerResponse } from "node:http";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../errors.js";
import { operationView } from "../operations/views.js";
import { environmentExisted } from "../store/environments.js";
import { listEvents, type StoredEvent } from "../store/events.js";
import { getOperation, listOperations, TERMINAL_STATUSES } from "../store/operations.js";
import { accepted, requestContext } from "./environments.js";
import { IdempotencyHeaders, NameParams, Operation, OperationKindBody, OperationList, OperationParams, numberedPage, Pagination, Problem, authProblems } from "./schemas.js";

export interface OperationRoutesOptions {
  /** Comment lines that keep proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Fallback re-read of the store, should a notification be lost. */
  pollMs?: number;
}

const LastEventId = z.looseObject({
  "last-event-id": z.string().regex(/^\d{1,9}$/, "must be the id of a previous event").optional(),
});

function sseFrame(e: StoredEvent): string {
  return `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify({ seq: e.seq, at: new Date(e.at).toISOString(), kind: e.kind, ...e.data })}\n\n`;
}

export const operationRoutes: FastifyPluginAsyncZod<OperationRoutesOptions> = async (app, opts) => {
  const streams = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const s of streams) s.end();
  });

  app.post("/v1/environments/:name/operations", {
    schema: {
      tags: ["operations"],
      summary: "Queue an operation (up, preview, refresh, destroy) with the environment's current spec",
      params: NameParams,
      headers: IdempotencyHeaders,
      body: OperationKindBody,
      response: { 202: Operation, 400: Problem, ...authProblems, 404: Problem, 413: Problem, 415: Problem, 422: Problem, 503: Problem },
    },
    handler: async (req, reply) => accepted(req, reply, await app.operations.submit(req.params.name, req.body.kind, requestContext(req, req.body))),
  });

  app.get("/v1/environments/:name/operations", {
    schema: {
      tags: ["operations"],
      summary: "Operation history, newest first (kept after the environment is destroyed)",
      params: NameParams,
      querystring: Pagination,
      response: { 200: OperationList, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      if (!(await environmentExisted(app.db, req.params.name))) throw notFound("environment", req.params.name);
      const { page, nextCursor } = await numberedPage(req.query, (limit, before) => listOperations(app.db, req.params.name, limit, before), (o) => o.seq);
      const admin = req.principal?.role === "admin";
      return {
        items: page.map((o) => operationView(o, { admin })),
        nextCursor,
        engine: app.engine.name,
      };
    },
  });

  app.get("/v1/operations/:id", {
    schema: {
      tags: ["operations"],
      summary: "Status, phases, change summary and error of an operation",
      params: OperationParams,
      response: { 200: Operation, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      const op = await getOperation(app.db, req.params.id);
      if (!op) throw notFound("operation", req.params.id);
      return operationView(op, { admin: req.principal?.role === "admin" });
    },
  });

  app.post("/v1/operations/:id/cancel", {
    schema: {
      tags: ["operations"],
      summary: "Cancel a queued (at once) or running (engine abort) operation",
      params: OperationParams,
      response: { 202: Operation, 400: Problem, ...authProblems, 404: Problem, 409: Problem },
    },
    handler: async (req, reply) => {
      const op = await app.operations.cancel(req.params.id);
      reply.code(202);
      return operationView(op, { admin: req.principal?.role === "admin" });
    },
  });

  app.get("/v1/operations/:id/events", {
    schema: {
      tags: ["operations"],
      summary: "Server-Sent Events: stored events, then live ones, until the operation ends",
      description: "Each event's `id` is its sequence number; send `Last-Event-ID` to resume after it.",
      params: OperationParams,
      headers: LastEventId,
      response: { 200: z.string().describe("text/event-stream"), 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req, reply) => {
      const id = req.params.id;
      if (!(await getOperation(app.db, id))) throw notFound("operation", id);
      let cursor = Number(req.headers["last-event-id"] ?? 0);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": String(req.id),
      });
      res.write("retry: 2000\n\n");
      streams.add(res);

      let closed = false;
      let pumping = false;
      let again = false;
      const cleanup = () => {
        if (closed) return;
        closed = true;
        streams.delete(res);
        offEvent();
        offOp();
        clearInterval(heartbeat);
        clearInterval(poll);
      };
      const finish = () => {
        res.write(`event: end\ndata: {}\n\n`);
        cleanup();
        res.end();
      };
      const pump = async (): Promise<void> => {
        if (closed) return;
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            // Read the status first: events and the final status commit together,
            // so once it is terminal, one more read gets every event.
            const op = await getOperation(app.db, id);
            const done = op ? TERMINAL_STATUSES.includes(op.status) : true;
            let batch: StoredEvent[];
            do {
              batch = await listEvents(app.db, id, cursor, 500);
              for (const e of batch) {
                if (closed) return;
                res.write(sseFrame(e));
                cursor = e.seq;
              }
            } while (batch.length === 500);
            if (done) return finish();
          } while (again && !closed);
        } catch (err) {
          req.log.warn({ err: { message: (err as Error).message } }, "event stream read failed");
        } finally {
          pumping = false;
        }
      };
      const offEvent = app.bus.onEvent(id, () => void pump());
      const offOp = app.bus.onOperation(id, () => void pump());
      const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), opts.heartbeatMs ?? 15_000);
      const poll = setInterval(() => void pump(), opts.pollMs ?? 2_000);
      req.raw.on("close", cleanup);
      res.on("close", cleanup);
      await pump();
    },
  });
};
