/**
 * The operation runner: executes one claimed operation as the phases of
 * DESIGN §3 through the engine port — validate → preflight → foundation →
 * mirror → platform → record outputs (destroy: platform, then foundation).
 * Every phase change and engine event is stored as it happens; outputs are
 * stored only when the whole operation succeeds, in the same transaction
 * that marks it succeeded, so a failure never leaves half a record.
 */
import type { FastifyBaseLogger as Logger } from "fastify";
import type { FoundationOutputs, LayerName } from "../../programs/layers/types.js";
import { SpecError, validateSpec, type EnvironmentSpec } from "../../programs/spec.js";
import { emptySummary, EngineError, type ChangeSummary, type Engine, type RunResult, type StackOutputs } from "../engine/port.js";
import type { Metrics } from "../metrics.js";
import { withTransaction, type Pool, type PoolClient } from "../store/db.js";
import { appendEventNext } from "../store/events.js";
import { setEnvironmentStatus } from "../store/environments.js";
import { finishOperation, setPhases, type OperationErrorInfo, type OperationOutcome, type OperationRecord, type PhaseName, type PhaseRecord } from "../store/operations.js";
import { deleteOutputs, getOutputs, replaceOutputs } from "../store/outputs.js";
import { EventRecorder } from "./event-recorder.js";
import type { DriftHooks } from "../drift/drift-check.js";
import type { ImageService } from "../mirror/image-service.js";
import { mirrorPhase, PhaseError, preflightPhase, type PhaseHookContext } from "./phases.js";

/** Why a running operation was aborted: a user's cancel, or the server shutting down. */
export type AbortReason = "cancel" | "shutdown";

export interface RunnerDeps {
  pool: Pool;
  engine: Engine;
  log: Logger;
  metrics?: Metrics;
  /** Preflight and mirror; without it both phases are skipped. */
  images?: ImageService;
}

class Aborted extends Error {}

const ENGINE_METHOD = { up: "up", preview: "preview", refresh: "refresh", drift: "previewRefresh", destroy: "destroy" } as const;

function addSummary(a: ChangeSummary, b: ChangeSummary | undefined): ChangeSummary {
  if (!b) return a;
  return { create: a.create + b.create, update: a.update + b.update, replace: a.replace + b.replace, delete: a.delete + b.delete, same: a.same + b.same };
}

/** Plain values for the platform layer's inputs (the engine already resolved them). */
function rawOutputs(outputs: StackOutputs): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
}

export class OperationRunner {
  private readonly running = new Map<string, { controller: AbortController; reason?: AbortReason }>();
  /** Set by the drift plugin: runs `drift` operations and acts after every operation (server/drift). */
  drift?: DriftHooks;

  constructor(private readonly deps: RunnerDeps) {}

