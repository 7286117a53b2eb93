/**
 * What the routes call to change anything: store the spec and queue an
 * operation in one transaction (with the Idempotency-Key's first answer),
 * then announce the work to the queue; cancel queued or running operations.
 * The engine is asked whether it can run at all before anything is stored.
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger as Logger } from "fastify";
import type { EnvironmentSpec } from "../../programs/spec.js";
import type { Engine } from "../engine/port.js";
import { DomainError, notFound } from "../errors.js";
import { withTransaction, type Pool, type PoolClient } from "../store/db.js";
import { lockEnvironment, replaceSpec, setEnvironmentStatus, upsertEnvironment } from "../store/environments.js";
import { appendEventNext } from "../store/events.js";
import { findKey, lockKey, saveKey } from "../store/idempotency.js";
import { cancelQueued, getOperation, insertOperation, requestCancel, type OperationKind, type OperationRecord } from "../store/operations.js";
import type { OperationQueue } from "./queue.js";
import type { OperationRunner } from "./runner.js";

/** Who asks, and the Idempotency-Key of the request if any. */
export interface RequestContext {
  requestedBy?: string;
  idempotency?: { key: string; method: string; path: string; body: unknown };
}

export interface Submitted {
  operation: OperationRecord;
  /** True when an Idempotency-Key returned the first answer again. */
  replayed: boolean;
}

export interface ServiceDeps {
  pool: Pool;
  engine: Engine;
  queue: Pick<OperationQueue, "notify">;
  runner: Pick<OperationRunner, "abort">;
  log: Logger;
}

/** Stable JSON (sorted keys) so a replayed body fingerprints the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256").update(`${method} ${path}\n${canonical(body ?? null)}`).digest("hex");
}

export class OperationService {
  constructor(private readonly d: ServiceDeps) {}

  createEnvironment(spec: EnvironmentSpec, ctx: RequestContext): Promise<Submitted> {
    return this.mutate(ctx, async (db) => {
      const existing = await lockEnvironment(db, spec.name);
      if (existing && !existing.deletedAt) throw new DomainError("ENVIRONMENT_EXISTS", `environment ${spec.name} already exists; PUT to change its spec`);
      const env = await upsertEnvironment(db, spec, this.d.engine.name);
      return this.queueOperation(db, spec.name, "up", env.spec, env.revision, ctx);
    });
  }

  replaceEnvironment(name: string, spec: EnvironmentSpec, ctx: RequestContext): Promise<Submitted> {
    // A body for another environment is a bad request whether or not this one exists.
    if (spec.name !== name) {
      return Promise.reject(new DomainError("VALIDATION_FAILED", "the spec's name must match the environment in the path", [{ path: "name", message: `must be ${name}` }]));
    }
    return this.mutate(ctx, async (db) => {
      const existing = await lockEnvironment(db, name);
      if (!existing || existing.deletedAt) throw notFound("environment", name);
      const env = await replaceSpec(db, spec);
      if (existing.status !== "creating") await setEnvironmentStatus(db, name, "updating");
      return this.queueOperation(db, name, "up", env.spec, env.revision, ctx);
    });
  }

  /** Queue `up`/`preview`/`refresh`/`destroy` on an existing environment with its current spec. */
  submit(name: string, kind: OperationKind, ctx: RequestContext): Promise<Submitted> {
    return this.mutate(ctx, async (db) => {
      const existing = await lockEnvironment(db, name);
      if (!existing || existing.deletedAt) throw notFound("environment", name);
      if (kind === "destroy") await setEnvironmentStatus(db, name, "destroying");
      return this.queueOperation(db, name, kind, existing.spec, existing.revision, ctx);
    });
  }

  /** Queued: cancelled at once. Running: its engine run is aborted, then it ends `cancelled`. */
  async cancel(id: string): Promise<OperationRecord> {
    const { pool, runner } = this.d;
    // The closing event commits with the status, so a follower that sees
    // "cancelled" has every event already.
    const queued = await withTransaction(pool, async (db) => {
      const op = await cancelQueued(db, id);
      if (op) await appendEventNext(db, id, "operation", { status: "cancelled", error: op.error });
      return op;
    });
    if (queued) return queued;
    const running = await requestCancel(pool, id);
    if (running) {
      // Here when it runs in this process; otherwise its replica hears the store's notification.
      runner.abort(id, "cancel");
      return running;
    }
    const op = await getOperation(pool, id);
    if (!op) throw notFound("operation", id);
    throw new DomainError("OPERATION_NOT_CANCELLABLE", `operation ${id} is ${op.status}; only queued or running operations can be cancelled`);
  }

  private async queueOperation(db: PoolClient, environment: string, kind: OperationKind, spec: EnvironmentSpec, revision: number, ctx: RequestContext) {
    return insertOperation(db, {
      environment,
      kind,
      engine: this.d.engine.name,
      specRevision: revision,
      spec,
      requestedBy: ctx.requestedBy,
      idempotencyKey: ctx.idempotency?.key,
    });
  }

  private async mutate(ctx: RequestContext, fn: (db: PoolClient) => Promise<OperationRecord>): Promise<Submitted> {
    // Refuse before storing anything when the engine cannot run here (no CLI, …).
    await this.d.engine.ensureReady();
    const idem = ctx.idempotency;
    const print = idem ? fingerprint(idem.method, idem.path, idem.body) : undefined;
    const result = await withTransaction(this.d.pool, async (db) => {
      if (idem) {
        await lockKey(db, idem.key);
        const first = await findKey(db, idem.key);
        if (first) {
          if (first.fingerprint !== print) {
            throw new DomainError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for a different request", [
              { path: "headers.idempotency-key", message: "already used with another method, path or body" },
            ]);
          }
          const operation = await getOperation(db, first.operationId);
          return { operation: operation!, replayed: true };
        }
      }
      const operation = await fn(db);
      if (idem) await saveKey(db, { key: idem.key, fingerprint: print!, operationId: operation.id, statusCode: 202 });
      return { operation, replayed: false };
    });
    if (!result.replayed) {
      await this.d.queue.notify(result.operation.environment).catch((err: Error) => {
        // The sweep re-announces queued work; the operation is stored either way.
        this.d.log.warn({ err: { message: err.message } }, "could not announce queued work");
      });
    }
    return result;
  }
}
