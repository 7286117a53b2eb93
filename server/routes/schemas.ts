/**
 * Request and response schemas shared by the route plugins. Named ones are
 * registered with zod's global registry so the OpenAPI document refers to
 * them by `$ref`. Request objects are strict: unknown fields are rejected.
 */
import { z } from "zod";
import { ENGINE_NAMES } from "../engine/port.js";
import { OPERATION_KINDS, OPERATION_STATUSES, PHASE_NAMES, PHASE_STATUSES } from "../store/operations.js";
import { ENVIRONMENT_STATUSES } from "../store/environments.js";
import { ROLES } from "../store/tokens.js";

function named<T extends z.ZodType>(id: string, schema: T): T {
  if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
  return schema;
}

/** Environment names, checked before any lookup (same rule as `spec.name`). */
export const EnvironmentName = z
  .string()
  .min(1)
  .max(20)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a lowercase DNS-1123 label of at most 20 characters");

export const NameParams = z.strictObject({ name: EnvironmentName });
export const OperationParams = z.strictObject({ id: z.uuid("must be an operation id (UUID)") });
export const TokenParams = z.strictObject({ id: z.uuid("must be a token id (UUID)") });

/** `Idempotency-Key`: printable, no spaces, at most 255 characters. */
export const IdempotencyHeaders = z.looseObject({
  "idempotency-key": z
    .string()
    .min(1, "must not be empty")
    .max(255, "must be at most 255 characters")
    .regex(/^[A-Za-z0-9._:~+/=-]+$/, "may contain only letters, digits and . _ : ~ + / = -")
    .optional(),
});

/**
 * One page of a newest-first list keyed by an increasing number (operation
 * seq, row id): fetch one row more than asked to learn whether a next page
 * exists; the cursor is the last key served.
 */
export async function numberedPage<T>(
  query: { limit: number; cursor?: string },
  fetch: (limit: number, before: number | undefined) => Promise<T[]>,
  key: (row: T) => number | string,
): Promise<{ page: T[]; nextCursor: string | null }> {
  const before = query.cursor && /^\d+$/.test(query.cursor) ? Number(query.cursor) : undefined;
  const rows = await fetch(query.limit + 1, before);
  const page = rows.slice(0, query.limit);
  return { page, nextCursor: rows.length > query.limit ? String(key(page[page.length - 1])) : null };
}

export const Pagination = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, "not a cursor from a previous page")
    .optional(),
});

export const Engine = z.enum(ENGINE_NAMES).describe("the engine that produced this result");

export const Problem = named(
  "Problem",
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
);

export const ChangeSummary = named(
  "ChangeSummary",
  z.object({ create: z.number().int(), update: z.number().int(), replace: z.number().int(), delete: z.number().int(), same: z.number().int() }),
);

export const Phase = named(
  "Phase",
  z.object({
    name: z.enum(PHASE_NAMES),
    status: z.enum(PHASE_STATUSES),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    message: z.string().optional(),
    summary: ChangeSummary.optional(),
  }),
);

export const OperationError = named(
  "OperationError",
  z.object({ code: z.string(), message: z.string(), urn: z.string().optional(), fix: z.string().optional() }),
);

export const Operation = named(
  "Operation",
  z.object({
    id: z.uuid(),
    environment: z.string(),
    kind: z.enum(OPERATION_KINDS),
    status: z.enum(OPERATION_STATUSES),
    engine: Engine,
    specRevision: z.number().int(),
    phases: z.array(Phase),
    summary: ChangeSummary.nullable(),
    error: OperationError.nullable(),
    /** Redacted engine output; only in answers to admins. */
    errorDetail: z.string().nullable().optional(),
    requestedBy: z.string().nullable(),
    cancelRequested: z.boolean(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    links: z.object({ self: z.string(), events: z.string(), cancel: z.string() }),
  }),
);

export const OperationList = named(
  "OperationList",
  z.object({ items: z.array(Operation), nextCursor: z.string().nullable(), engine: Engine }),
);

export const OperationKindBody = z.strictObject({ kind: z.enum(["up", "preview", "refresh", "destroy"]) });

const LastOperation = z.object({ id: z.uuid(), kind: z.enum(OPERATION_KINDS), status: z.enum(OPERATION_STATUSES), createdAt: z.iso.datetime(), finishedAt: z.iso.datetime().nullable() });

export const EnvironmentSummary = named(
  "EnvironmentSummary",
  z.object({
    name: z.string(),
    revision: z.number().int(),
    status: z.enum(ENVIRONMENT_STATUSES),
    engine: Engine,
    region: z.string(),
    lastOperation: LastOperation.nullable(),
    /** The latest drift check; `unknown` before the first. */
    drift: z.object({ status: z.enum(["unknown", "in_sync", "drifted", "error"]), checkedAt: z.iso.datetime().nullable() }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);

export const EnvironmentDetail = named(
  "Environment",
  EnvironmentSummary.extend({
    spec: z.record(z.string(), z.unknown()),
    layers: z.array(z.object({ name: z.string(), stack: z.string(), outputs: z.number().int() })),
  }),
);

export const EnvironmentList = named(
  "EnvironmentList",
  z.object({ items: z.array(EnvironmentSummary), nextCursor: z.string().nullable(), engine: Engine }),
);

export const Outputs = named(
  "Outputs",
  z.object({
    environment: z.string(),
    engine: Engine,
    operationId: z.uuid().nullable(),
    updatedAt: z.iso.datetime().nullable(),
    /** Values by layer and key; secret ones read "[secret]" unless an admin asked for them. */
    layers: z.record(z.string(), z.record(z.string(), z.unknown())),
    /** `layer.key` of every secret output. */
    secrets: z.array(z.string()),
  }),
);

export const OutputsQuery = z.strictObject({
  showSecrets: z.enum(["true", "false"]).optional().transform((v) => v === "true"),
});

export const TokenName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits and . _ - (starting with a letter or digit)");

export const TokenCreate = z.strictObject({ name: TokenName, role: z.enum(ROLES) });

export const Token = named(
  "Token",
  z.object({ id: z.uuid(), name: z.string(), role: z.enum(ROLES), createdAt: z.iso.datetime(), lastUsed: z.iso.datetime().nullable() }),
);

export const TokenCreated = named("TokenCreated", Token.extend({ token: z.string().describe("the token value: shown once, never again") }));
export const TokenList = named("TokenList", z.object({ items: z.array(Token) }));

/** Problem responses every authenticated route can give. */
export const authProblems = { 401: Problem, 403: Problem };
