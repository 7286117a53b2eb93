/**
 * Child-process entry of the simulate engine (run through `child-process.ts`).
 * One operation per process: Pulumi mocks are process-global.
 *
 * `up`/`preview` run the real layer program under mocks; every registration
 * reaches `newResource`, which diffs it against the stack's recorded state
 * (create / update / replace / same), sleeps the modelled duration there — so
 * a dependent's registration, which waits for its dependencies' outputs,
 * naturally starts after them — and answers with stored or modelled outputs.
 * Resources the program no longer registers are deleted afterwards.
 * `refresh`/`previewRefresh`/`destroy` work on the stored stack alone and do
 * not load the Pulumi SDK.
 */
import { stackName, type LayerName } from "../../programs/layers/types.js";
import type { LayerRun, MockHooks, MockResourceResult, RegisteredResource } from "../../programs/mock-runtime.js";
import { serveChild, type ChildContext } from "./child-process.js";
import { layerModuleUrl, loadLayerFactory } from "./layer-loader.js";
import { EngineError, type EngineEvent, type RunResult, type StackOutputs, type StepOp } from "./port.js";
import { Simulation, StepSkipped, stepFor, type SimulateRequest } from "./simulate-steps.js";
import { changedProperties, SimulatedCloud, type CloudResource, type StackCloud } from "./simulated-cloud.js";

/** Run the program against the stack: the `up` and `preview` diff. */
async function converge(sim: Simulation, req: SimulateRequest, preview: boolean): Promise<StackOutputs | undefined> {
  const [{ runUnderMocks, MockRunError }, { modelResource, modelCall }] = await Promise.all([
    import("../../programs/mock-runtime.js"),
    import("../../programs/mock-model.js"),
  ]);
  const ctx = { environment: req.environment, region: req.spec.aws.region };
  const registered = new Set<string>();

  const newResource = async (r: RegisteredResource, raw: Record<string, unknown>): Promise<MockResourceResult> => {
    if (r.urn.startsWith("read:")) return modelResource(ctx, r, raw); // `.get()` reads: not ours to manage
    registered.add(r.urn);
    const prev = sim.resources.get(r.urn);
    const properties = prev ? changedProperties(prev.recorded.inputs, raw) : [];
    const op: StepOp = prev ? stepFor(r.type, properties) : "create";
    const meta = { urn: r.urn, type: r.type, name: r.name, custom: true, parent: r.parent, provider: r.provider, dependsOn: r.dependsOn };
    if (op === "same") {
      if (sim.stopping) throw new StepSkipped();
      sim.instant(meta, "same", undefined, () => Object.assign(prev!, meta));
      return { id: prev!.id, state: prev!.recorded.state };
    }
    let answer: MockResourceResult = { id: "", state: {} };
    await sim.step(meta, op, raw, op === "create" ? undefined : properties, () => {
      if (op === "update" && prev!.actual === null && sim.opts.mutate) {
        sim.fail(meta, op, "not found: it was deleted outside the stack; run a refresh");
      }
      const modelled = modelResource(ctx, r, raw);
      // An in-place update keeps the physical resource (and its id).
      answer = { id: op === "update" ? prev!.id : modelled.id, state: { ...raw, ...modelled.state } };
      const stored: CloudResource = { ...meta, id: answer.id, recorded: { inputs: raw, state: answer.state }, actual: structuredClone(answer.state) };
      if (prev) Object.assign(prev, stored);
      else sim.resources.set(r.urn, stored);
    });
    return answer;
  };
  const hooks: MockHooks = { newResource, call: async (token, args) => modelCall(ctx, token, args) };

  let run: Awaited<ReturnType<typeof runUnderMocks>> | null = null;
  let programError: unknown = null;
  const factory = await loadLayerFactory(req.layer, req.programModule);
  // After a failed or cancelled step the program may never settle (outputs of
  // the failed resource stay pending, as the real engine would have killed
  // it): stop waiting once no step is in flight. The child exits right after.
  const finished = runUnderMocks(factory(req.spec, req.inputs as never), { stack: stackName(req.environment, req.layer), preview, hooks }).then(
    (r) => { run = r; },
    (err: unknown) => { programError = err; },
  );
  await Promise.race([finished, sim.stopped]);

  // Components are state, not cloud: created or kept, instantly, once the graph is known.
  const all: RegisteredResource[] = (run as LayerRun | null)?.resources ?? (programError instanceof MockRunError ? programError.resources : []);
  for (const r of all) {
    if (r.custom || r.remote) continue;
    registered.add(r.urn);
    const prev = sim.resources.get(r.urn);
    const meta: CloudResource = {
      urn: r.urn, type: r.type, name: r.name, custom: false, parent: r.parent, provider: r.provider, dependsOn: r.dependsOn,
      id: "", recorded: { inputs: r.inputs, state: {} }, actual: {},
    };
    sim.instant({ ...r, custom: false }, prev ? "same" : "create", undefined, () => {
      if (prev) Object.assign(prev, { parent: r.parent, provider: r.provider, dependsOn: r.dependsOn });
      else sim.resources.set(r.urn, meta);
    });
  }

  if (sim.opts.signal.aborted) throw new EngineError("CANCELLED", "operation cancelled");
  if (sim.failure) throw sim.failure;
  if (programError) {
    const urn = programError instanceof MockRunError ? programError.urn ?? undefined : undefined;
    const msg = programError instanceof Error ? programError.message : String(programError);
    throw new EngineError("INTERNAL", `the ${req.layer} program failed: ${msg}`, { urn });
  }

  // What the program no longer declares goes, dependents first (Pulumi deletes last).
  await sim.deleteAll([...sim.resources.values()].filter((r) => !registered.has(r.urn)));
  if (sim.opts.signal.aborted) throw new EngineError("CANCELLED", "operation cancelled");
  if (sim.failure) throw sim.failure;

  if (preview) return undefined;
  const done = run as LayerRun | null;
  if (!done) throw new EngineError("INTERNAL", `the ${req.layer} program did not finish`);
  const secret = new Set(done.secretOutputs);
  return Object.fromEntries(Object.entries(done.rawOutputs).map(([k, value]) => [k, { value, secret: secret.has(k) }]));
}

