/**
 * The step machinery of the simulate engine, inside its child process: one
 * `Simulation` per operation holds the stack being changed, emits the
 * engine-shaped events of each step, sleeps the modelled duration (honouring
 * cancel), injects failures, and counts the summary.
 *
 * Steps run concurrently wherever the program's dependency graph lets them
 * (creates and updates are driven by the program's own registrations; deletes
 * by `deleteAll`, dependents first), so an operation's wall time is its
 * critical path, as with the real engine.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { LayerName } from "../../programs/layers/types.js";
import type { EnvironmentSpec } from "../../programs/spec.js";
import { stepMillis } from "./durations.js";
import { EngineError, emptySummary, type ChangeKind, type EngineEvent, type ResourceChange, type StepOp } from "./port.js";
import { changedProperties, type CloudResource, type SimulatedCloud, type StackCloud, type StackLock } from "./simulated-cloud.js";

export type SimulateOp = "up" | "preview" | "refresh" | "previewRefresh" | "destroy";

/** What the parent sends for one operation. */
export interface SimulateRequest {
  op: SimulateOp;
  environment: string;
  layer: LayerName;
  spec: EnvironmentSpec;
  inputs: unknown;
  dataDir: string;
  timeScale: number;
  /** `up` only: accept the cloud's actual state first, then converge it to the program. */
  refresh?: boolean;
  /** Module exporting `foundationLayer`/`platformLayer` instead of the real layers (tests). */
  programModule?: string;
}

/**
 * Inputs whose change makes the provider replace the resource rather than
 * update it in place (the providers' `ForceNew` properties, the ones that
 * matter here). `*`: every input.
 */
export const REPLACE_ON: Record<string, readonly string[] | "*"> = {
  "aws:rds/instance:Instance": ["identifier", "engine", "storageEncrypted", "kmsKeyId", "username", "dbName", "availabilityZone"],
  "aws:rds/parameterGroup:ParameterGroup": ["name", "family"],
  "aws:rds/subnetGroup:SubnetGroup": ["name"],
  "aws:ecr/repository:Repository": ["name"],
  "aws:eks/cluster:Cluster": ["name", "roleArn"],
  "aws:eks/nodeGroup:NodeGroup": ["clusterName", "nodeGroupName", "nodeRoleArn", "subnetIds", "instanceTypes", "amiType", "capacityType", "diskSize"],
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/subnet:Subnet": ["vpcId", "cidrBlock", "availabilityZone"],
  "aws:ec2/natGateway:NatGateway": ["allocationId", "subnetId"],
  "aws:iam/role:Role": ["name"],
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["url"],
  "aws:secretsmanager/secret:Secret": ["name"],
  "kubernetes:batch/v1:Job": ["spec"],
  "random:index/randomPassword:RandomPassword": "*",
  "random:index/randomString:RandomString": "*",
  "random:index/randomId:RandomId": "*",
};

/** The step an input change calls for. */
export function stepFor(type: string, changed: string[]): StepOp {
  if (!changed.length) return "same";
  const forcing = REPLACE_ON[type];
  return forcing === "*" || changed.some((p) => forcing?.includes(p)) ? "replace" : "update";
}

/** Which resource a step is about (a registration or a stored resource). */
export interface StepTarget {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
}

/** Thrown for steps that never started because the operation is stopping. */
export class StepSkipped extends Error {
  constructor() {
    super("step not started: the operation is stopping");
    this.name = "StepSkipped";
  }
}

const CHANGES: readonly StepOp[] = ["create", "update", "replace", "delete"];

export interface SimulationOptions {
  environment: string;
  layer: LayerName;
  timeScale: number;
  /** false for previews: no sleeping, no failures, no lock bookkeeping. */
  mutate: boolean;
  emit: (e: EngineEvent) => void;
  signal: AbortSignal;
  cloud: SimulatedCloud;
  /** Whether to track pending steps in the stack's lock file. */
  lockHeld: boolean;
}

export class Simulation {
  readonly summary = emptySummary();
  readonly changes: ResourceChange[] = [];
  /** Resources by URN, in stack order; what gets saved. */
  readonly resources: Map<string, CloudResource>;
  failure: EngineError | null = null;
  private readonly pending = new Set<string>();
  private readonly started = Date.now();
  private inflight = 0;
  private lock: StackLock | null = null;
  private onStopped: (() => void) | null = null;
  /** Resolves once the operation is stopping and no step is in flight. */
  readonly stopped: Promise<void>;

  constructor(
    readonly opts: SimulationOptions,
    stack: StackCloud,
  ) {
    this.resources = new Map(stack.resources.map((r) => [r.urn, r]));
    this.stopped = new Promise((resolve) => (this.onStopped = resolve));
    opts.signal.addEventListener("abort", () => this.checkStopped(), { once: true });
  }

  private checkStopped() {
    if (this.stopping && this.inflight === 0) this.onStopped?.();
  }

  /** True once a step failed or the operation was cancelled: start nothing new. */
  get stopping(): boolean {
    return this.failure !== null || this.opts.signal.aborted;
  }

  /** Count a step and, for changes, remember it for the result. */
  record(target: StepTarget, op: StepOp, properties: string[] = []) {
    if (op === "same") this.summary.same++;
    else if ((CHANGES as string[]).includes(op)) {
      this.summary[op as ChangeKind]++;
      this.changes.push({ urn: target.urn, type: target.type, change: op as ChangeKind, properties });
    }
  }

