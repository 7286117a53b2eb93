/**
 * POST /v1/plan: the offline plan of a spec (resource graph + policy
 * findings) from `programs/plan.ts`, with no engine and no cloud. Answers
 * 501 until that module is part of the build.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { EnvironmentSpec } from "../../programs/spec.js";
import { isModuleNotFound } from "../engine/index.js";
import { DomainError } from "../errors.js";
import { Problem, authProblems } from "./schemas.js";

// In a variable so this file type-checks whether or not programs/plan.ts exists yet.
const PLAN_MODULE = "../../programs/plan.js";

type PlanFn = (spec: EnvironmentSpec, opts?: Record<string, unknown>) => Promise<Record<string, unknown>>;

let planFn: Promise<PlanFn | undefined> | undefined;
function loadPlan(): Promise<PlanFn | undefined> {
  planFn ??= import(new URL(PLAN_MODULE, import.meta.url).href).then(
    (m: Record<string, unknown>) => (typeof m.planEnvironment === "function" ? (m.planEnvironment as PlanFn) : undefined),
    (err: NodeJS.ErrnoException) => {
      if (isModuleNotFound(err)) return undefined;
      throw err;
    },
  );
  return planFn;
}

const Plan = z.looseObject({ environment: z.unknown(), layers: z.unknown(), findings: z.unknown() });

export const planRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post("/v1/plan", {
    // Read-only: a plan changes nothing, so viewers may ask for one.
    config: { auth: "viewer" },
    schema: {
      tags: ["plan"],
      summary: "Offline plan of a spec: resource graph and policy findings",
      body: EnvironmentSpec,
      response: { 200: Plan, 400: Problem, ...authProblems, 413: Problem, 415: Problem, 501: Problem },
    },
    handler: async (req) => {
      const plan = await loadPlan();
      if (!plan) throw new DomainError("NOT_IMPLEMENTED", "offline planning (programs/plan.ts) is not part of this build yet");
      const result = await plan(req.body);
      return { environment: result.environment, layers: result.layers, findings: result.findings, ...result };
    },
  });
};