  /** Ids of operations running in this process. */
  get runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Abort one running operation of this process; false when it does not run here. */
  abort(id: string, reason: AbortReason): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.reason ??= reason;
    r.controller.abort(reason);
    return true;
  }

  abortAll(reason: AbortReason): void {
    for (const id of this.running.keys()) this.abort(id, reason);
  }

  /** Run a claimed (status `running`) operation to its end. Never throws for engine failures. */
  async run(op: OperationRecord): Promise<OperationRecord> {
    const { pool, engine, log } = this.deps;
    const controller = new AbortController();
    const entry: { controller: AbortController; reason?: AbortReason } = { controller };
    this.running.set(op.id, entry);
    const started = Date.now();
    const events = new EventRecorder(pool, op.id);
    const phases: PhaseRecord[] = [];
    let summary = emptySummary();
    const signal = controller.signal;

    const begin = async (name: PhaseName) => {
      if (signal.aborted) throw new Aborted();
      phases.push({ name, status: "running", startedAt: new Date().toISOString() });
      events.record("phase", { phase: name, status: "started" });
      await setPhases(pool, op.id, phases);
    };
    const end = async (status: PhaseRecord["status"], extra: { message?: string; summary?: ChangeSummary } = {}) => {
      const p = phases[phases.length - 1];
      Object.assign(p, { status, finishedAt: new Date().toISOString() }, extra);
      events.record("phase", { phase: p.name, status, ...extra });
      await setPhases(pool, op.id, phases);
    };
    const hookCtx = (spec: EnvironmentSpec): PhaseHookContext => ({
      spec,
      signal,
      images: this.deps.images,
      note: (message, severity = "info") => events.record("diagnostic", { severity, message }),
      emit: (kind, data) => events.record(kind, data),
    });
    const runLayer = async (layer: LayerName, spec: EnvironmentSpec, inputs: unknown): Promise<RunResult> => {
      await begin(layer);
      const method = ENGINE_METHOD[op.kind];
      const result = await engine[method](
        { environment: op.environment, layer, spec, inputs: inputs as never },
        // A remediation `up` refreshes first (its `refresh` option).
        { signal, onEvent: (e) => events.record(e.kind, { layer, ...e }), ...(await this.drift?.runOptions(op)) },
      );
      summary = addSummary(summary, result.summary);
      await end("succeeded", { summary: result.summary });
      return result;
    };

    events.record("operation", { status: "running", kind: op.kind, engine: engine.name, specRevision: op.specRevision });
    let outcome: OperationOutcome;
    try {
      await begin("validate");
      const spec = validateSpec(op.spec);
      await end("succeeded");

      if (op.kind === "drift" && this.drift) {
        // Both questions per layer (previewRefresh and preview), nothing changed; the result commits with the status.
        const drift = this.drift;
        const checked = await drift.check({ op, spec, signal, begin, end, emit: (kind, data) => events.record(kind, data), phase: hookCtx(spec) });
        await events.flush();
        return await this.finish(op, { status: "succeeded", phases, summary: checked.summary }, started, (db) => drift.record(db, op, checked));
      }

      if (op.kind === "destroy") {
        const stored = await getOutputs(pool, op.environment);
        const foundation = rawOutputs(stored.layers.foundation ?? {}) as unknown as FoundationOutputs;
        await runLayer("platform", spec, { foundation, images: {} });
        await runLayer("foundation", spec, {});
        await events.flush();
        outcome = { status: "succeeded", phases, summary };
        return await this.finish(op, outcome, started, async (db) => {
          await deleteOutputs(db, op.environment);
          await setEnvironmentStatus(db, op.environment, "deleted");
        });
      }

      await begin("preflight");
      const pre = await preflightPhase(hookCtx(spec));
      await end(pre.status, { message: pre.message });

      const fResult = await runLayer("foundation", spec, {});
      let foundationOutputs: StackOutputs | undefined = fResult.outputs;
      if (op.kind !== "up") {
        // Preview/refresh/drift change nothing: the platform sees the foundation as last applied.
        const stored = (await getOutputs(pool, op.environment)).layers.foundation;
        foundationOutputs = stored && Object.keys(stored).length > 0 ? stored : await engine.outputs({ environment: op.environment, layer: "foundation" });
      }
      foundationOutputs ??= await engine.outputs({ environment: op.environment, layer: "foundation" });
      const foundation = rawOutputs(foundationOutputs) as unknown as FoundationOutputs;

      let platformResult: RunResult | undefined;
      if (Object.keys(foundationOutputs).length === 0) {
        await begin("mirror");
        await end("skipped", { message: "the foundation has no outputs yet (never deployed)" });
        await begin("platform");
        await end("skipped", { message: "the foundation has no outputs yet (never deployed)" });
      } else {
        await begin("mirror");
        const appliedPlatform = op.kind === "up" ? undefined : rawOutputs((await getOutputs(pool, op.environment)).layers.platform ?? {});
        const mirror = await mirrorPhase(hookCtx(spec), foundation, { dryRun: op.kind !== "up", appliedPlatform });
        await end(mirror.status, { message: mirror.message });
        platformResult = await runLayer("platform", spec, { foundation, images: mirror.images });
      }

      if (op.kind === "up") {
        await begin("outputs");
        const platformOutputs = platformResult?.outputs ?? (await engine.outputs({ environment: op.environment, layer: "platform" }));
        await end("succeeded");
        await events.flush();
        outcome = { status: "succeeded", phases, summary };
        return await this.finish(op, outcome, started, async (db) => {
          await replaceOutputs(db, op.environment, "foundation", foundationOutputs!, op.id);
          await replaceOutputs(db, op.environment, "platform", platformOutputs, op.id);
          await setEnvironmentStatus(db, op.environment, "ready");
        });
      }
      await events.flush();
      return await this.finish(op, { status: "succeeded", phases, summary }, started);
    } catch (err) {
      outcome = this.classify(op, err, entry.reason, phases, summary);
      const running = phases[phases.length - 1];
      if (running?.status === "running") {
        Object.assign(running, { status: outcome.status === "failed" ? "failed" : outcome.status, finishedAt: new Date().toISOString(), message: outcome.error?.message });
        events.record("phase", { phase: running.name, status: running.status, message: outcome.error?.message });
      }
      await events.flush().catch((e) => log.error({ err: { message: (e as Error).message }, operation: op.id }, "could not store events"));
      const failedUp = op.kind === "up" || op.kind === "destroy";
      return await this.finish(op, outcome, started, async (db) => {
        if (failedUp && outcome.status === "failed") await setEnvironmentStatus(db, op.environment, "failed");
        if (op.kind === "drift" && outcome.status === "failed" && outcome.error) await this.drift?.recordError(db, op, outcome.error);
      });
    } finally {
      this.running.delete(op.id);
    }
  }

  private classify(op: OperationRecord, err: unknown, reason: AbortReason | undefined, phases: PhaseRecord[], summary: ChangeSummary): OperationOutcome {
    if (reason || err instanceof Aborted || (err instanceof EngineError && err.code === "CANCELLED")) {
      const shutdown = reason === "shutdown";
      return {
        status: shutdown ? "interrupted" : "cancelled",
        phases,
        summary,
        error: shutdown
          ? { code: "INTERRUPTED", message: "the server shut down before the operation finished" }
          : { code: "CANCELLED", message: "cancelled while running" },
      };
    }
    let error: OperationErrorInfo;
    let errorDetail: string | null = null;
    if (err instanceof EngineError) {
      error = { code: err.code, message: err.message, ...(err.urn ? { urn: err.urn } : {}), ...(err.fix ? { fix: err.fix } : {}) };
      errorDetail = err.detail ?? null;
    } else if (err instanceof PhaseError) {
      error = { code: err.code, message: err.message };
    } else if (err instanceof SpecError) {
      error = { code: "VALIDATION_FAILED", message: err.message };
    } else {
      // Unknown failures may carry anything (paths, stderr): log for operators, tell clients only the code.
      this.deps.log.error({ err: { message: (err as Error)?.message, name: (err as Error)?.name }, operation: op.id }, "operation failed unexpectedly");
      error = { code: "INTERNAL", message: "the operation failed unexpectedly; see the server log" };
    }
    return { status: "failed", phases, summary, error, errorDetail };
  }

  private async finish(
    op: OperationRecord,
    outcome: OperationOutcome,
    started: number,
    extra?: (db: PoolClient) => Promise<void>,
  ): Promise<OperationRecord> {
    const { pool, metrics, log } = this.deps;
    // The closing event, the status and the outputs commit together: a follower
    // never sees "succeeded" without the outputs, nor the reverse.
    const finished = await withTransaction(pool, async (db) => {
      await appendEventNext(db, op.id, "operation", {
        status: outcome.status,
        ...(outcome.summary ? { summary: outcome.summary } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      });
      await extra?.(db);
      return finishOperation(db, op.id, outcome);
    });
    metrics?.operationFinished(op.kind, outcome.status, (Date.now() - started) / 1000);
    log.info({ operation: op.id, environment: op.environment, kind: op.kind, status: outcome.status }, "operation finished");
    // Webhooks, drift notifications and remediation (never throws).
    await this.drift?.finished(finished);
    return finished;
  }
}
