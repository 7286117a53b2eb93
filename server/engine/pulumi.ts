/**
 * The `pulumi` engine: the Automation API (`LocalWorkspace`, inline programs)
 * behind the engine port. The ONLY module in the repository that imports the
 * Automation API (a test enforces it), so it holds both halves:
 *
 * - parent side, `PulumiEngine`: readiness (CLI found or installed once,
 *   provider plugins installed once, passphrase generated), then each
 *   operation in its own child process through `child-process.ts`, retried
 *   a bounded number of times while the stack is locked;
 * - child side, `runPulumiOperation`: opens the stack, runs one operation,
 *   translates engine events (`pulumi-events.ts`), classifies failures
 *   (`pulumi-errors.ts`) and redacts everything that leaves (`redact.ts`).
 *   `pulumi-child.ts` is its entry.
 *
 * Translation, classification and redaction live in their own modules so they
 * are tested on recorded shapes without a CLI (DESIGN §7); what is left here
 * is thin glue over the SDK.
 */
import { automation } from "@pulumi/pulumi";
import { SemVer } from "semver";
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { EnvironmentSpec } from "../../programs/spec.js";
import { stackName, type LayerName } from "../../programs/layers/types.js";
import { runInChild, type ChildContext } from "./child-process.js";
import { loadLayerFactory } from "./layer-loader.js";
import { EngineError } from "./port.js";
import { StackOperations } from "./stack-operations.js";
import type { Engine, EngineEvent, RecoveryReport, RunOptions, RunResult, StackOutputs, StackRef, StackRequest } from "./port.js";
import { EventTranslator, summarize, type SdkEngineEvent } from "./pulumi-events.js";
import { classifyFailure, cliMissingError, INSTALL_URL, withLockRetry } from "./pulumi-errors.js";
import { ensurePassphrase, readPassphrase, usesPassphrase } from "./passphrase.js";
import { collectSecretOutputs, Redactor } from "./redact.js";

const { LocalWorkspace, PulumiCommand } = automation;

// Compile-time proof that the structural mirror in pulumi-events.ts accepts the SDK's events.
const _sdkEventsFitMirror: (e: automation.EngineEvent) => SdkEngineEvent = (e) => e;
void _sdkEventsFitMirror;

export const PROJECT_NAME = "goldenpath";
/** Provider plugins the programs use; versions come from the installed `@pulumi/*` packages. */
export const PLUGIN_PACKAGES = ["aws", "eks", "kubernetes", "postgresql", "random"] as const;

/** How this host's workspaces are set up; crosses to the child as JSON. */
export interface WorkspaceSettings {
  dataDir: string;
  /** `file://…` (default `file://<dataDir>/state`), `s3://…`, `azblob://…`, `gs://…`, or a Pulumi Cloud URL. */
  backendUrl: string;
  /** `passphrase` (default) or a KMS URL such as `awskms://alias/goldenpath`. */
  secretsProvider: string;
  /** Root of a CLI installed by `PulumiCommand.install`; unset: `pulumi` on PATH. */
  pulumiRoot?: string;
}

export interface PulumiEngineOptions {
  dataDir: string;
  backendUrl: string;
  secretsProvider: string;
  /** Install and use exactly this CLI version (into `<dataDir>/pulumi`). */
  pulumiVersion?: string;
  /** Seconds a cancelled run gets between SIGINT and SIGKILL (in-flight cloud calls finish first). */
  cancelGraceSeconds?: number;
  /** Tests: retries while the stack is locked, and the first backoff. */
  lockRetries?: number;
  lockBaseDelayMs?: number;
  /** Tests: module exporting `<layer>Layer` instead of programs/layers/<layer>. */
  programModule?: string;
  /** Tests: plugins to install at start-up (default: all of PLUGIN_PACKAGES). */
  plugins?: readonly string[];
}

/** `{ name, version }` of each provider plugin the programs need, from node_modules. */
export function requiredPlugins(names: readonly string[] = PLUGIN_PACKAGES): { name: string; version: string }[] {
  const require = createRequire(import.meta.url);
  return names.map((name) => {
    const pkg = require(`@pulumi/${name}/package.json`) as { version: string };
    return { name, version: pkg.version.replace(/^v/, "") };
  });
}

