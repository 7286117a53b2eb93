/**
 * Outputs of an environment's layers, from the store (updated after each
 * successful operation) — never by running the engine per request. Secret
 * outputs read "[secret]" unless an admin passes `?showSecrets=true`.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { requireRole } from "../auth/plugin.js";
import { notFound } from "../errors.js";
import { outputsView } from "../operations/views.js";
import { getEnvironment } from "../store/environments.js";
import { getOutputs } from "../store/outputs.js";
import { NameParams, Outputs, OutputsQuery, Problem, authProblems } from "./schemas.js";

export const outputRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get("/v1/environments/:name/outputs", {
    schema: {
      tags: ["environments"],
      summary: "Outputs of all layers; secrets masked unless an admin asks",
      params: NameParams,
      querystring: OutputsQuery,
      response: { 200: Outputs, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      if (req.query.showSecrets) requireRole(req, "admin");
      const env = await getEnvironment(app.db, req.params.name);
      if (!env) throw notFound("environment", req.params.name);
      const stored = await getOutputs(app.db, env.name);
      const view = outputsView(stored.layers, req.query.showSecrets);
      return {
        environment: env.name,
        engine: env.engine as "pulumi" | "simulate",
        operationId: stored.operationId,
        updatedAt: stored.updatedAt ? stored.updatedAt.toISOString() : null,
        ...view,
      };
    },
  });
};
