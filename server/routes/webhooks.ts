/**
 * /v1/webhooks (admin): notification endpoints and their delivery attempts.
 * The signing secret is returned only by the POST that created the webhook
 * (generated when the body has none); it is kept to sign, never shown again.
 */
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { DomainError } from "../errors.js";
import { deleteWebhook, getWebhook, insertWebhook, listDeliveries, listWebhooks, WEBHOOK_EVENTS, type WebhookRecord } from "../notify/store.js";
import { numberedPage, Pagination, Problem, authProblems } from "./schemas.js";

function named<T extends z.ZodType>(id: string, schema: T): T {
  if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
  return schema;
}

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .max(2048)
  .refine((u) => {
    // Refinements run even after a failed format check: never throw here.
    const url = URL.canParse(u) ? new URL(u) : undefined;
    return !url?.username && !url?.password;
  }, "must not carry credentials (the URL is shown to every admin); use the signature to authenticate deliveries");

export const WebhookCreate = z.strictObject({
  url: WebhookUrl,
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).optional().describe("events to receive (all when absent)"),
  secret: z.string().min(16, "must be at least 16 characters").max(256).optional().describe("HMAC key for Goldenpath-Signature (generated when absent)"),
});

export const Webhook = named(
  "Webhook",
  z.object({ id: z.uuid(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)), createdBy: z.string().nullable(), createdAt: z.iso.datetime() }),
);
export const WebhookCreated = named("WebhookCreated", Webhook.extend({ secret: z.string().describe("the signing secret: shown once, never again") }));
export const WebhookList = named("WebhookList", z.object({ items: z.array(Webhook) }));
export const Delivery = named(
  "WebhookDelivery",
  z.object({
    id: z.number().int(),
    eventId: z.uuid().describe("the body's `id`: the same on every attempt"),
    event: z.enum(WEBHOOK_EVENTS),
    attempt: z.number().int(),
    status: z.enum(["succeeded", "failed"]),
    responseCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    at: z.iso.datetime(),
  }),
);
export const DeliveryList = named("WebhookDeliveryList", z.object({ items: z.array(Delivery), nextCursor: z.string().nullable() }));

const WebhookParams = z.strictObject({ id: z.uuid("must be a webhook id (UUID)") });

const view = (w: WebhookRecord) => ({ id: w.id, url: w.url, events: w.events, createdBy: w.createdBy, createdAt: w.createdAt.toISOString() });
const noSuchWebhook = (id: string) => new DomainError("NOT_FOUND", `webhook ${id} not found`);

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ["webhooks"];
  const admin = { auth: "admin" } as const;

  app.post("/v1/webhooks", {
    config: admin,
    schema: {
      tags,
      summary: "Register a webhook; its signing secret is in this answer only",
      body: WebhookCreate,
      response: { 201: WebhookCreated, 400: Problem, ...authProblems, 413: Problem, 415: Problem },
    },
    handler: async (req, reply) => {
      const secret = req.body.secret ?? `whsec_${randomBytes(32).toString("base64url")}`;
      const hook = await insertWebhook(app.db, { url: req.body.url, secret, events: req.body.events ?? [...WEBHOOK_EVENTS], createdBy: req.principal?.name });
      reply.code(201).header("location", `/v1/webhooks/${hook.id}`).header("cache-control", "no-store");
      return { ...view(hook), secret };
    },
  });

  app.get("/v1/webhooks", {
    config: admin,
    schema: { tags, summary: "Registered webhooks (never their secrets)", response: { 200: WebhookList, ...authProblems } },
    handler: async () => ({ items: (await listWebhooks(app.db)).map(view) }),
  });

  app.delete("/v1/webhooks/:id", {
    config: admin,
    schema: { tags, summary: "Remove a webhook and its delivery log", params: WebhookParams, response: { 204: z.null(), 400: Problem, ...authProblems, 404: Problem } },
    handler: async (req, reply) => {
      if (!(await deleteWebhook(app.db, req.params.id))) throw noSuchWebhook(req.params.id);
      return reply.code(204).send(null);
    },
  });

  app.get("/v1/webhooks/:id/deliveries", {
    config: admin,
    schema: {
      tags,
      summary: "Every delivery attempt of a webhook, newest first",
      params: WebhookParams,
      querystring: Pagination,
      response: { 200: DeliveryList, 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req) => {
      if (!(await getWebhook(app.db, req.params.id))) throw noSuchWebhook(req.params.id);
      const { page, nextCursor } = await numberedPage(req.query, (limit, before) => listDeliveries(app.db, req.params.id, limit, before), (d) => d.id);
      return {
        items: page.map((d) => ({ ...d, at: d.at.toISOString() })).map(({ webhookId: _w, ...d }) => d),
        nextCursor,
      };
    },
  });
};
