/**
 * Translation of the Pulumi engine's event stream into the port's events,
 * change lists, change summaries and drift results.
 *
 * This file deliberately does not import the Automation API (only
 * `pulumi.ts` does): the types below mirror, structurally, the SDK's
 * `automation/events.d.ts` and `automation/stack.d.ts` of @pulumi/pulumi
 * 3.248.0 (which in turn mirror the CLI's `pkg/apitype/events.go` JSON), so
 * the translation can be tested on recorded event shapes without a CLI.
 * Every field is optional where the CLI omits it (`omitempty`).
 */
import type { ChangeKind, ChangeSummary, EngineEvent, ResourceChange, StepOp } from "./port.js";
import { emptySummary } from "./port.js";
import type { Redactor } from "./redact.js";

/** `OpType` of the SDK (stack.d.ts): the engine's step operations. */
export type SdkOpType =
  | "same"
  | "create"
  | "update"
  | "delete"
  | "replace"
  | "create-replacement"
  | "delete-replaced"
  | "read"
  | "read-replacement"
  | "refresh"
  | "discard"
  | "discard-replaced"
  | "remove-pending-replace"
  | "import"
  | "import-replacement";

/** `OpMap`: count of steps per op (summaryEvent.resourceChanges, PreviewResult.changeSummary). */
export type SdkOpMap = Partial<Record<SdkOpType, number>>;

/** `PropertyDiff`: a property path's kind of change; never carries values. */
export interface SdkPropertyDiff {
  diffKind: "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";
  inputDiff: boolean;
}

/** `StepEventStateMetadata`: may hold inputs/outputs with values; we never read those. */
export interface SdkStepEventStateMetadata {
  type: string;
  urn: string;
  id?: string;
  parent?: string;
  custom?: boolean;
  delete?: boolean;
  protect?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  provider?: string;
  initErrors?: string[];
}

/** `StepEventMetadata`. */
export interface SdkStepEventMetadata {
  op: SdkOpType;
  urn: string;
  type: string;
  old?: SdkStepEventStateMetadata | null;
  new?: SdkStepEventStateMetadata | null;
  keys?: string[];
  diffs?: string[];
  detailedDiff?: Record<string, SdkPropertyDiff> | null;
  logical?: boolean;
  provider?: string;
}

/** `EngineEvent` of SDK 3.248.0: exactly one payload field is set. */
export interface SdkEngineEvent {
  sequence: number;
  timestamp: number;
  cancelEvent?: Record<string, never>;
  stdoutEvent?: { message: string; color: string };
  diagnosticEvent?: {
    urn?: string;
    prefix?: string;
    message: string;
    color: string;
    severity: "info" | "info#err" | "warning" | "error";
    streamID?: number;
    ephemeral?: boolean;
  };
  preludeEvent?: { config: Record<string, string> };
  summaryEvent?: {
    maybeCorrupt: boolean;
    durationSeconds: number;
    resourceChanges: SdkOpMap;
    /** PascalCase on the wire (see the SDK's doc comment); unused here. */
    PolicyPacks?: Record<string, string>;
    policyPacks?: Record<string, string>;
  };
  resourcePreEvent?: { metadata: SdkStepEventMetadata; planning?: boolean };
  resOutputsEvent?: { metadata: SdkStepEventMetadata; planning?: boolean };
  resOpFailedEvent?: { metadata: SdkStepEventMetadata; status: number; steps: number };
  policyEvent?: {
    resourceUrn?: string;
    message: string;
    color: string;
    policyName: string;
    policyPackName: string;
    policyPackVersion: string;
    policyPackVersionTag: string;
    enforcementLevel: "warning" | "mandatory";
  };
  startDebuggingEvent?: { config: Record<string, unknown> };
}

/** Every payload kind the SDK defines, in its declaration order (tests check coverage). */
export const SDK_EVENT_KINDS = [
  "cancelEvent",
  "stdoutEvent",
  "diagnosticEvent",
  "preludeEvent",
  "summaryEvent",
  "resourcePreEvent",
  "resOutputsEvent",
  "resOpFailedEvent",
  "policyEvent",
  "startDebuggingEvent",
] as const;

/** The port's step op for an engine op; replacement halves read as `replace`. */
export function stepOp(op: SdkOpType | string): StepOp {
  switch (op) {
    case "create":
    case "update":
    case "delete":
    case "replace":
    case "same":
    case "read":
    case "refresh":
    case "import":
    case "discard":
      return op;
    case "create-replacement":
    case "delete-replaced":
    case "remove-pending-replace":
      return "replace";
    case "read-replacement":
      return "read";
    case "discard-replaced":
      return "discard";
    case "import-replacement":
      return "import";
    default:
      // A newer CLI may add ops; "same" keeps them out of change counts.
      return "same";
  }
}

