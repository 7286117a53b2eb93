/**
 * /v1/environments/:name/drift: queue a check now (an operation of kind
 * `drift`, 202 + operation), the latest result, and the history of checks
 * and skipped scheduled occurrences. Property names only, never values.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { LAYERS } from "../../programs/layers/types.js";
import { driftHistoryView, driftResultView } from "../drift/view.js";
import { driftHistory, latestDriftResult } from "../drift/store.js";
import { DomainError, notFound } from "../errors.js";
import { environmentExisted, getEnvironment } from "../store/environments.js";
import { accepted, requestContext } from "./environments.js";
import { Engine, IdempotencyHeaders, NameParams, Operation, OperationError, numberedPage, Pagination, Problem, authProblems } from "./schemas.js";

function named<T extends z.ZodType>(id: string, schema: T): T {
  if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
  return schema;
}

export const DriftResource = named(
  "DriftResource",
  z.object({
    layer: z.enum(LAYERS),
    urn: z.string(),
    type: z.string(),
    kind: z.enum(["cloud", "pending"]).describe("cloud: changed behind Pulumi's back; pending: the spec or program differs from what was applied"),
    change: z.enum(["create", "update", "replace", "delete"]),
    properties: z.array(z.string()).describe("changed property names (never values)"),
  }),
);

export const DriftResult = named(
  "DriftResult",
  z.object({
    environment: z.string(),
    status: z.enum(["in_sync", "drifted", "error"]),
    checkedAt: z.iso.datetime(),
    engine: Engine,
    operationId: z.uuid().nullable(),
    counts: z.object({ cloud: z.number().int(), pending: z.number().int() }),
    resources: z.array(DriftResource),
    error: OperationError.optional(),
    remediation: z
      .union([z.object({ operationId: z.uuid() }), z.object({ skipped: z.string() })])
      .optional()
      .describe("with drift.remediate: the `up` (with refresh) queued for cloud drift, or why none was"),
  }),
);

export const SkippedCheck = named(
  "SkippedDriftCheck",
  z.object({
    environment: z.string(),
    status: z.literal("skipped"),
    checkedAt: z.iso.datetime(),
    occurrence: z.iso.datetime().describe("the scheduled time that was skipped"),
    reason: z.string(),
  }),
);

export const DriftHistory = named(
  "DriftHistory",
  z.object({ items: z.array(z.union([DriftResult, SkippedCheck])), nextCursor: z.string().nullable(), engine: Engine }),
);

export const driftRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ["drift"];

  app.post("/v1/environments/:name/drift", {
    config: { auth: "operator" },
    schema: {
      tags,
      summary: "Queue a drift check now (an operation of kind `drift`; changes nothing)",
      params: NameParams,
      headers: IdempotencyHeaders,
      response: { 202: Operation, 400: Problem, ...authProblems, 404: Problem, 422: Problem, 503: Problem },
    },
    handler: async (req, reply) => accepted(req, reply, await app.operations.submit(req.params.name, "drift", requestContext(req, null))),
  });

  app.get("/v1/environments/:name/drift", {
    config: { auth: "viewer" },
    schema: {
      tags,
      summary: "The latest drift result",
      params: NameParams,
      response: { 200: DriftResult, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      if (!(await getEnvironment(app.db, req.params.name))) throw notFound("environment", req.params.name);
      const latest = await latestDriftResult(app.db, req.params.name);
      if (!latest) throw new DomainError("NOT_FOUND", `environment ${req.params.name} has not been checked for drift yet; POST to this path to check now`);
      return driftResultView(latest);
    },
  });

  app.get("/v1/environments/:name/drift/history", {
    config: { auth: "viewer" },
    schema: {
      tags,
      summary: "Past drift checks and skipped scheduled checks, newest first (kept after the environment is destroyed)",
      params: NameParams,
      querystring: Pagination,
      response: { 200: DriftHistory, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      if (!(await environmentExisted(app.db, req.params.name))) throw notFound("environment", req.params.name);
      const { page, nextCursor } = await numberedPage(req.query, (limit, before) => driftHistory(app.db, req.params.name, limit, before), (r) => r.id);
      return {
        items: page.map(driftHistoryView),
        nextCursor,
        engine: app.engine.name,
      };
    },
  });
};
