/**
 * Run a layer program under Pulumi mocks and capture every registration.
 *
 * `pulumi.runtime.setMocks` hands its `newResource` callback only type, name
 * and inputs: no parent, no provider, no dependencies. The offline plan and
 * the simulate engine need the whole graph, so this module installs its own
 * mock monitor (a `MockMonitor` subclass) that reads the gRPC register request
 * itself: `getParent()`, `getProvider()`, `getDependenciesList()`,
 * `getPropertydependenciesMap()` and the serialized inputs, secrets included.
 *
 * Process-global state: the SDK keeps its settings (monitor, stack, flags) in
 * a store. Each `runUnderMocks` call runs inside its own store
 * (`withLocalStorage`, the mechanism the Automation API uses for inline
 * programs), so several runs in one process work one after another (the
 * platform layer after the foundation, `plan` warm runs). Runs must not
 * overlap in time, though: the SDK also mirrors the stack resource and its
 * monitor into module globals, so keep one run at a time per process (the
 * plan and simulate engines run them sequentially in a child process).
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import type { LayerProgram } from "./layers/types.js";
import { mockHooks } from "./mock-model.js";

const require = createRequire(import.meta.url);
// The SDK's internals, loaded from the same CommonJS instances `@pulumi/pulumi`
// uses (there is no "exports" map, so deep paths resolve to the same files).
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi"));
const state = pulumiRequire("./runtime/state.js") as {
  withLocalStorage<T>(cb: () => Promise<T>): Promise<T>;
  getStore(): Record<string, unknown>;
};
const settings = pulumiRequire("./runtime/settings.js") as {
  setMockOptions(monitor: unknown, project?: string, stack?: string, preview?: boolean, organization?: string): void;
  waitForRPCs(): Promise<void>;
};
const rpc = pulumiRequire("./runtime/rpc.js") as {
  serializeProperties(label: string, props: Record<string, unknown>): Promise<Record<string, unknown>>;
  specialSigKey: string;
  specialSecretSig: string;
  specialResourceSig: string;
  specialOutputValueSig: string;
  specialAssetSig: string;
  specialArchiveSig: string;
  unknownValue: string;
};
const { MockMonitor } = pulumiRequire("./runtime/mocks.js") as typeof import("@pulumi/pulumi/runtime/mocks.js");
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb.js");
const resproto = pulumiRequire("./proto/resource_pb.js");

export const SECRET = "[secret]";
/** Stand-in for a value the engine would only know after `up` (preview runs). */
export const UNKNOWN = "[unknown]";
const STACK_TYPE = "pulumi:pulumi:Stack";

/** One resource registration, as the engine would see it. */
export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  /** Parent URN; null for top-level resources (the root Stack is not listed). */
  parent: string | null;
  /** URN of the explicit provider; null for the default provider. */
  provider: string | null;
  /** explicit dependsOn + implicit (input) dependencies, deduplicated URNs */
  dependsOn: string[];
  /** resolved inputs; secret values replaced by the string "[secret]" */
  inputs: Record<string, unknown>;
  /** names of inputs that were secret */
  secretInputs: string[];
  custom: boolean; // false for ComponentResources
  /** A multi-language component (e.g. `eks:index:Cluster`): a component whose outputs a provider computes. */
  remote?: boolean;
}

export interface MockResourceResult {
  id: string;
  state: Record<string, unknown>;
}