/** The CLI: an installed root (pinned version) or `pulumi` on PATH; ENGINE_UNAVAILABLE when absent. */
export async function findCli(pulumiRoot?: string): Promise<{ command: string; version: string }> {
  try {
    const cmd = await PulumiCommand.get(pulumiRoot ? { root: pulumiRoot, skipVersionCheck: true } : undefined);
    return { command: cmd.command, version: cmd.version?.toString() ?? "unknown" };
  } catch (err) {
    const e = classifyFailure({ message: (err as Error).message, stderr: stderrOf(err) });
    if (e.code === "ENGINE_UNAVAILABLE" && /not found/.test(e.message)) throw cliMissingError(e.detail);
    throw new EngineError("ENGINE_UNAVAILABLE", `the Pulumi CLI could not be used: ${e.message}`, { detail: e.detail, fix: `install a current CLI: ${INSTALL_URL}` });
  }
}

function stderrOf(err: unknown): string | undefined {
  const r = (err as { commandResult?: { stderr?: string } }).commandResult;
  return r?.stderr;
}

function envFor(settings: WorkspaceSettings, passphrase: string | undefined): Record<string, string> {
  return {
    PULUMI_SKIP_UPDATE_CHECK: "true",
    ...(passphrase !== undefined ? { PULUMI_CONFIG_PASSPHRASE: passphrase } : {}),
  };
}

async function workspaceOptions(settings: WorkspaceSettings, workDir: string, passphrase: string | undefined) {
  await fs.mkdir(workDir, { recursive: true });
  if (settings.backendUrl.startsWith("file://")) await fs.mkdir(fileURLToPath(settings.backendUrl), { recursive: true });
  const pulumiCommand = await PulumiCommand.get(settings.pulumiRoot ? { root: settings.pulumiRoot, skipVersionCheck: true } : undefined);
  return {
    workDir,
    pulumiCommand,
    envVars: envFor(settings, passphrase),
    secretsProvider: usesPassphrase(settings.secretsProvider) ? "passphrase" : settings.secretsProvider,
    projectSettings: { name: PROJECT_NAME, runtime: "nodejs" as const, backend: { url: settings.backendUrl } },
  };
}

/** Installed plugins (doctor); needs the CLI. */
export async function installedPlugins(settings: WorkspaceSettings): Promise<{ name: string; version?: string; kind: string }[]> {
  const ws = await LocalWorkspace.create(await workspaceOptions(settings, path.join(settings.dataDir, "workspaces", "_doctor"), undefined));
  return (await ws.listPlugins()).map((p) => ({ name: p.name, version: p.version, kind: p.kind }));
}

export class PulumiEngine extends StackOperations implements Engine {
  readonly name = "pulumi" as const;
  private ready?: Promise<WorkspaceSettings>;
  private readyFailedAt = 0;

  constructor(private readonly options: PulumiEngineOptions) {
    super();
  }

  /**
   * Once per process (memoised; concurrent callers share one attempt): find
   * or install the CLI, generate the passphrase, install provider plugins
   * one after the other (concurrent installs race). A failure is remembered
   * for 30 s, so a burst of requests does not spawn a burst of CLIs.
   */
  ensureReady(): Promise<void> {
    if (this.ready && this.readyFailedAt && Date.now() - this.readyFailedAt > 30_000) this.ready = undefined;
    this.ready ??= this.prepare().catch((err) => {
      this.readyFailedAt = Date.now();
      throw err;
    });
    return this.ready.then(() => undefined);
  }

  private async prepare(): Promise<WorkspaceSettings> {
    const o = this.options;
    const settings: WorkspaceSettings = { dataDir: o.dataDir, backendUrl: o.backendUrl, secretsProvider: o.secretsProvider };
    if (o.pulumiVersion) {
      settings.pulumiRoot = path.join(o.dataDir, "pulumi", o.pulumiVersion);
      try {
        await PulumiCommand.install({ version: new SemVer(o.pulumiVersion), root: settings.pulumiRoot });
      } catch (err) {
        throw new EngineError("ENGINE_UNAVAILABLE", `the Pulumi CLI ${o.pulumiVersion} could not be installed`, {
          detail: (err as Error).message,
          fix: `install it by hand (${INSTALL_URL}) and unset GOLDENPATH_PULUMI_VERSION, or allow this host to reach get.pulumi.com`,
        });
      }
    }
    await findCli(settings.pulumiRoot);
    const passphrase = usesPassphrase(o.secretsProvider) ? await ensurePassphrase(o.dataDir) : undefined;
    const ws = await LocalWorkspace.create(await workspaceOptions(settings, path.join(o.dataDir, "workspaces", "_setup"), passphrase));
    for (const p of requiredPlugins(o.plugins ?? PLUGIN_PACKAGES)) {
      try {
        await ws.installPlugin(p.name, `v${p.version}`);
      } catch (err) {
        throw new EngineError("ENGINE_UNAVAILABLE", `the Pulumi provider plugin ${p.name} v${p.version} could not be installed`, {
          detail: new Redactor([passphrase]).redact(stderrOf(err) ?? (err as Error).message),
          fix: `run \`pulumi plugin install resource ${p.name} v${p.version}\` on this host (it downloads from get.pulumi.com / GitHub)`,
        });
      }
    }
    return settings;
  }