/** Which ops change a resource (for change lists; `same`, `read`, `refresh` do not). */
function changeKind(op: StepOp): ChangeKind | undefined {
  return op === "create" || op === "update" || op === "replace" || op === "delete" ? op : undefined;
}

/**
 * Names of the properties a step changes: `detailedDiff` keys (property
 * paths such as `tags.Owner`), else `diffs`, else replacement `keys`.
 * Names only, never values.
 */
export function changedProperties(meta: SdkStepEventMetadata): string[] {
  const detailed = meta.detailedDiff ? Object.keys(meta.detailedDiff) : [];
  const names = detailed.length > 0 ? detailed : meta.diffs && meta.diffs.length > 0 ? meta.diffs : (meta.keys ?? []);
  return [...new Set(names)].sort();
}

/** The port's summary from an engine `OpMap`; replacement halves are not counted twice. */
export function summarize(changes: SdkOpMap | undefined): ChangeSummary {
  const s = emptySummary();
  if (!changes) return s;
  s.create = changes.create ?? 0;
  s.update = changes.update ?? 0;
  s.delete = changes.delete ?? 0;
  s.same = changes.same ?? 0;
  // The CLI counts a replacement under "replace"; older CLIs only reported its halves.
  s.replace = changes.replace ?? changes["create-replacement"] ?? 0;
  return s;
}

/** Count a change list (when the engine sent no summary, e.g. a crash before the end). */
export function summarizeChanges(changes: ResourceChange[]): ChangeSummary {
  const s = emptySummary();
  for (const c of changes) s[c.change] += 1;
  return s;
}

/** Colour directives (`<{%reset%}>`) and ANSI escapes the CLI may leave in messages. */
const COLOR_DIRECTIVE = /<\{%[^%]*%\}>/g;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function cleanMessage(message: string): string {
  return message.replace(COLOR_DIRECTIVE, "").replace(ANSI, "").trim();
}

/** The first line of a message (provider errors are often pages long). */
export function firstLine(message: string): string {
  return (
    cleanMessage(message)
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ""
  );
}

/** The stack resource itself is not a resource anyone changes. */
const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * Resources left out of change lists and drift: the stack itself and the
 * engine's default providers (`pulumi:providers:aws::default_7_48_0`), which
 * the CLI's own display hides too. Explicit providers stay: their changes matter.
 */
function isBookkeeping(m: SdkStepEventMetadata): boolean {
  return m.type === STACK_TYPE || (m.type.startsWith("pulumi:providers:") && /::default(_[\w-]+)?$/.test(m.urn));
}

/**
 * Stateful translator for one operation's event stream. Feed each SDK event
 * to `translate`; read `changes`, `drift`, `summary` and `firstError` at the
 * end. Messages pass through the redactor before they leave.
 */
export class EventTranslator {
  private readonly changeByUrn = new Map<string, ResourceChange>();
  private readonly driftByUrn = new Map<string, ResourceChange>();
  /** Last error diagnostic per URN: the root cause a resOpFailedEvent refers to. */
  private readonly errorByUrn = new Map<string, string>();
  private readonly refreshing = new Set<string>();
  private engineSummary?: { changes: ChangeSummary; durationMs: number; maybeCorrupt: boolean };
  /** The first error diagnostic (provider error) with its URN, already redacted. */
  firstError?: { message: string; urn?: string };
  cancelled = false;

  /**
   * `refreshRun`: the operation is a refresh (or previewRefresh), so every
   * outputs event with a result op of update/delete is drift even if its
   * pre-event was not seen.
   */
  constructor(
    private readonly redactor?: Redactor,
    private readonly refreshRun = false,
  ) {}

  private clean(message: string): string {
    const m = cleanMessage(message);
    return this.redactor ? this.redactor.redact(m) : m;
  }

