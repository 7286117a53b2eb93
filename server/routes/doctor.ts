/**
 * GET /v1/doctor (admin): the `goldenpath doctor` checks, run by the server
 * against its own configuration and database. Always 200: the body says
 * which checks failed and how to fix them (a failing check is an answer, not
 * an error of this endpoint).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Config } from "../config.js";
import { runDoctor } from "../doctor/doctor.js";
import { authProblems } from "./schemas.js";

const CheckSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  status: z.enum(["pass", "fail", "skip"]),
  detail: z.string(),
  fix: z.string().optional(),
});

export const DoctorReportSchema = z
  .object({
    engine: z.enum(["pulumi", "simulate"]),
    ok: z.boolean().describe("every check that applies to this engine passed"),
    checks: z.array(CheckSchema),
  })
  .meta({ id: "DoctorReport" });

export interface DoctorRouteOptions {
  config: Pick<Config, "engine" | "dataDir" | "backendUrl" | "secretsProvider" | "pulumiVersion">;
  /** The server's pool check (e.g. `select 1`). */
  checkDatabase?: () => Promise<void>;
  /** Directory of checked-in specs; default `./stacks`. */
  stacksDir?: string;
}

export const doctorRoutes: FastifyPluginAsyncZod<DoctorRouteOptions> = async (app, opts) => {
  app.get("/v1/doctor", {
    config: { auth: "admin" },
    schema: {
      tags: ["doctor"],
      summary: "Check this host for the configured engine: Pulumi CLI, plugins, AWS, backend, secrets, data dir, database",
      response: { 200: DoctorReportSchema, ...authProblems },
    },
    handler: async (_req, reply) => {
      reply.header("cache-control", "no-store");
      return runDoctor({ ...opts.config, stacksDir: opts.stacksDir, checkDatabase: opts.checkDatabase, databaseSkipReason: "no database check configured" });
    },
  });
};