  /** A step that takes no time and cannot fail (`same`, components, previews). */
  instant(target: StepTarget, op: StepOp, properties?: string[], apply?: () => void) {
    const props = properties?.length ? { properties } : {};
    this.opts.emit({ kind: "resource-pre", urn: target.urn, type: target.type, op, ...props });
    apply?.();
    this.opts.emit({ kind: "resource-outputs", urn: target.urn, type: target.type, op, ...props });
    this.record(target, op, properties);
  }

  /**
   * A changing step: announce it, wait its modelled duration, fail it if a
   * failure is injected, else `apply` it to the stack. Throws on failure or
   * cancel (the caller's registration then fails, as in the real engine).
   */
  async step(target: StepTarget, op: StepOp, inputs: Record<string, unknown>, properties: string[] | undefined, apply: () => void): Promise<void> {
    if (this.stopping) throw new StepSkipped();
    if (!this.opts.mutate) return this.instant(target, op, properties, apply);
    const props = properties?.length ? { properties } : {};
    this.opts.emit({ kind: "resource-pre", urn: target.urn, type: target.type, op, ...props });
    this.setPending(target.urn, true);
    this.inflight++;
    try {
      const ms = stepMillis(target.type, op, inputs, this.opts.timeScale, target.custom);
      if (ms > 0) {
        try {
          await sleep(ms, undefined, { signal: this.opts.signal });
        } catch {
          this.opts.emit({ kind: "resource-failed", urn: target.urn, type: target.type, op, message: "interrupted: the operation was cancelled" });
          throw new EngineError("CANCELLED", "operation cancelled");
        }
      }
      const injected = target.custom ? this.opts.cloud.takeFailure(this.opts.environment, this.opts.layer, target, op) : null;
      if (injected) this.fail(target, op, injected.message);
      apply();
    } finally {
      this.setPending(target.urn, false);
      this.inflight--;
      this.checkStopped();
    }
    this.opts.emit({ kind: "resource-outputs", urn: target.urn, type: target.type, op, ...props });
    this.record(target, op, properties);
  }

  /** Fail a step: `resource-failed`, an error diagnostic, and the operation's PROVIDER_ERROR. */
  fail(target: StepTarget, op: StepOp, message: string): never {
    const text = `${target.type} ${target.name}: ${message}`;
    this.opts.emit({ kind: "resource-failed", urn: target.urn, type: target.type, op, message });
    this.opts.emit({ kind: "diagnostic", severity: "error", message: text, urn: target.urn });
    const err = new EngineError("PROVIDER_ERROR", text, { urn: target.urn });
    this.failure ??= err;
    this.checkStopped();
    throw err;
  }

  /**
   * Delete resources in reverse dependency order: each one after everything in
   * `list` that depends on it (dependsOn, parent, provider), independent ones
   * concurrently. Stops starting new deletes after a failure or cancel.
   */
  async deleteAll(list: CloudResource[]): Promise<void> {
    const members = new Map(list.map((r) => [r.urn, r]));
    const dependents = new Map<string, string[]>();
    for (const r of list) {
      for (const dep of new Set([...r.dependsOn, r.parent, r.provider])) {
        if (dep && dep !== r.urn && members.has(dep)) dependents.set(dep, [...(dependents.get(dep) ?? []), r.urn]);
      }
    }
    const running = new Map<string, Promise<void>>();
    const remove = (r: CloudResource): Promise<void> => {
      const existing = running.get(r.urn);
      if (existing) return existing;
      const p = (async () => {
        await Promise.resolve(); // register the promise before walking dependents (guards a malformed cycle)
        await Promise.all((dependents.get(r.urn) ?? []).map((u) => remove(members.get(u)!)));
        await this.step(r, "delete", r.recorded.inputs, undefined, () => this.resources.delete(r.urn));
      })();
      running.set(r.urn, p);
      return p;
    };
    await Promise.allSettled(list.map(remove));
  }

  /**
   * Cloud drift of every custom resource: `actual` against `recorded`.
   * Emits `refresh` pre-events and outputs with op `update`/`delete`/`same`
   * (what a Pulumi refresh reports); with `accept`, recorded takes the actual.
   */
  refreshAll(accept: boolean) {
    for (const r of [...this.resources.values()]) {
      if (!r.custom) continue;
      this.opts.emit({ kind: "resource-pre", urn: r.urn, type: r.type, op: "refresh" });
      const properties = r.actual ? changedProperties(r.recorded.state, r.actual) : [];
      const op: StepOp = r.actual === null ? "delete" : properties.length ? "update" : "same";
      if (accept && op === "delete") this.resources.delete(r.urn);
      if (accept && op === "update") {
        const actual = r.actual!;
        const inputs = { ...r.recorded.inputs };
        for (const k of Object.keys(inputs)) if (k in actual) inputs[k] = actual[k];
        r.recorded = { inputs, state: structuredClone(actual) };
      }
      this.opts.emit({ kind: "resource-outputs", urn: r.urn, type: r.type, op, ...(properties.length ? { properties } : {}) });
      this.record(r, op, properties);
    }
  }

  /** The summary event; sent once, whether the operation succeeded or not. */
  finish() {
    this.opts.emit({ kind: "summary", changes: { ...this.summary }, durationMs: Date.now() - this.started });
  }

  /** The stack as it stands now (for saving). */
  snapshot(base: StackCloud): StackCloud {
    return { ...base, resources: [...this.resources.values()] };
  }

  private setPending(urn: string, on: boolean) {
    if (on) this.pending.add(urn);
    else this.pending.delete(urn);
    if (!this.opts.lockHeld) return;
    const { cloud, environment, layer } = this.opts;
    this.lock ??= cloud.readLock(environment, layer);
    if (this.lock) cloud.writeLock(environment, layer, { ...this.lock, pending: [...this.pending] });
  }
}
