/**
 * POST /v1/environments/:name/preflight: the preflight phase alone, on the
 * environment's stored spec — resolve every source image, check it exists
 * for the node groups' architectures and fits its chart. Changes nothing,
 * stores nothing; the same checks run before every `up`.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { validateSpec } from "../../programs/spec.js";
import { notFound } from "../errors.js";
import { getEnvironment } from "../store/environments.js";
import { Engine, NameParams, Problem, authProblems } from "./schemas.js";

const Finding = z.object({
  rule: z.string(),
  severity: z.enum(["error", "warning"]),
  app: z.string(),
  image: z.string(),
  message: z.string(),
});

export const PreflightReport = z
  .object({
    environment: z.string(),
    engine: Engine,
    ok: z.boolean().describe("no finding is an error"),
    simulated: z.boolean().describe("images were not resolved (simulate engine without GOLDENPATH_SIMULATE_REGISTRY); only the rules were checked"),
    images: z.record(z.string(), z.object({ source: z.string(), digest: z.string().optional(), platforms: z.array(z.string()).optional() })),
    findings: z.array(Finding),
  })
  .meta({ id: "PreflightReport" });

export const preflightRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post("/v1/environments/:name/preflight", {
    // It reaches out to registries on the server's credentials: operators only.
    config: { auth: "operator" },
    schema: {
      tags: ["environments"],
      summary: "Resolve the environment's images, check platforms and chart pairing; no changes",
      params: NameParams,
      response: { 200: PreflightReport, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      const env = await getEnvironment(app.db, req.params.name);
      if (!env) throw notFound("environment", req.params.name);
      const report = await app.images.preflight(validateSpec(env.spec), AbortSignal.timeout(120_000));
      return {
        environment: env.name,
        engine: app.engine.name,
        ok: report.ok,
        simulated: report.simulated,
        images: Object.fromEntries(Object.entries(report.images).map(([app, i]) => [app, { source: i.source, digest: i.digest, platforms: i.platforms ? [...i.platforms] : undefined }])),
        findings: report.findings.map((f) => ({ ...f })),
      };
    },
  });
};
