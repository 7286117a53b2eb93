/** /v1/tokens (admin): create (the value is shown once), list, revoke. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { generateToken, hashToken } from "../auth/tokens.js";
import { DomainError, notFound } from "../errors.js";
import { insertToken, listTokens, revokeToken, type TokenRecord } from "../store/tokens.js";
import { Problem, TokenCreate, TokenCreated, TokenList, TokenParams, authProblems } from "./schemas.js";

const view = (t: TokenRecord) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt.toISOString(),
  lastUsed: t.lastUsed ? t.lastUsed.toISOString() : null,
});

export const tokenRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post("/v1/tokens", {
    config: { auth: "admin" },
    schema: {
      tags: ["tokens"],
      summary: "Create an API token; its value is in this answer only",
      body: TokenCreate,
      response: { 201: TokenCreated, 400: Problem, ...authProblems, 409: Problem, 413: Problem, 415: Problem },
    },
    handler: async (req, reply) => {
      const token = generateToken();
      const rec = await insertToken(app.db, req.body.name, req.body.role, hashToken(token));
      if (!rec) throw new DomainError("TOKEN_EXISTS", `an active token is already named ${req.body.name}`);
      reply.code(201).header("cache-control", "no-store");
      return { ...view(rec), token };
    },
  });

  app.get("/v1/tokens", {
    config: { auth: "admin" },
    schema: { tags: ["tokens"], summary: "Active tokens (names and roles; never values)", response: { 200: TokenList, ...authProblems } },
    handler: async () => ({ items: (await listTokens(app.db)).map(view) }),
  });

  app.delete("/v1/tokens/:id", {
    config: { auth: "admin" },
    schema: {
      tags: ["tokens"],
      summary: "Revoke a token",
      params: TokenParams,
      response: { 204: z.null().describe("revoked"), 400: Problem, ...authProblems, 404: Problem },
    },
    handler: async (req, reply) => {
      if (!(await revokeToken(app.db, req.params.id))) throw notFound("token", req.params.id);
      return reply.code(204).send(null);
    },
  });
};

