/**
 * The drift check, run by the operation runner for operations of kind
 * `drift` (so a check is queued like any operation: FIFO per environment,
 * under the global cap), and what follows a finished operation: the drift
 * result's notification (once per status change), remediation, and the
 * `operation.succeeded` / `operation.failed` webhooks.
 *
 * For each layer the check asks the engine the two questions of DESIGN §5
 * separately — `previewRefresh` (cloud drift) and `preview` (pending
 * changes) — and changes nothing: no refresh, no up, no image copy.
 */
import type { FastifyBaseLogger as Logger } from "fastify";
import type { FoundationOutputs, LayerName } from "../../programs/layers/types.js";
import type { EnvironmentSpec } from "../../programs/spec.js";
import { emptySummary, type ChangeSummary, type Engine, type StackOutputs } from "../engine/port.js";
import type { Metrics } from "../metrics.js";
import { mirrorPhase, type PhaseHookContext } from "../operations/phases.js";
import { withTransaction, type Pool, type Queryable } from "../store/db.js";
import { lockEnvironment } from "../store/environments.js";
import { insertOperation, type OperationErrorInfo, type OperationRecord, type PhaseName, type PhaseRecord } from "../store/operations.js";
import { getOutputs } from "../store/outputs.js";
import type { Notifier } from "../notify/webhooks.js";
import { classifyDrift, driftTransition, type DriftClassification, type LayerDriftAnswers } from "./classify.js";
import {
  busyOperation,
  driftResultOfOperation,
  insertDriftResult,
  operationOptions,
  previousDriftStatus,
  setOperationOptions,
  setRemediation,
  type DriftResultRecord,
} from "./store.js";
import { driftResultView } from "./view.js";

/** What the runner lends a drift check: its phase bookkeeping and event recorder. */
export interface DriftCheckContext {
  op: OperationRecord;
  spec: EnvironmentSpec;
  signal: AbortSignal;
  begin: (name: PhaseName) => Promise<void>;
  end: (status: PhaseRecord["status"], extra?: { message?: string; summary?: ChangeSummary }) => Promise<void>;
  emit: (kind: string, data: Record<string, unknown>) => void;
  /** For the dry-run mirror (stand-in image references for the platform preview). */
  phase: PhaseHookContext;
}

export interface DriftCheckOutcome {
  classification: DriftClassification;
  /** The pending changes' summary over both layers (what `up` would do). */
  summary: ChangeSummary;
}

/** The runner's seam into drift checks (`OperationRunner.drift`). */
export interface DriftHooks {
  check(ctx: DriftCheckContext): Promise<DriftCheckOutcome>;
  /** Store a completed check (inside the transaction that finishes the operation). */
  record(db: Queryable, op: OperationRecord, outcome: DriftCheckOutcome): Promise<void>;
  /** Store a check that failed, with the classified error. */
  recordError(db: Queryable, op: OperationRecord, error: OperationErrorInfo): Promise<void>;
  /** Engine options of an operation (`refresh` on a remediation `up`). */
  runOptions(op: OperationRecord): Promise<{ refresh?: boolean }>;
  /** After an operation committed its end: notifications and remediation. Never throws. */
  finished(op: OperationRecord): Promise<void>;
}

export interface DriftServiceDeps {
  pool: Pool;
  engine: Engine;
  log: Logger;
  metrics?: Metrics;
  notifier?: Pick<Notifier, "publish">;
  queue: { notify(environment: string): Promise<void> };
}

function addSummary(a: ChangeSummary, b: ChangeSummary): ChangeSummary {
  return { create: a.create + b.create, update: a.update + b.update, replace: a.replace + b.replace, delete: a.delete + b.delete, same: a.same + b.same };
}

const raw = (o: StackOutputs) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));

export class DriftService implements DriftHooks {
  constructor(private readonly d: DriftServiceDeps) {}