  /** Zero or one port event for one SDK event. */
  translate(e: SdkEngineEvent): EngineEvent[] {
    if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      const op = stepOp(m.op);
      const properties = changedProperties(m);
      if (m.op === "refresh") this.refreshing.add(m.urn);
      this.recordChange(this.changeByUrn, m, op, properties);
      return [{ kind: "resource-pre", urn: m.urn, type: m.type, op, ...(properties.length ? { properties } : {}) }];
    }
    if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      const op = stepOp(m.op);
      const properties = changedProperties(m);
      this.recordDrift(m, properties);
      return [{ kind: "resource-outputs", urn: m.urn, type: m.type, op, ...(properties.length ? { properties } : {}) }];
    }
    if (e.resOpFailedEvent) {
      const m = e.resOpFailedEvent.metadata;
      const message = this.errorByUrn.get(m.urn) ?? `${stepOp(m.op)} of ${m.type} failed`;
      return [{ kind: "resource-failed", urn: m.urn, type: m.type, op: stepOp(m.op), message }];
    }
    if (e.diagnosticEvent) {
      const d = e.diagnosticEvent;
      // Ephemeral diagnostics are progress chatter that the CLI itself erases.
      if (d.ephemeral) return [];
      const message = this.clean(d.message);
      if (!message) return [];
      const severity = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info";
      if (severity === "error") {
        const line = firstLine(message);
        if (d.urn) this.errorByUrn.set(d.urn, line);
        // The engine's own closing "update failed" line has no URN; prefer the provider's.
        if (!this.firstError || (!this.firstError.urn && d.urn)) this.firstError = { message: line, urn: d.urn || undefined };
      }
      return [{ kind: "diagnostic", severity, message, ...(d.urn ? { urn: d.urn } : {}) }];
    }
    if (e.policyEvent) {
      const p = e.policyEvent;
      const severity = p.enforcementLevel === "mandatory" ? "error" : "warning";
      const message = this.clean(`[${p.policyPackName}/${p.policyName}] ${p.message}`);
      return [{ kind: "diagnostic", severity, message, ...(p.resourceUrn ? { urn: p.resourceUrn } : {}) }];
    }
    if (e.stdoutEvent) {
      const message = this.clean(e.stdoutEvent.message);
      return message ? [{ kind: "diagnostic", severity: "info", message }] : [];
    }
    if (e.summaryEvent) {
      const changes = summarize(e.summaryEvent.resourceChanges);
      const durationMs = Math.round(e.summaryEvent.durationSeconds * 1000);
      this.engineSummary = { changes, durationMs, maybeCorrupt: e.summaryEvent.maybeCorrupt };
      return [{ kind: "summary", changes, durationMs }];
    }
    if (e.cancelEvent) {
      // Sent on cancellation *and* at the end of a successful update: not a failure by itself.
      this.cancelled = true;
      return [];
    }
    // preludeEvent carries config (secrets blinded, but still config values): never forwarded.
    // startDebuggingEvent and kinds newer than this SDK: nothing for the service.
    return [];
  }

  private recordChange(into: Map<string, ResourceChange>, m: SdkStepEventMetadata, op: StepOp, properties: string[]): void {
    const kind = changeKind(op);
    if (!kind || isBookkeeping(m)) return;
    const prev = into.get(m.urn);
    if (!prev) {
      into.set(m.urn, { urn: m.urn, type: m.type, change: kind, properties });
      return;
    }
    // A replacement arrives as create-replacement, replace, delete-replaced: one change.
    if (kind === "replace" || prev.change === "replace") prev.change = "replace";
    prev.properties = [...new Set([...prev.properties, ...properties])].sort();
  }

  /**
   * Cloud drift: after a refresh step the engine reports its *result* op on
   * the outputs event — `update` (the cloud differs) or `delete` (gone from
   * the cloud). An older CLI that repeats `refresh` there counts as drifted
   * only when it names changed properties.
   */
  private recordDrift(m: SdkStepEventMetadata, properties: string[]): void {
    if (isBookkeeping(m)) return;
    // Only the outputs event that closes a refresh step; in `up --refresh` the
    // later update step of the same URN is a change, not drift.
    const wasRefresh = this.refreshing.delete(m.urn) || this.refreshRun;
    let kind: ChangeKind | undefined;
    if (m.op === "update" || m.op === "delete") kind = m.op;
    else if (m.op === "refresh" && properties.length > 0) kind = "update";
    if (!kind || (!wasRefresh && m.op !== "refresh")) return;
    this.driftByUrn.set(m.urn, { urn: m.urn, type: m.type, change: kind, properties });
  }

  /** Resources the run changed (or, in a preview, would change), one entry per URN. */
  get changes(): ResourceChange[] {
    return [...this.changeByUrn.values()];
  }

  /** Resources whose cloud state differs from the stack's state (refresh/previewRefresh). */
  get drift(): ResourceChange[] {
    return [...this.driftByUrn.values()];
  }

  /** The engine's summary; counted from the change list when the engine sent none. */
  get summary(): ChangeSummary {
    return this.engineSummary?.changes ?? summarizeChanges(this.changes);
  }

  get maybeCorrupt(): boolean {
    return this.engineSummary?.maybeCorrupt ?? false;
  }
}

/** Translate a whole recorded sequence (tests, and replay of an event log). */
export function translateAll(
  events: SdkEngineEvent[],
  opts: { redactor?: Redactor; refreshRun?: boolean } = {},
): { events: EngineEvent[]; translator: EventTranslator } {
  const translator = new EventTranslator(opts.redactor, opts.refreshRun);
  const out = events.flatMap((e) => translator.translate(e));
  return { events: out, translator };
}