  async outputs(stack: StackRef): Promise<StackOutputs> {
    return this.child<StackOutputs>({ op: "outputs", environment: stack.environment, layer: stack.layer }, () => {});
  }

  async recover(stack: StackRef): Promise<RecoveryReport> {
    return this.child<RecoveryReport>({ op: "recover", environment: stack.environment, layer: stack.layer }, () => {});
  }

  async close(): Promise<void> {
    // Children end with their operations; the runner aborts those on shutdown.
  }

  protected run(op: PulumiOp, stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    const request = { op, environment: stack.environment, layer: stack.layer, spec: stack.spec, inputs: stack.inputs, refresh: opts.refresh };
    return withLockRetry(() => this.child<RunResult>(request, opts.onEvent, opts.signal), {
      retries: this.options.lockRetries,
      baseDelayMs: this.options.lockBaseDelayMs,
      signal: opts.signal,
      sleep: (ms) => abortableSleep(ms, opts.signal),
    });
  }

  private async child<R>(req: Omit<PulumiRequest, "settings" | "programModule">, onEvent: (e: EngineEvent) => void, signal?: AbortSignal): Promise<R> {
    await this.ensureReady();
    const settings = await this.ready!;
    return runInChild<R, PulumiRequest, EngineEvent>({
      entry: new URL("./pulumi-child.ts", import.meta.url),
      request: { ...req, settings, programModule: this.options.programModule },
      onEvent,
      signal,
      graceMs: (this.options.cancelGraceSeconds ?? 120) * 1000,
    });
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

// ---------------------------------------------------------------- child side

export type PulumiOp = "up" | "preview" | "refresh" | "previewRefresh" | "destroy" | "outputs" | "recover";

/** What the parent sends the child for one operation. */
export interface PulumiRequest {
  op: PulumiOp;
  environment: string;
  layer: LayerName;
  spec?: EnvironmentSpec;
  inputs?: unknown;
  refresh?: boolean;
  settings: WorkspaceSettings;
  programModule?: string;
}

async function loadProgram(req: PulumiRequest): Promise<automation.PulumiFn> {
  const factory = await loadLayerFactory(req.layer, req.programModule);
  return factory(req.spec!, req.inputs as never);
}

async function openStack(req: PulumiRequest, program: automation.PulumiFn, passphrase: string | undefined, select: boolean) {
  const name = stackName(req.environment, req.layer);
  const opts = await workspaceOptions(req.settings, path.join(req.settings.dataDir, "workspaces", name), passphrase);
  const args = { stackName: name, projectName: PROJECT_NAME, program };
  return select ? LocalWorkspace.selectStack(args, opts) : LocalWorkspace.createOrSelectStack(args, opts);
}

/** Stack config the AWS provider reads: region, and the account guard from the spec. */
async function applyAwsConfig(stack: automation.Stack, spec: EnvironmentSpec): Promise<void> {
  await stack.removeConfig("aws:allowedAccountIds").catch(() => {});
  const config: automation.ConfigMap = { "aws:region": { value: spec.aws.region } };
  (spec.aws.allowedAccountIds ?? []).forEach((id, i) => (config[`aws:allowedAccountIds[${i}]`] = { value: id }));
  await stack.setAllConfig(config, true);
}

const noop: automation.PulumiFn = async () => ({});

/** Child side: run one operation and return its port result. */
export async function runPulumiOperation(req: PulumiRequest, ctx: ChildContext<EngineEvent>): Promise<unknown> {
  const passphrase = usesPassphrase(req.settings.secretsProvider) ? await readPassphrase(req.settings.dataDir) : undefined;
  const redactor = new Redactor([passphrase]);
  const translator = new EventTranslator(redactor, req.op === "refresh" || req.op === "previewRefresh");
  const onEvent = (e: automation.EngineEvent) => {
    for (const pe of translator.translate(e)) ctx.emit(pe);
  };
  const common = { onEvent, signal: ctx.signal, color: "never" as const };
  try {
    if (req.op === "outputs" || req.op === "recover") {
      let stack: automation.Stack;
      try {
        stack = await openStack(req, noop, passphrase, true);
      } catch (err) {
        if ((err as Error).name === "StackNotFoundError") return req.op === "outputs" ? {} : { clearedPendingOperations: [], lockReleased: false };
        throw err;
      }
      return req.op === "outputs" ? collectSecretOutputs(await stack.outputs(), redactor) : await recoverStack(stack, req.settings);
    }
    const stack = await openStack(req, await loadProgram(req), passphrase, false);
    await applyAwsConfig(stack, req.spec!);
    // Learn the stack's current secret outputs first, so a run that echoes one cannot leak it.
    collectSecretOutputs(await stack.outputs().catch(() => ({})), redactor);
    switch (req.op) {
      case "up": {
        const r = await stack.up({ ...common, refresh: req.refresh });
        const outputs = collectSecretOutputs(r.outputs, redactor);
        return { summary: translator.summary, changes: translator.changes, outputs } satisfies RunResult;
      }
      case "preview": {
        const r = await stack.preview(common);
        return { summary: summaryOr(translator, r.changeSummary), changes: translator.changes } satisfies RunResult;
      }
      case "refresh": {
        await stack.refresh(common);
        return { summary: translator.summary, changes: translator.drift } satisfies RunResult;
      }
      case "previewRefresh": {
        // Not refresh({previewOnly}): deprecated and miscounts (pulumi/pulumi#19443).
        const r = await stack.previewRefresh(common);
        return { summary: summaryOr(translator, r.changeSummary), changes: translator.drift } satisfies RunResult;
      }
      case "destroy": {
        await stack.destroy(common);
        return { summary: translator.summary, changes: translator.changes } satisfies RunResult;
      }
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw classifyFailure(
      { name: (err as Error).name, message: (err as Error).message, stderr: stderrOf(err), diagnostic: translator.firstError, aborted: ctx.signal.aborted },
      redactor,
    );
  }
}

function summaryOr(translator: EventTranslator, changeSummary: Record<string, number> | undefined) {
  return Object.keys(changeSummary ?? {}).length ? summarize(changeSummary) : translator.summary;
}

interface DeploymentState {
  version: number;
  deployment?: { pending_operations?: { resource?: { urn?: string }; type?: string }[] } & Record<string, unknown>;
}

/**
 * Release the lock a dead run left, and drop its pending operations (export,
 * edit, import: the widely used repair), recording the URNs they named —
 * those resources may exist in the cloud untracked. The state is exported
 * without `--show-secrets` (ciphertext stays ciphertext) into a 0600 file in
 * the data directory that is kept as a backup; the SDK's own exportStack /
 * importStack would write plaintext secrets to the OS temp dir.
 */
async function recoverStack(stack: automation.Stack, settings: WorkspaceSettings): Promise<RecoveryReport> {
  let lockReleased = false;
  try {
    await stack.cancel();
    lockReleased = true;
  } catch {
    // "no update in progress": nothing to release.
  }
  const ws = stack.workspace as automation.LocalWorkspace;
  const run = (ws.pulumiCommand as unknown as { run?: (args: string[], cwd: string, env: Record<string, string>) => Promise<{ stdout: string }> }).run;
  const env = { ...ws.envVars, ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}) };
  const dir = path.join(settings.dataDir, "recovery");
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${stack.name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);

  let state: DeploymentState;
  if (run) {
    state = JSON.parse((await run.call(ws.pulumiCommand, ["stack", "export", "--stack", stack.name, "--non-interactive"], ws.workDir, env)).stdout);
  } else {
    state = (await stack.exportStack()) as DeploymentState;
  }
  const pending = state.deployment?.pending_operations ?? [];
  const urns = [...new Set(pending.map((p) => p.resource?.urn).filter((u): u is string => !!u))];
  if (pending.length === 0) return { clearedPendingOperations: [], lockReleased };
  await fs.writeFile(`${file}.orig`, JSON.stringify(state), { mode: 0o600 });
  state.deployment!.pending_operations = [];
  await fs.writeFile(file, JSON.stringify(state), { mode: 0o600 });
  if (run) await run.call(ws.pulumiCommand, ["stack", "import", "--file", file, "--stack", stack.name, "--non-interactive"], ws.workDir, env);
  else await stack.importStack(state as automation.Deployment);
  return { clearedPendingOperations: urns, lockReleased };
}
