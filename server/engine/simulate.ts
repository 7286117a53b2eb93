/**
 * The `simulate` engine: the real layer programs under Pulumi mocks, against a
 * modelled cloud kept in the data dir, with AWS-like durations — so the whole
 * service runs and is tested with no cloud and no Pulumi CLI (DESIGN §6–7).
 *
 * Every stack operation runs in its own child process (`simulate-child.ts`
 * through the generic `child-process.ts` harness): mocks are process-global,
 * and a wedged run must not take the API down. Reads (`outputs`), recovery and
 * the test/demo controls (failure injection, out-of-band changes, the cloud
 * listing) are plain file operations here in the server process.
 */
import type { LayerName } from "../../programs/layers/types.js";
import { LAYERS } from "../../programs/layers/types.js";
import { ChildHandle } from "./child-process.js";
import { StackOperations } from "./stack-operations.js";
import type { SimulateOp, SimulateRequest } from "./simulate-steps.js";
import { changedProperties, matchesResource, SimulatedCloud, type CloudResource, type InjectedFailure } from "./simulated-cloud.js";
import {
  type Engine,
  type EngineEvent,
  type RecoveryReport,
  type RunOptions,
  type RunResult,
  type StackOutputs,
  type StackRef,
  type StackRequest,
} from "./port.js";

const CHILD_ENTRY = new URL("./simulate-child.ts", import.meta.url);

export interface SimulateEngineOptions {
  /** The service's data dir; the simulated cloud lives in `<dataDir>/simulate/`. */
  dataDir: string;
  /** Multiplies the modelled AWS durations: 0 = instant, 1 = real time. */
  timeScale: number;
  /** SIGINT → SIGKILL grace period for cancelled runs (default 10 s). */
  graceMs?: number;
  /**
   * Keep one child started and warmed (SDK loaded) for the next operation, so
   * operations do not wait seconds for the Pulumi SDK to load (default true).
   */
  spare?: boolean;
  /** Test seam: a module exporting `foundationLayer`/`platformLayer` to run instead of the real layers. */
  programModule?: string;
}

/** A failure to inject: which resource, what it says, which step, how often. */
export interface FailureRequest {
  layer?: LayerName;
  /** Logical name, URN or type token. */
  resource: string;
  message: string;
  op?: "create" | "update" | "delete";
  /** Fail this many times, then succeed again; until cleared when absent. */
  times?: number;
}

/** An edit made to the cloud behind the stack's back. */
export interface OutOfBandChange {
  layer?: LayerName;
  /** Logical name, URN or type token; must match exactly one resource. */
  resource: string;
  /** Properties to set on the actual resource. */
  set?: Record<string, unknown>;
  /** Delete the actual resource. */
  delete?: boolean;
}

/** A cloud resource as the listing shows it: property names, never values. */
export interface CloudResourceView {
  layer: LayerName;
  urn: string;
  type: string;
  name: string;
  status: "in_sync" | "drifted" | "deleted";
  properties: string[];
  /** Properties whose actual value differs from the recorded one. */
  driftedProperties: string[];
}

/** A resource selector that matched nothing, more than one thing, or a deleted resource. */
export class SimulationTargetError extends Error {
  constructor(
    readonly reason: "not-found" | "ambiguous" | "deleted",
    message: string,
  ) {
    super(message);
    this.name = "SimulationTargetError";
  }
}

export class SimulateEngine extends StackOperations implements Engine {
  readonly name = "simulate" as const;
  readonly cloud: SimulatedCloud;
  private readonly running = new Set<AbortController>();
  private spare: ChildHandle<SimulateRequest, RunResult, EngineEvent> | null = null;
  private closed = false;

  constructor(private readonly options: SimulateEngineOptions) {
    super();
    if (!(options.timeScale >= 0)) throw new RangeError("timeScale must be a number ≥ 0");
    this.cloud = new SimulatedCloud(options.dataDir);
  }

  /** Nothing to install (the SDK and the programs ship with the service); starts warming a child. */
  async ensureReady(): Promise<void> {
    this.refillSpare();
  }

  async outputs(stack: StackRef): Promise<StackOutputs> {
    const s = this.cloud.load(stack.environment, stack.layer);
    const secret = new Set(s.secretOutputs);
    return Object.fromEntries(Object.entries(s.outputs).map(([k, value]) => [k, { value, secret: secret.has(k) }]));
  }

  /** Drop the lock a killed run left; report the steps it had in flight. */
  async recover(stack: StackRef): Promise<RecoveryReport> {
    const lock = this.cloud.readLock(stack.environment, stack.layer);
    if (!lock) return { clearedPendingOperations: [], lockReleased: false };
    this.cloud.removeLock(stack.environment, stack.layer);
    return { clearedPendingOperations: lock.pending, lockReleased: true };
  }

  /** Cancel runs still in flight (SIGINT, then SIGKILL) and wait for them. */
  async close(): Promise<void> {
    this.closed = true;
    this.spare?.dispose();
    this.spare = null;
    for (const ac of this.running) ac.abort();
    while (this.running.size) await new Promise((r) => setTimeout(r, 20));
  }

