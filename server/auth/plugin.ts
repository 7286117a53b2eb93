/**
 * Bearer-token authentication and role checks for every route, and the audit
 * trail. A route states what it needs in `config.auth` (`public`, or the
 * lowest role); without it GET/HEAD need `viewer` and anything else
 * `operator`. 401 for a missing or unknown token, 403 for a role too low.
 *
 * With `GOLDENPATH_OIDC_ISSUER`/`_AUDIENCE` set, a bearer JWT from that
 * issuer is accepted too (see `oidc.ts`); its role comes from a claim.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { DomainError, problem } from "../errors.js";
import { writeAudit } from "../store/audit.js";
import type { Role } from "../store/tokens.js";
import { touchToken } from "../store/tokens.js";
import { looksLikeJwt, OidcVerifier } from "./oidc.js";
import { roleAtLeast, verifyToken } from "./tokens.js";

/** Who made a request. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export type AuthRequirement = "public" | Role;

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the request was refused for its credentials (for the audit trail). */
    authFailure?: boolean;
  }
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const PUBLIC_PREFIXES = ["/docs"];

function requirement(req: FastifyRequest): AuthRequirement {
  const configured = req.routeOptions.config?.auth;
  if (configured) return configured;
  const url = req.routeOptions.url ?? "";
  if (PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(p + "/"))) return "public";
  return req.method === "GET" || req.method === "HEAD" ? "viewer" : "operator";
}

/** Throw 403 unless the request's principal has at least `role` (for checks inside handlers, e.g. showSecrets). */
export function requireRole(req: FastifyRequest, role: Role): void {
  if (!req.principal || !roleAtLeast(req.principal.role, role)) {
    throw new DomainError("FORBIDDEN", `this needs the ${role} role`);
  }
}

export const authPlugin = fp(
  async (app) => {
    const oidc = app.config.oidc ? new OidcVerifier(app.config.oidc) : undefined;
    app.decorateRequest("principal", undefined);
    app.decorateRequest("authFailure", false);
    // last_used is minute-grained: skip the UPDATE round trip on the hot path
    // when this process already wrote it within the minute.
    const touched = new Map<string, number>();

    app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
      const need = requirement(req);
      if (need === "public") return;
      const header = req.headers.authorization ?? "";
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      let token: { id: string; name: string; role?: Role } | undefined;
      if (match && oidc && looksLikeJwt(match[1])) {
        const id = await oidc.verify(match[1]);
        if (id) token = { id: `oidc:${id.subject}`, name: id.name, role: id.role };
      } else if (match) {
        token = await verifyToken(app.db, match[1]);
      }
      if (token && !token.role) {
        req.authFailure = true;
        req.principal = { tokenId: token.id, name: token.name, role: "viewer" };
        return reply.code(403).type("application/problem+json").send(problem(403, "FORBIDDEN", `the token's ${app.config.oidc?.roleClaim} claim names no goldenpath role`, req));
      }
      if (!token) {
        req.authFailure = true;
        const detail = header ? "the bearer token is not valid" : "send Authorization: Bearer <token>";
        return reply.code(401).header("www-authenticate", 'Bearer realm="goldenpath"').type("application/problem+json").send(problem(401, "UNAUTHENTICATED", detail, req));
      }
      const role = token.role!;
      req.principal = { tokenId: token.id, name: token.name, role };
      if (!roleAtLeast(role, need)) {
        req.authFailure = true;
        return reply.code(403).type("application/problem+json").send(problem(403, "FORBIDDEN", `this needs the ${need} role; token ${token.name} is ${role}`, req));
      }
      if (!token.id.startsWith("oidc:") && Date.now() - (touched.get(token.id) ?? 0) > 60_000) {
        touched.set(token.id, Date.now());
        touchToken(app.db, token.id).catch(() => touched.delete(token.id));
      }
    });

    app.addHook("onResponse", async (req, reply) => {
      if (!MUTATING.has(req.method) && !req.authFailure) return;
      const params = (req.params ?? {}) as Record<string, unknown>;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const environment = typeof params.name === "string" ? params.name : typeof body?.name === "string" && req.url.startsWith("/v1/environments") ? body.name : null;
      await writeAudit(app.db, {
        tokenName: req.principal?.name ?? null,
        method: req.method,
        path: req.url.split("?")[0].slice(0, 500),
        status: reply.statusCode,
        environment: environment ? String(environment).slice(0, 100) : null,
        requestId: String(req.id),
      }).catch((err: Error) => req.log.warn({ err: { message: err.message } }, "could not write the audit trail"));
    });
  },
  { name: "goldenpath-auth", dependencies: ["goldenpath-store"] },
);
