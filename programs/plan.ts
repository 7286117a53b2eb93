/**
 * Offline plan: run each layer under Pulumi mocks against the deterministic
 * cloud model, capture the resource graph (type, name, parent, provider,
 * dependencies, resolved inputs), run the policy rules, and return
 * `{environment, layers, findings}`. No cloud, no Pulumi CLI.
 *
 * Mocks are process-global in the SDK, and a broken program could leave
 * timers and handles behind, so `planEnvironment` runs the layers in a child
 * process by default (`node --import tsx programs/plan-child.ts`, spec as
 * JSON on stdin, plan as JSON on stdout). `planInProcess` is the same work in
 * the calling process, for warm repeated plans (each layer runs in its own
 * SDK store, so runs may follow one another, never overlap).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { EnvironmentSpec } from "./spec.js";
import { LAYERS, stackName, type LayerFactory, type LayerName } from "./layers/types.js";
import { runUnderMocks, MockRunError, type LayerRun, type RegisteredResource } from "./mock-runtime.js";
import { cloudContext, knownSecretValues, mockHooks, platformInputsFor } from "./mock-model.js";
import { runPolicies, type Finding, type PlanGraph, type PlannedLayer } from "./policy/index.js";
import { scrub } from "./policy/no-plain-secrets.js";
import { walkStrings } from "./policy/graph.js";

export const PROJECT = "goldenpath";

/** One resource as the plan prints it: the registration, without the runtime's bookkeeping. */
export type PlannedResource = Pick<RegisteredResource, "urn" | "type" | "name" | "parent" | "provider" | "dependsOn" | "inputs">;

/** The plan of an environment (the `goldenpath plan --json` shape). */
export interface Plan {
  environment: string;
  layers: { name: LayerName; resources: PlannedResource[]; outputs: Record<string, unknown> }[];
  findings: Finding[];
}

/** Modules exporting the layer factories (`foundationLayer`, `platformLayer`); stand-ins in tests. */
export type LayerModules = Partial<Record<LayerName, string>>;

export interface PlanOptions {
  /** Layers to print; the foundation still runs (unprinted) to feed the platform. Default: both. */
  layers?: LayerName[];
  /** Run in a child process (default true). */
  childProcess?: boolean;
  /** Override where the layer factories come from (module paths or file URLs). */
  layerModules?: LayerModules;
}

const DEFAULT_MODULES: Record<LayerName, string> = {
  foundation: new URL("./layers/foundation.js", import.meta.url).href,
  platform: new URL("./layers/platform.js", import.meta.url).href,
};
const EXPORTS: Record<LayerName, string> = { foundation: "foundationLayer", platform: "platformLayer" };

async function loadFactory<L extends LayerName>(layer: L, modules: LayerModules | undefined): Promise<LayerFactory<L>> {
  const where = modules?.[layer] ?? DEFAULT_MODULES[layer];
  const url = /^[a-z]+:/.test(where) ? where : pathToFileURL(where).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[EXPORTS[layer]];
  if (typeof factory !== "function") throw new Error(`${where} does not export ${EXPORTS[layer]}`);
  return factory as LayerFactory<L>;
}