  protected async run(op: SimulateOp, stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    const own = new AbortController();
    this.running.add(own);
    try {
      const request: SimulateRequest = {
        op,
        environment: stack.environment,
        layer: stack.layer,
        spec: stack.spec,
        inputs: stack.inputs,
        dataDir: this.options.dataDir,
        timeScale: this.options.timeScale,
        refresh: opts.refresh,
        programModule: this.options.programModule,
      };
      // Only up and preview run a program: they take the warm spare (SDK already
      // loaded) and a new spare starts warming. The others only read and write
      // the simulated cloud, so a cold child that never loads the SDK is faster
      // and leaves the spare for the next program run.
      const runsProgram = op === "up" || op === "preview";
      const child = runsProgram && this.spare?.available ? this.spare : this.spawn(false);
      if (child === this.spare) {
        this.spare = null;
        this.refillSpare();
      }
      return await child.run({
        request,
        onEvent: opts.onEvent,
        signal: AbortSignal.any([opts.signal, own.signal]),
        graceMs: this.options.graceMs,
      });
    } finally {
      this.running.delete(own);
    }
  }

  /** A child; `warm` makes it preload the SDK and programs while it waits (spares only). */
  private spawn(warm: boolean) {
    return new ChildHandle<SimulateRequest, RunResult, EngineEvent>({
      entry: CHILD_ENTRY,
      ...(warm ? { warm: { programModule: this.options.programModule } } : {}),
    });
  }

  private refillSpare() {
    if (this.closed || this.options.spare === false || this.spare?.available) return;
    this.spare?.dispose();
    this.spare = this.spawn(true);
  }

  // ---- test and demo controls (exposed under /v1/simulate/… by routes/simulate.ts) ----

  /** Make matching resource steps fail; persisted so the next operation's child sees it. */
  injectFailure(environment: string, req: FailureRequest): InjectedFailure {
    const failure: InjectedFailure = {
      id: `f-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      resource: req.resource,
      message: req.message,
      ...(req.layer ? { layer: req.layer } : {}),
      ...(req.op ? { op: req.op } : {}),
      ...(req.times !== undefined ? { remaining: req.times } : {}),
    };
    this.cloud.saveFailures(environment, [...this.cloud.failures(environment), failure]);
    return failure;
  }

  listFailures(environment: string): InjectedFailure[] {
    return this.cloud.failures(environment);
  }

  /** Remove every injected failure of the environment; returns how many there were. */
  clearFailures(environment: string): number {
    const n = this.cloud.failures(environment).length;
    this.cloud.saveFailures(environment, []);
    return n;
  }

  /** Edit the actual cloud behind the stack's back (drift). Returns the resource's view after the change. */
  changeOutOfBand(environment: string, change: OutOfBandChange): CloudResourceView {
    const matches: { layer: LayerName; r: CloudResource }[] = [];
    for (const layer of change.layer ? [change.layer] : LAYERS) {
      for (const r of this.cloud.load(environment, layer).resources) {
        if (r.custom && matchesResource(change.resource, r)) matches.push({ layer, r });
      }
    }
    if (matches.length === 0) throw new SimulationTargetError("not-found", `no resource ${change.resource} in the simulated cloud of ${environment}`);
    if (matches.length > 1) {
      throw new SimulationTargetError("ambiguous", `${change.resource} matches ${matches.length} resources; name one by URN: ${matches.map((m) => m.r.urn).join(", ")}`);
    }
    const { layer, r } = matches[0];
    const stack = this.cloud.load(environment, layer);
    const target = stack.resources.find((x) => x.urn === r.urn)!;
    if (target.actual === null) throw new SimulationTargetError("deleted", `${r.urn} is already deleted in the simulated cloud`);
    if (change.delete) target.actual = null;
    else target.actual = { ...target.actual, ...structuredClone(change.set ?? {}) };
    this.cloud.save(environment, layer, stack);
    return view(layer, target);
  }

  /** Every cloud resource of the environment: names and property names only. */
  listCloud(environment: string): CloudResourceView[] | null {
    const out: CloudResourceView[] = [];
    let any = false;
    for (const layer of LAYERS) {
      if (!this.cloud.exists(environment, layer)) continue;
      any = true;
      for (const r of this.cloud.load(environment, layer).resources) if (r.custom) out.push(view(layer, r));
    }
    return any ? out : null;
  }
}

function view(layer: LayerName, r: CloudResource): CloudResourceView {
  const drifted = r.actual ? changedProperties(r.recorded.state, r.actual) : [];
  return {
    layer,
    urn: r.urn,
    type: r.type,
    name: r.name,
    status: r.actual === null ? "deleted" : drifted.length ? "drifted" : "in_sync",
    properties: Object.keys(r.actual ?? r.recorded.state).sort(),
    driftedProperties: drifted,
  };
}
