/**
 * POST /v1/plan: the offline plan of a spec (resource graph + policy
 * findings) from `programs/plan.ts`, with no engine and no cloud.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { EnvironmentSpec } from "../../programs/spec.js";
import { Problem, authProblems } from "./schemas.js";

const Plan = z.looseObject({ environment: z.unknown(), layers: z.unknown(), findings: z.unknown() });

export const planRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post("/v1/plan", {
    // Read-only: a plan changes nothing, so viewers may ask for one.
    config: { auth: "viewer" },
    schema: {
      tags: ["plan"],
      summary: "Offline plan of a spec: resource graph and policy findings",
      body: EnvironmentSpec,
      response: { 200: Plan, 400: Problem, ...authProblems, 413: Problem, 415: Problem },
    },
    handler: async (req) => {
      // Loaded on first use: the plan machinery pulls in the Pulumi SDK.
      const { planEnvironment } = await import("../../programs/plan.js");
      const result = await planEnvironment(req.body);
      return { ...result };
    },
  });
};
