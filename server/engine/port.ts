/**
 * The engine port: the one narrow interface between the service (runner,
 * drift checks, routes) and whatever runs Pulumi programs. Two adapters sit
 * behind it: `pulumi` (Automation API, real clouds) and `simulate` (the same
 * programs under Pulumi mocks against a modelled cloud). Nothing outside
 * `server/engine/` knows which one it is talking to, except by `name`.
 */
import type { EnvironmentSpec } from "../../programs/spec.js";
import type { LayerInputs, LayerName } from "../../programs/layers/types.js";

export const ENGINE_NAMES = ["pulumi", "simulate"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** What a step does to a resource (the Pulumi engine's `OpType`, minus the exotic ones). */
export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "read" | "refresh" | "import" | "discard";

/** The changes that count in a summary or a drift result. */
export type ChangeKind = "create" | "update" | "replace" | "delete";

export interface ChangeSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  same: number;
}

export function emptySummary(): ChangeSummary {
  return { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
}

/**
 * An engine event, as the service stores and streams it. Translated from the
 * Pulumi `EngineEvent` (or produced by the simulation); never carries
 * property values, only property names, so no secret can ride along.
 */
export type EngineEvent =
  | { kind: "resource-pre"; urn: string; type: string; op: StepOp; properties?: string[] }
  | { kind: "resource-outputs"; urn: string; type: string; op: StepOp; properties?: string[] }
  | { kind: "resource-failed"; urn: string; type: string; op: StepOp; message: string }
  | { kind: "diagnostic"; severity: "debug" | "info" | "warning" | "error"; message: string; urn?: string }
  | { kind: "summary"; changes: ChangeSummary; durationMs: number };

/** One resource the run changed (or, for previews, would change). */
export interface ResourceChange {
  urn: string;
  type: string;
  change: ChangeKind;
  /** Names of the changed properties (detailedDiff keys), never values. */
  properties: string[];
}

/** A stack output; secret ones are stored marked and served masked. */
export interface OutputValue {
  value: unknown;
  secret: boolean;
}
export type StackOutputs = Record<string, OutputValue>;

/** Which stack: an environment's layer (`<env>-<layer>`). */
export interface StackRef {
  environment: string;
  layer: LayerName;
}

/** Everything needed to run a layer's program. */
export interface StackRequest<L extends LayerName = LayerName> extends StackRef {
  layer: L;
  spec: EnvironmentSpec;
  inputs: LayerInputs[L];
}

export interface RunOptions {
  /** Called for every event as it happens (the runner stores each one at once). */
  onEvent: (event: EngineEvent) => void;
  /** Aborting cancels the run (SIGINT to the CLI, then kill after a grace period). */
  signal: AbortSignal;
  /** `up` only: refresh state from the cloud first (drift remediation). */
  refresh?: boolean;
}

export interface RunResult {
  summary: ChangeSummary;
  changes: ResourceChange[];
  /** After `up`: the stack's outputs, secrets marked. */
  outputs?: StackOutputs;
}

/** What recovery of an interrupted stack did. */
export interface RecoveryReport {
  /** URNs named by pending operations that were dropped: they may exist in the cloud, untracked. */
  clearedPendingOperations: string[];
  lockReleased: boolean;
}

export interface Engine {
  readonly name: EngineName;
  /**
   * Throws EngineError `ENGINE_UNAVAILABLE` (with a fix hint) when this engine
   * cannot run on this host, so the API can refuse work before queueing it.
   */
  ensureReady(): Promise<void>;
  up(stack: StackRequest, opts: RunOptions): Promise<RunResult>;
  /** Pending changes: what `up` would do (spec or program differs from state). */
  preview(stack: StackRequest, opts: RunOptions): Promise<RunResult>;
  /** Update state from the cloud. */
  refresh(stack: StackRequest, opts: RunOptions): Promise<RunResult>;
  /** Cloud drift: what a refresh would change (`refresh --preview-only`). */
  previewRefresh(stack: StackRequest, opts: RunOptions): Promise<RunResult>;
  destroy(stack: StackRequest, opts: RunOptions): Promise<RunResult>;
  /** The stack's current outputs (secrets marked); empty when the stack does not exist. */
  outputs(stack: StackRef): Promise<StackOutputs>;
  /** Make a stack left mid-operation by a dead process usable again. */
  recover(stack: StackRef): Promise<RecoveryReport>;
  close(): Promise<void>;
}

/** Engine failures, classified in one place per adapter. */
export const ENGINE_ERROR_CODES = [
  "ENGINE_UNAVAILABLE", // CLI missing, plugins missing
  "CREDENTIALS", // missing or expired cloud credentials
  "WRONG_ACCOUNT", // caller's account not in aws.allowedAccountIds
  "STACK_LOCKED", // another update holds the stack (after bounded retries)
  "PENDING_OPERATIONS", // state names operations a dead run left behind
  "PROVIDER_ERROR", // a resource operation failed in the cloud
  "CANCELLED",
  "ENGINE_CRASHED", // the child process died
  "INTERNAL",
] as const;
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

/**
 * A classified engine failure. `message` is safe for any client (no stderr,
 * no secret); `detail` is redacted engine output kept for admins.
 */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly urn?: string;
  readonly detail?: string;
  readonly fix?: string;
  constructor(code: EngineErrorCode, message: string, extra: { urn?: string; detail?: string; fix?: string } = {}) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.urn = extra.urn;
    this.detail = extra.detail;
    this.fix = extra.fix;
  }

  toJSON() {
    return { code: this.code, message: this.message, urn: this.urn, fix: this.fix };
  }
}
