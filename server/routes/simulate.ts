/**
 * `/v1/simulate/…`: test and demo controls of the `simulate` engine — inject
 * failures into resource steps, change the simulated cloud behind a stack's
 * back (drift), and look at that cloud. Registered by `server/app.ts` only
 * when the engine is `simulate`; every route needs the operator role.
 *
 * The cloud listing carries property names only, never values: stored
 * inputs include generated passwords.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { LAYERS } from "../../programs/layers/types.js";
import { SimulationTargetError, type SimulateEngine } from "../engine/simulate.js";
import { DomainError } from "../errors.js";
import { NameParams, Problem, authProblems } from "./schemas.js";

const Layer = z.enum(LAYERS).describe("only this layer's stack (both when absent)");
const ResourceSelector = z.string().min(1).max(512).describe("resource logical name, URN or type token");

export const FailureRequest = z.strictObject({
  layer: Layer.optional(),
  resource: ResourceSelector,
  message: z.string().min(1).max(500).describe("the provider error the step reports"),
  op: z.enum(["create", "update", "delete"]).optional().describe("only this kind of step (any changing step when absent)"),
  times: z.number().int().min(1).max(1000).optional().describe("fail this many times, then succeed (until cleared when absent)"),
});

const InjectedFailure = z.object({
  id: z.string(),
  layer: Layer.optional(),
  resource: z.string(),
  message: z.string(),
  op: z.enum(["create", "update", "delete"]).optional(),
  remaining: z.number().int().optional(),
});

export const ChangeRequest = z
  .strictObject({
    layer: Layer.optional(),
    resource: ResourceSelector.describe("must match exactly one resource"),
    set: z
      .record(z.string().min(1).max(128), z.unknown())
      .optional()
      .describe("properties to set on the actual resource (e.g. {\"publiclyAccessible\": true})"),
    delete: z.literal(true).optional().describe("delete the actual resource"),
  })
  .superRefine((body, ctx) => {
    const hasSet = body.set !== undefined && Object.keys(body.set).length > 0;
    if (body.set !== undefined && !hasSet) ctx.addIssue({ code: "custom", path: ["set"], message: "name at least one property" });
    if (hasSet && body.delete) ctx.addIssue({ code: "custom", path: ["delete"], message: "either set properties or delete, not both" });
    if (body.set === undefined && !body.delete) ctx.addIssue({ code: "custom", path: ["set"], message: "give set or delete" });
  });

const CloudResource = z.object({
  layer: z.enum(LAYERS),
  urn: z.string(),
  type: z.string(),
  name: z.string(),
  status: z.enum(["in_sync", "drifted", "deleted"]),
  properties: z.array(z.string()).describe("property names, never values"),
  driftedProperties: z.array(z.string()),
});

const base = { engine: z.literal("simulate"), environment: z.string() };
const FailureCreated = z.object({ ...base, failure: InjectedFailure });
const FailureList = z.object({ ...base, failures: z.array(InjectedFailure) });
const FailuresCleared = z.object({ ...base, cleared: z.number().int() });
const ChangeApplied = z.object({ ...base, resource: CloudResource });
const CloudListing = z.object({ ...base, resources: z.array(CloudResource) });

/** Map a selector problem to the API's errors: 404 when nothing matches, 400 (field `resource`) otherwise. */
function targetError(err: unknown): unknown {
  if (!(err instanceof SimulationTargetError)) return err;
  if (err.reason === "not-found") return new DomainError("NOT_FOUND", err.message);
  return new DomainError("VALIDATION_FAILED", err.message, [{ path: "resource", message: err.message }]);
}

export const simulateRoutes: FastifyPluginAsyncZod<{ engine: SimulateEngine }> = async (app, opts) => {
  const { engine } = opts;
  const tags = ["simulate"];
  const operator = { auth: "operator" } as const;
  const prefix = "/v1/simulate/environments/:name";

  app.post(`${prefix}/failures`, {
    config: operator,
    schema: {
      tags,
      summary: "Make a resource step fail in the next operations (simulate engine only)",
      params: NameParams,
      body: FailureRequest,
      response: { 201: FailureCreated, 400: Problem, ...authProblems, 413: Problem, 415: Problem },
    },
    handler: async (req, reply) => {
      const failure = engine.injectFailure(req.params.name, req.body);
      return reply.code(201).send({ engine: "simulate" as const, environment: req.params.name, failure });
    },
  });

  app.get(`${prefix}/failures`, {
    config: operator,
    schema: { tags, summary: "Failures injected and not yet used up", params: NameParams, response: { 200: FailureList, 400: Problem, ...authProblems } },
    handler: async (req) => ({ engine: "simulate" as const, environment: req.params.name, failures: engine.listFailures(req.params.name) }),
  });

  app.delete(`${prefix}/failures`, {
    config: operator,
    schema: { tags, summary: "Clear every injected failure of the environment", params: NameParams, response: { 200: FailuresCleared, 400: Problem, ...authProblems } },
    handler: async (req) => ({ engine: "simulate" as const, environment: req.params.name, cleared: engine.clearFailures(req.params.name) }),
  });

  app.post(`${prefix}/changes`, {
    config: operator,
    schema: {
      tags,
      summary: "Change the simulated cloud behind the stack's back (out-of-band change, for drift)",
      params: NameParams,
      body: ChangeRequest,
      response: { 200: ChangeApplied, 400: Problem, ...authProblems, 404: Problem, 413: Problem, 415: Problem },
    },
    handler: async (req) => {
      try {
        const resource = engine.changeOutOfBand(req.params.name, req.body);
        return { engine: "simulate" as const, environment: req.params.name, resource };
      } catch (err) {
        throw targetError(err);
      }
    },
  });

  app.get(`${prefix}/cloud`, {
    config: operator,
    schema: {
      tags,
      summary: "The environment's simulated cloud: resources and property names (never values)",
      params: NameParams,
      response: { 200: CloudListing, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      const resources = engine.listCloud(req.params.name);
      if (!resources) throw new DomainError("NOT_FOUND", `environment ${req.params.name} has no simulated cloud`);
      return { engine: "simulate" as const, environment: req.params.name, resources };
    },
  });
};
