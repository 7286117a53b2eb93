/**
 * Coded domain errors and their RFC 9457 problem+json rendering. The one
 * error handler (`problemErrorHandler`) lives here so that every route answers
 * failures in the same shape: known codes with their status and a safe
 * message; request validation as 400 with field paths; anything else a 500
 * with a generic body, logged with the request id. No stack trace, engine
 * stderr or secret ever reaches a client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { SpecError } from "../programs/spec.js";
import { EngineError } from "./engine/port.js";

export const PROBLEM_BASE = "https://goldenpath.dev/problems/";

/** Domain error codes and the HTTP status each one answers with. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ENVIRONMENT_NOT_FOUND: 404,
  OPERATION_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  ENVIRONMENT_EXISTS: 409,
  ENVIRONMENT_DELETED: 409,
  OPERATION_NOT_CANCELLABLE: 409,
  TOKEN_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  NOT_IMPLEMENTED: 501,
  ENGINE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** One field-level problem of a 400: dotted path (`cluster.nodeGroups.0.name`) and message. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** A failure the API knows how to explain. `message` must be safe for any client. */
export class DomainError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldIssue[],
  ) {
    super(message);
    this.name = "DomainError";
    this.statusCode = ERROR_STATUS[code];
  }
}

export const notFound = (what: "environment" | "operation" | "token", id: string) =>
  new DomainError(`${what.toUpperCase()}_NOT_FOUND` as ErrorCode, `${what} ${id} not found`);

/** RFC 9457 body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldIssue[];
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

export function problem(status: number, code: string, detail: string, req?: FastifyRequest, errors?: FieldIssue[]): Problem {
  return {
    type: PROBLEM_BASE + code.toLowerCase().replace(/_/g, "-"),
    title: TITLES[status] ?? "Error",
    status,
    detail,
    code,
    ...(req ? { instance: req.url.split("?")[0], requestId: String(req.id) } : {}),
    ...(errors ? { errors } : {}),
  };
}

function zodIssuePath(instancePath: string, part: string, schemaPath: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  // Query, params and header issues name their part, so `limit` is not mistaken for a body field.
  const prefix = part && part !== "body" ? [part] : [];
  return [...prefix, ...parts].join(".") || schemaPath;
}

/** Turn a fastify/zod validation error into field issues. */
function validationIssues(err: FastifyError): FieldIssue[] {
  if (hasZodFastifySchemaValidationErrors(err)) {
    return err.validation.flatMap((v) => {
      const keys = (v.params as { keys?: unknown }).keys;
      const base = zodIssuePath(v.instancePath, err.validationContext ?? "", "");
      // zod reports unknown keys on the parent object; name each key's own path.
      if (v.keyword === "unrecognized_keys" && Array.isArray(keys)) {
        return keys.map((k) => ({ path: base ? `${base}.${k}` : String(k), message: `unknown field ${k}` }));
      }
      return [{ path: base, message: v.message }];
    });
  }
  return [{ path: "", message: err.message }];
}

/** The one error handler (registered by `server/app.ts`). */
export function problemErrorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) {
    return reply
      .code(err.statusCode)
      .type("application/problem+json")
      .send(problem(err.statusCode, err.code, err.message, req, err.errors));
  }
  if (err instanceof SpecError) {
    return reply.code(400).type("application/problem+json").send(problem(400, "VALIDATION_FAILED", "the environment spec is invalid", req, err.issues));
  }
  if (err instanceof EngineError && err.code === "ENGINE_UNAVAILABLE") {
    const detail = err.fix ? `${err.message} (${err.fix})` : err.message;
    return reply.code(503).type("application/problem+json").send(problem(503, "ENGINE_UNAVAILABLE", detail, req));
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    return reply
      .code(400)
      .type("application/problem+json")
      .send(problem(400, "VALIDATION_FAILED", `request ${fe.validationContext ?? ""} is invalid`.replace("  ", " "), req, validationIssues(fe)));
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err: { message: err.message, issues: err.cause.issues } }, "response did not match its schema");
    return reply.code(500).type("application/problem+json").send(problem(500, "INTERNAL", "internal error; see the server log for this request id", req));
  }
  // Fastify's own client errors (body too large, bad JSON, bad content type) carry a 4xx status.
  const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
  if (status === 413) {
    return reply.code(413).type("application/problem+json").send(problem(413, "PAYLOAD_TOO_LARGE", "request body is too large", req, [{ path: "", message: "request body is too large" }]));
  }
  if (status === 415) {
    return reply.code(415).type("application/problem+json").send(problem(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json", req));
  }
  if (status >= 400 && status < 500) {
    // e.g. FST_ERR_CTP_INVALID_JSON / empty body: the message is fastify's, with no user data beyond position.
    const detail = fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY" ? "body must not be empty" : fe.code?.startsWith("FST_ERR_CTP") ? "body is not valid JSON" : "bad request";
    return reply.code(status).type("application/problem+json").send(problem(status, "VALIDATION_FAILED", detail, req, [{ path: "", message: detail }]));
  }
  req.log.error({ err: { message: err.message, code: fe.code, name: err.name } }, "unhandled error");
  return reply.code(500).type("application/problem+json").send(problem(500, "INTERNAL", "internal error; see the server log for this request id", req));
}