/** How the mocked cloud answers. */
export interface MockHooks {
  /** produce id+outputs for a custom resource (default: mock-model). May be async (the simulate engine sleeps here to model durations, and throws to inject failures). */
  newResource?(r: RegisteredResource, rawInputs: Record<string, unknown>): Promise<MockResourceResult>;
  call?(token: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** What one layer run produced. */
export interface LayerRun {
  resources: RegisteredResource[];
  /** secret outputs as "[secret]" */
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  /** unredacted, never printed: the simulate engine passes foundation outputs to platform with them */
  rawOutputs: Record<string, unknown>;
}

/**
 * A layer program failed under mocks (a `ResourceError` from a component, a
 * hook that threw). Carries the URN of the failing resource when known and
 * what registered before the failure. The message is the program's own; the
 * programs never put secret values in error messages.
 */
export class MockRunError extends Error {
  constructor(
    message: string,
    readonly urn: string | null,
    readonly resources: RegisteredResource[],
  ) {
    super(message);
    this.name = "MockRunError";
  }
}

/** Decoded property value: the redacted view, the raw view, and whether a secret was inside. */
interface Decoded {
  redacted: unknown;
  raw: unknown;
  secret: boolean;
}

/** Turn the wire form of a property (a Struct as JS) into plain values, tracking secrets. */
function decode(v: unknown): Decoded {
  if (v === rpc.unknownValue) return { redacted: UNKNOWN, raw: undefined, secret: false };
  if (v === null || typeof v !== "object") return { redacted: v, raw: v, secret: false };
  if (Array.isArray(v)) {
    const parts = v.map(decode);
    return { redacted: parts.map((p) => p.redacted), raw: parts.map((p) => p.raw), secret: parts.some((p) => p.secret) };
  }
  const o = v as Record<string, unknown>;
  const sig = o[rpc.specialSigKey];
  if (sig === rpc.specialSecretSig) {
    const inner = decode(o.value);
    return { redacted: SECRET, raw: inner.raw, secret: true };
  }
  if (sig === rpc.specialResourceSig) {
    // A resource passed as an input: the plan shows its URN.
    return { redacted: o.urn, raw: o.urn, secret: false };
  }
  if (sig === rpc.specialOutputValueSig) {
    const inner = o.value === undefined ? { redacted: UNKNOWN, raw: undefined, secret: false } : decode(o.value);
    if (o.secret === true) return { redacted: SECRET, raw: inner.raw, secret: true };
    return inner;
  }
  if (sig === rpc.specialAssetSig || sig === rpc.specialArchiveSig) {
    const kind = sig === rpc.specialAssetSig ? "asset" : "archive";
    const where = o.path ?? o.uri ?? (o.text !== undefined ? "(text)" : "(assets)");
    return { redacted: { [kind]: where }, raw: { [kind]: where, text: o.text }, secret: false };
  }
  const redacted: Record<string, unknown> = {};
  const raw: Record<string, unknown> = {};
  let secret = false;
  for (const [k, val] of Object.entries(o)) {
    if (val === undefined) continue;
    const d = decode(val);
    redacted[k] = d.redacted;
    raw[k] = d.raw;
    secret ||= d.secret;
  }
  return { redacted, raw, secret };
}

/** Decode a property map; `secret` lists the top-level keys holding a secret anywhere inside. */
function decodeProps(struct: { toJavaScript(): Record<string, unknown> } | undefined) {
  const inputs: Record<string, unknown> = {};
  const raw: Record<string, unknown> = {};
  const secret: string[] = [];
  for (const [k, v] of Object.entries(struct?.toJavaScript() ?? {})) {
    if (v === undefined) continue;
    const d = decode(v);
    inputs[k] = d.redacted;
    raw[k] = d.raw;
    if (d.secret) secret.push(k);
  }
  return { inputs, raw, secret };
}

/** Provider references are `<provider urn>::<provider id>`; URNs contain `::` themselves. */
function providerUrn(ref: string): string | null {
  if (!ref) return null;
  const i = ref.lastIndexOf("::");
  return i > 0 ? ref.slice(0, i) : ref;
}

type Callback = (err: unknown, resp?: unknown) => void;

/** The mock monitor that records the graph. */
class CapturingMonitor extends MockMonitor {
  readonly registered: RegisteredResource[] = [];
  readonly errors: { urn: string | null; error: unknown }[] = [];
  stackUrn: string | null = null;
  stackOutputs: ReturnType<typeof decodeProps> | null = null;

  constructor(private readonly hooks: Required<MockHooks>) {
    super({
      // Only reached through the base class's invoke/readResource.
      call: async (args) => hooks.call(args.token, unwrapSecrets(args.inputs) as Record<string, unknown>),
      newResource: async (args) => {
        const r: RegisteredResource = {
          urn: `read:${args.type}::${args.name}`, type: args.type, name: args.name, parent: null, provider: null,
          dependsOn: [], inputs: {}, secretInputs: [], custom: true,
        };
        return hooks.newResource(r, { ...(unwrapSecrets(args.inputs) as Record<string, unknown>), id: args.id });
      },
    });
  }

  override async registerResource(req: any, callback: Callback): Promise<void> {
    const type: string = req.getType();
    const name: string = req.getName();
    const parentUrn: string = req.getParent();
    // As the engine does, the root stack is not part of its children's type chain.
    const typeParent = parentUrn && parentUrn !== this.stackUrn ? parentUrn : "";
    const urn: string = (this as any).newUrn(typeParent, type, name);
    try {
      if (type === STACK_TYPE && !parentUrn) {
        this.stackUrn = urn;
        this.resources.set(urn, { urn, id: null, state: {} });
        return respond(callback, urn, "", {});
      }
      const deps = new Set<string>(req.getDependenciesList());
      req.getPropertydependenciesMap().forEach((pd: any) => {
        for (const d of pd.getUrnsList()) deps.add(d);
      });
      deps.delete(this.stackUrn ?? "");
      const props = decodeProps(req.getObject());
      const r: RegisteredResource = {
        urn,
        type,
        name,
        parent: parentUrn && parentUrn !== this.stackUrn ? parentUrn : null,
        provider: providerUrn(req.getProvider()),
        dependsOn: [...deps],
        inputs: props.inputs,
        secretInputs: props.secret,
        custom: req.getCustom(),
        remote: req.getRemote() || undefined,
      };
      if (!r.remote) delete r.remote;
      this.registered.push(r);
      const result = r.custom || r.remote ? await this.hooks.newResource(r, props.raw) : { id: "", state: {} };
      // The engine, not the SDK, marks outputs secret: those named in
      // additionalSecretOutputs and those whose same-named input was secret.
      const secretKeys = new Set<string>([...req.getAdditionalsecretoutputsList(), ...r.secretInputs]);
      const state = Object.fromEntries(
        Object.entries(result.state).map(([k, v]) => [k, secretKeys.has(k) && v !== undefined ? pulumi.secret(v) : v]),
      );
      const serialized = await rpc.serializeProperties("", state);
      this.resources.set(urn, { urn, id: result.id ?? null, state: serialized });
      respond(callback, urn, result.id ?? "", serialized);
    } catch (err) {
      this.errors.push({ urn, error: err });
      callback(err);
    }
  }

  override registerResourceOutputs(req: any, callback: Callback): void {
    if (req.getUrn() === this.stackUrn) this.stackOutputs = decodeProps(req.getOutputs());
    super.registerResourceOutputs(req, callback);
  }
}

function respond(callback: Callback, urn: string, id: string, serialized: Record<string, unknown>) {
  const resp = new resproto.RegisterResourceResponse();
  resp.setUrn(urn);
  resp.setId(id);
  resp.setObject(structproto.Struct.fromJavaScript(serialized));
  callback(null, resp);
}

/** `deserializeProperties` keeps secrets as `{sig, value}` wrappers; hooks get plain values. */
function unwrapSecrets(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  const o = v as Record<string, unknown>;
  if (o[rpc.specialSigKey] === rpc.specialSecretSig) return unwrapSecrets(o.value);
  if (pulumi.asset.Asset.isInstance(o) || pulumi.asset.Archive.isInstance(o)) return o;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** The URN of the resource an error is about, for ResourceErrors and failed registrations. */
function errorUrn(err: unknown, monitor: CapturingMonitor): Promise<string | null> {
  const res = (err as { resource?: pulumi.Resource })?.resource;
  if (res && pulumi.Resource.isInstance(res)) {
    return new Promise((resolve) => {
      // The URN of a resource whose constructor threw may never resolve; fall back to null.
      const timer = setTimeout(() => resolve(null), 200);
      (res.urn as any).promise(true).then(
        (u: string) => { clearTimeout(timer); resolve(u ?? null); },
        () => { clearTimeout(timer); resolve(null); },
      );
    });
  }
  // The SDK rewraps failed registrations; match by message as well.
  const failed = monitor.errors.find((e) => e.error === err || message(err).includes(message(e.error)));
  return Promise.resolve(failed?.urn ?? null);
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Run `program` as the root of a mocked stack and return the graph it
 * registered and its outputs. See the module comment on process-global state.
 */
export async function runUnderMocks(
  program: LayerProgram,
  opts: { project?: string; stack: string; preview?: boolean; hooks?: MockHooks },
): Promise<LayerRun> {
  const defaults = mockHooks({ environment: opts.stack.split("-")[0] });
  const hooks: Required<MockHooks> = {
    newResource: opts.hooks?.newResource?.bind(opts.hooks) ?? defaults.newResource,
    call: opts.hooks?.call?.bind(opts.hooks) ?? defaults.call,
  };
  const monitor = new CapturingMonitor(hooks);
  // Errors the program leaves unhandled (a registration that failed while
  // nothing awaited it) still fail the run, as they fail `pulumi up`.
  const stray: unknown[] = [];
  const onStray = (err: unknown) => stray.push(err);
  process.on("unhandledRejection", onStray);
  process.on("uncaughtException", onStray);
  try {
    return await state.withLocalStorage(async () => {
      settings.setMockOptions(monitor, opts.project ?? "goldenpath", opts.stack, opts.preview ?? false);
      // The features `setMocks` turns on (all but outputValues, so inputs arrive resolved).
      Object.assign(state.getStore(), {
        supportsSecrets: true,
        supportsResourceReferences: true,
        supportsOutputValues: false,
        supportsDeletedWith: true,
        supportsReplaceWith: true,
        supportsAliasSpecs: true,
        supportsTransforms: false,
        supportsParameterization: true,
        supportsResourceHooks: true,
        supportsErrorHooks: true,
      });
      let failure: unknown = null;
      try {
        await pulumi.runtime.runInPulumiStack(program);
      } catch (err) {
        failure = err;
      }
      await settings.waitForRPCs().catch((err: unknown) => { failure ??= err; });
      // Let rejected promises surface as unhandled rejections before deciding.
      await new Promise((r) => setImmediate(r));
      failure ??= monitor.errors[0]?.error ?? stray[0] ?? null;
      if (failure !== null) {
        throw new MockRunError(message(failure), await errorUrn(failure, monitor), monitor.registered);
      }
      const out = monitor.stackOutputs ?? { inputs: {}, raw: {}, secret: [] };
      return { resources: monitor.registered, outputs: out.inputs, secretOutputs: out.secret, rawOutputs: out.raw };
    });
  } finally {
    process.off("unhandledRejection", onStray);
    process.off("uncaughtException", onStray);
  }
}
