/**
 * /v1/environments: store a spec and queue `up`, list, read, replace, and
 * queue `destroy`. Mutations answer 202 with the queued operation and its
 * `Location`; an `Idempotency-Key` returns the first answer again.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { EnvironmentSpec } from "../../programs/spec.js";
import { notFound } from "../errors.js";
import type { RequestContext, Submitted } from "../operations/service.js";
import { environmentDetailView, environmentSummaryView, operationView } from "../operations/views.js";
import { latestDrift } from "../store/drift.js";
import { getEnvironment, listEnvironments } from "../store/environments.js";
import { latestOperations } from "../store/operations.js";
import { getOutputs } from "../store/outputs.js";
import { EnvironmentDetail, EnvironmentList, IdempotencyHeaders, NameParams, Operation, Pagination, Problem, authProblems } from "./schemas.js";

/** Who asks and with which Idempotency-Key, for the operation service. */
export function requestContext(req: FastifyRequest, body: unknown): RequestContext {
  const key = (req.headers as Record<string, string | undefined>)["idempotency-key"];
  return {
    requestedBy: req.principal?.name,
    ...(key ? { idempotency: { key, method: req.method, path: req.url.split("?")[0], body } } : {}),
  };
}

/** 202 with the operation, its Location, and whether an Idempotency-Key replayed it. */
export function accepted(req: FastifyRequest, reply: FastifyReply, s: Submitted) {
  reply.code(202).header("location", `/v1/operations/${s.operation.id}`);
  if (s.replayed) reply.header("idempotent-replayed", "true");
  return operationView(s.operation, { admin: req.principal?.role === "admin" });
}

const mutationProblems = { 400: Problem, ...authProblems, 413: Problem, 415: Problem, 422: Problem, 503: Problem };

export const environmentRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post("/v1/environments", {
    schema: {
      tags: ["environments"],
      summary: "Store an environment spec and queue its first `up`",
      headers: IdempotencyHeaders,
      body: EnvironmentSpec,
      response: { 202: Operation, ...mutationProblems, 409: Problem },
    },
    handler: async (req, reply) => accepted(req, reply, await app.operations.createEnvironment(req.body, requestContext(req, req.body))),
  });

  app.get("/v1/environments", {
    schema: {
      tags: ["environments"],
      summary: "List environments with status, last operation and drift status",
      querystring: Pagination,
      response: { 200: EnvironmentList, 400: Problem, ...authProblems },
    },
    handler: async (req) => {
      const after = req.query.cursor ? Buffer.from(req.query.cursor, "base64url").toString("utf8") : undefined;
      const envs = await listEnvironments(app.db, req.query.limit + 1, after);
      const page = envs.slice(0, req.query.limit);
      const last = await latestOperations(app.db, page.map((e) => e.name));
      const drift = await latestDrift(app.db, page.map((e) => e.name));
      return {
        items: page.map((e) => environmentSummaryView(e, last.get(e.name), drift.get(e.name))),
        nextCursor: envs.length > req.query.limit ? Buffer.from(page[page.length - 1].name).toString("base64url") : null,
        engine: app.engine.name,
      };
    },
  });

  app.get("/v1/environments/:name", {
    schema: {
      tags: ["environments"],
      summary: "An environment's spec, revision, status and layers",
      params: NameParams,
      response: { 200: EnvironmentDetail, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      const env = await getEnvironment(app.db, req.params.name);
      if (!env) throw notFound("environment", req.params.name);
      const last = (await latestOperations(app.db, [env.name])).get(env.name);
      const outputs = await getOutputs(app.db, env.name);
      const drift = (await latestDrift(app.db, [env.name])).get(env.name);
      return environmentDetailView(env, last, outputs.layers, drift);
    },
  });

  app.put("/v1/environments/:name", {
    schema: {
      tags: ["environments"],
      summary: "Replace an environment's spec and queue `up`",
      params: NameParams,
      headers: IdempotencyHeaders,
      body: EnvironmentSpec,
      response: { 202: Operation, ...mutationProblems, 404: Problem },
    },
    handler: async (req, reply) => accepted(req, reply, await app.operations.replaceEnvironment(req.params.name, req.body, requestContext(req, req.body))),
  });

  app.delete("/v1/environments/:name", {
    schema: {
      tags: ["environments"],
      summary: "Queue `destroy` (the environment goes when it succeeds; its history stays)",
      params: NameParams,
      headers: IdempotencyHeaders,
      response: { 202: Operation, ...mutationProblems, 404: Problem },
    },
    handler: async (req, reply) => accepted(req, reply, await app.operations.submit(req.params.name, "destroy", requestContext(req, null))),
  });
};