export function rootStackUrn(stack: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${stack}`;
}

const printable = (r: RegisteredResource): PlannedResource => ({
  urn: r.urn, type: r.type, name: r.name, parent: r.parent, provider: r.provider, dependsOn: r.dependsOn, inputs: r.inputs,
});

/** Strings of at least 8 characters inside raw secret outputs: never printed either. */
function secretOutputValues(run: LayerRun): string[] {
  const out: string[] = [];
  for (const k of run.secretOutputs) walkStrings(run.rawOutputs[k], (_p, s) => { if (s.length >= 8) out.push(s); });
  return out;
}

/** Plan in this process. See the module comment on sequential runs. */
export async function planInProcess(spec: EnvironmentSpec, opts: Omit<PlanOptions, "childProcess"> = {}): Promise<Plan> {
  const wanted = new Set<LayerName>(opts.layers ?? LAYERS);
  const ctx = cloudContext(spec);
  const model = mockHooks(ctx);
  const ids: Record<string, string> = {};
  const hooks = {
    newResource: async (r: RegisteredResource, raw: Record<string, unknown>) => {
      const result = await model.newResource(r, raw);
      if (result.id) ids[r.urn] = result.id;
      return result;
    },
    call: model.call,
  };
  const planned: PlannedLayer[] = [];
  const errors: Finding[] = [];
  const extraSecrets: string[] = [];
  let foundationRaw: Record<string, unknown> | undefined;
  let foundationFailed = false;
  for (const layer of LAYERS) {
    if (layer === "foundation" && !wanted.has("foundation") && !wanted.has("platform")) continue;
    const stack = stackName(spec.name, layer);
    if (layer === "platform" && !wanted.has("platform")) continue;
    if (layer === "platform" && foundationFailed) {
      errors.push({ rule: "program-error", severity: "error", urn: rootStackUrn(stack), message: "the platform layer was not planned because the foundation layer failed" });
      continue;
    }
    let run: LayerRun;
    try {
      const program =
        layer === "foundation"
          ? (await loadFactory("foundation", opts.layerModules))(spec, {})
          : (await loadFactory("platform", opts.layerModules))(spec, platformInputsFor(spec, foundationRaw, ctx));
      run = await runUnderMocks(program, { project: PROJECT, stack, hooks });
    } catch (err) {
      if (layer === "foundation" && !wanted.has("foundation") && !(err instanceof MockRunError)) {
        // Planning only the platform without a loadable foundation: feed it the modelled outputs.
        continue;
      }
      const e = err instanceof MockRunError ? err : new MockRunError((err as Error)?.message ?? String(err), null, []);
      errors.push({ rule: "program-error", severity: "error", urn: e.urn ?? rootStackUrn(stack), message: `the ${layer} program failed: ${e.message}` });
      run = { resources: e.resources, outputs: {}, secretOutputs: [], rawOutputs: {} };
      if (layer === "foundation") foundationFailed = true;
    }
    if (layer === "foundation") foundationRaw = run.rawOutputs;
    extraSecrets.push(...secretOutputValues(run));
    planned.push({ name: layer, stackUrn: rootStackUrn(stack), resources: run.resources, outputs: run.outputs });
  }
  const knownSecrets = [...new Set([...knownSecretValues(), ...extraSecrets])];
  const graph: PlanGraph = { environment: spec.name, region: ctx.region, accountId: ctx.accountId, layers: planned, ids, knownSecrets };
  const shown = new Set(planned.filter((l) => wanted.has(l.name)).flatMap((l) => [l.stackUrn, ...l.resources.map((r) => r.urn)]));
  const findings = [...errors, ...runPolicies(graph, spec)].filter((f) => shown.has(f.urn) || f.rule === "program-error");
  const plan: Plan = {
    environment: spec.name,
    layers: planned.filter((l) => wanted.has(l.name)).map((l) => ({ name: l.name, resources: l.resources.map(printable), outputs: l.outputs })),
    findings,
  };
  // A rule may have found a secret in plain inputs; report it, never print it.
  return scrub(plan, knownSecrets);
}

const require = createRequire(import.meta.url);
const CHILD = fileURLToPath(new URL("./plan-child.ts", import.meta.url));

/** Plan an environment (in a child process unless `childProcess: false`). */
export async function planEnvironment(spec: EnvironmentSpec, opts: PlanOptions = {}): Promise<Plan> {
  if (opts.childProcess === false) return planInProcess(spec, opts);
  const tsx = pathToFileURL(require.resolve("tsx")).href;
  const child = spawn(process.execPath, ["--import", tsx, CHILD], { stdio: ["pipe", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => stdout.push(b));
  child.stderr.on("data", (b: Buffer) => stderr.push(b));
  child.stdin.end(JSON.stringify({ spec, layers: opts.layers, layerModules: opts.layerModules }));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const text = Buffer.concat(stdout).toString("utf8");
  if (code !== 0) {
    // The child prints only its own error message (never inputs), so it is safe to pass on.
    throw new Error(`plan child process exited with ${code}: ${Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-5).join("\n")}`);
  }
  return JSON.parse(text) as Plan;
}