async function handle(req: SimulateRequest, ctx: ChildContext<EngineEvent>): Promise<RunResult> {
  const cloud = new SimulatedCloud(req.dataDir);
  const { environment, layer } = req;
  const mutate = req.op === "up" || req.op === "refresh" || req.op === "destroy";
  if (mutate) {
    const held = cloud.readLock(environment, layer);
    if (held) {
      throw new EngineError("STACK_LOCKED", `stack ${stackName(environment, layer)} is locked by a ${held.operation} started ${held.startedAt}`, {
        fix: "if no operation is running, recover the stack (the server does this at start-up)",
      });
    }
    cloud.writeLock(environment, layer, { pid: process.pid, operation: req.op, startedAt: new Date().toISOString(), pending: [] });
  }
  let stack: StackCloud = cloud.load(environment, layer);
  const opts = { environment, layer, timeScale: req.timeScale, emit: ctx.emit, signal: ctx.signal, cloud, lockHeld: mutate };
  ctx.emit({ kind: "diagnostic", severity: "info", message: `simulate: ${req.op} ${stackName(environment, layer)} (time scale ${req.timeScale})` });
  if (req.op === "up" && req.refresh) {
    // Accept the cloud's actual state first; its counts are not the update's.
    const refresh = new Simulation({ ...opts, mutate: false }, stack);
    refresh.refreshAll(true);
    stack = refresh.snapshot(stack);
  }
  const sim = new Simulation({ ...opts, mutate: req.op === "up" || req.op === "destroy" }, stack);

  let outputs: StackOutputs | undefined;
  try {
    switch (req.op) {
      case "preview":
      case "up":
        outputs = await converge(sim, req, req.op === "preview");
        if (outputs) {
          stack.outputs = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value]));
          stack.secretOutputs = Object.entries(outputs).filter(([, o]) => o.secret).map(([k]) => k);
        }
        break;
      case "refresh":
      case "previewRefresh":
        sim.refreshAll(req.op === "refresh");
        break;
      case "destroy":
        await sim.deleteAll([...sim.resources.values()]);
        if (ctx.signal.aborted) throw new EngineError("CANCELLED", "operation cancelled");
        if (sim.failure) throw sim.failure;
        stack.outputs = {};
        stack.secretOutputs = [];
        break;
    }
  } catch (err) {
    throw err instanceof StepSkipped ? sim.failure ?? new EngineError("CANCELLED", "operation cancelled") : err;
  } finally {
    // Like Pulumi, a failed or cancelled run keeps what it completed.
    if (mutate) {
      cloud.save(environment, layer, sim.snapshot(stack));
      cloud.removeLock(environment, layer);
    }
    sim.finish();
  }
  return { summary: sim.summary, changes: sim.changes, ...(outputs ? { outputs } : {}) };
}

/** Load the SDK, the model and the programs while no request is waiting (a warm spare). */
async function warm(hint: unknown) {
  const { programModule } = (hint ?? {}) as { programModule?: string };
  await Promise.all([import("../../programs/mock-runtime.js"), import("../../programs/mock-model.js")]);
  const layers = programModule ? [layerModuleUrl("foundation", programModule)] : (["foundation", "platform"] as const).map((l) => layerModuleUrl(l));
  await Promise.allSettled(layers.map((m) => import(m)));
}

serveChild<SimulateRequest, RunResult, EngineEvent>(handle, { warm });