  async check(ctx: DriftCheckContext): Promise<DriftCheckOutcome> {
    const { engine, pool } = this.d;
    const { op, spec, signal } = ctx;
    const answers: LayerDriftAnswers[] = [];
    let summary = emptySummary();

    const ask = async (layer: LayerName, inputs: unknown) => {
      await ctx.begin(layer);
      const req = { environment: op.environment, layer, spec, inputs: inputs as never };
      const cloud = await engine.previewRefresh(req, { signal, onEvent: (e) => ctx.emit(e.kind, { layer, question: "cloud", ...e }) });
      const pending = await engine.preview(req, { signal, onEvent: (e) => ctx.emit(e.kind, { layer, question: "pending", ...e }) });
      const answer: LayerDriftAnswers = { layer, cloud: cloud.changes, pending: pending.changes };
      answers.push(answer);
      summary = addSummary(summary, pending.summary);
      const { counts } = classifyDrift([answer]);
      await ctx.end("succeeded", { summary: pending.summary, message: `cloud drift: ${counts.cloud} resource(s); pending changes: ${counts.pending}` });
    };

    await ask("foundation", {});
    // The platform is checked against the foundation as last applied (outputs in the store).
    const storedLayers = (await getOutputs(pool, op.environment)).layers;
    const stored = storedLayers.foundation;
    const foundationOutputs = stored && Object.keys(stored).length > 0 ? stored : await engine.outputs({ environment: op.environment, layer: "foundation" });
    if (Object.keys(foundationOutputs).length === 0) {
      for (const name of ["mirror", "platform"] as const) {
        await ctx.begin(name);
        await ctx.end("skipped", { message: "the foundation has no outputs yet (never deployed)" });
      }
    } else {
      const foundation = raw(foundationOutputs) as unknown as FoundationOutputs;
      await ctx.begin("mirror");
      const mirror = await mirrorPhase(ctx.phase, foundation, { dryRun: true, appliedPlatform: raw(storedLayers.platform ?? {}) });
      await ctx.end(mirror.status, { message: mirror.message });
      await ask("platform", { foundation, images: mirror.images });
    }

    const classification = classifyDrift(answers);
    ctx.emit("drift", { status: classification.status, counts: classification.counts, resources: classification.resources });
    return { classification, summary };
  }

  async record(db: Queryable, op: OperationRecord, outcome: DriftCheckOutcome): Promise<void> {
    const c = outcome.classification;
    await insertDriftResult(db, { environment: op.environment, operationId: op.id, status: c.status, engine: this.d.engine.name, resources: c.resources, counts: c.counts });
  }

  async recordError(db: Queryable, op: OperationRecord, error: OperationErrorInfo): Promise<void> {
    await insertDriftResult(db, { environment: op.environment, operationId: op.id, status: "error", engine: this.d.engine.name, resources: [], counts: { cloud: 0, pending: 0 }, error });
  }

  runOptions(op: OperationRecord): Promise<{ refresh?: boolean }> {
    return op.kind === "up" ? operationOptions(this.d.pool, op.id) : Promise.resolve({});
  }

  async finished(op: OperationRecord): Promise<void> {
    try {
      if (op.kind === "drift") await this.afterCheck(op);
      else if (op.status === "succeeded" || op.status === "failed") {
        // Drift operations notify through drift.* only: a six-hourly check is not news unless its status changes.
        await this.d.notifier?.publish(op.status === "succeeded" ? "operation.succeeded" : "operation.failed", {
          environment: op.environment,
          engine: op.engine,
          operation: { id: op.id, kind: op.kind, status: op.status, summary: op.summary, error: op.error, finishedAt: op.finishedAt ? new Date(op.finishedAt).toISOString() : null },
        });
      }
    } catch (err) {
      this.d.log.warn({ operation: op.id, err: { message: (err as Error).message } }, "after-operation notification or remediation failed");
    }
  }

  private async afterCheck(op: OperationRecord): Promise<void> {
    const { pool, metrics, notifier } = this.d;
    const result = await driftResultOfOperation(pool, op.id);
    // Cancelled or interrupted checks store no result: they answered nothing.
    if (!result) return;
    metrics?.driftChecked(result.status);
    if (result.status === "drifted" && result.counts.cloud > 0) result.remediation = await this.remediate(result);
    const event = driftTransition(await previousDriftStatus(pool, op.environment, result.id), result.status);
    if (event && notifier) await notifier.publish(event, { environment: op.environment, engine: result.engine, drift: driftResultView(result) });
  }

  /**
   * Cloud drift with `drift.remediate: true`: queue an `up` with refresh (the
   * refresh reads the changed cloud, the up puts the program's values back).
   * Never beside another queued or running operation: then the result says why.
   */
  private async remediate(result: DriftResultRecord): Promise<DriftResultRecord["remediation"]> {
    const name = result.environment;
    const remediation = await withTransaction(this.d.pool, async (db) => {
      const env = await lockEnvironment(db, name);
      if (!env || env.deletedAt || !env.spec.drift?.remediate) return null;
      const busy = await busyOperation(db, name);
      if (busy) {
        const r = { skipped: `not remediated: operation ${busy.id} (${busy.kind}) is ${busy.status}; remediation never runs beside another operation` };
        await setRemediation(db, result.id, r);
        return r;
      }
      const up = await insertOperation(db, { environment: name, kind: "up", engine: this.d.engine.name, specRevision: env.revision, spec: env.spec, requestedBy: "drift-remediation" });
      // Options commit with the operation: no worker can claim it without them.
      await setOperationOptions(db, up.id, { refresh: true });
      const r = { operationId: up.id };
      await setRemediation(db, result.id, r);
      return r;
    });
    if (remediation && "operationId" in remediation) {
      this.d.log.info({ environment: name, operation: remediation.operationId }, "cloud drift found: remediation up queued");
      await this.d.queue.notify(name);
    }
    return remediation;
  }
}
