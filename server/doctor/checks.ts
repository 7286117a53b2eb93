/**
 * The individual `goldenpath doctor` checks: each answers one question about
 * this host with a pass/fail line and, when it fails, the fix. None of them
 * prints a secret (the passphrase, credentials) — only where they are and
 * whether they work.
 */
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { EngineName } from "../engine/port.js";
import { EngineError } from "../engine/port.js";
import { passphrasePath, readPassphrase, usesPassphrase } from "../engine/passphrase.js";
import { INSTALL_URL } from "../engine/pulumi-errors.js";

export type CheckStatus = "pass" | "fail" | "skip";

/** One doctor check's answer. */
export interface Check {
  name: string;
  /** False only when the check failed; skipped checks do not fail the doctor. */
  ok: boolean;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** Everything the checks need; the CLI builds it from `loadConfig()`, the server from its Config. */
export interface DoctorOptions {
  engine: EngineName;
  dataDir: string;
  backendUrl: string;
  secretsProvider: string;
  pulumiVersion?: string;
  /** Directory of checked-in environment specs (`stacks/*.yaml`). */
  stacksDir?: string;
  /** The server passes its pool; the CLI a client for DATABASE_URL; unset: skipped. */
  checkDatabase?: () => Promise<void>;
  /** Why the database check is skipped when there is no callback. */
  databaseSkipReason?: string;
  /** Timeout of network checks (AWS STS, database), ms. */
  timeoutMs?: number;
}

export const pass = (name: string, detail: string): Check => ({ name, ok: true, status: "pass", detail });
export const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, status: "fail", detail, fix });
export const skip = (name: string, detail: string): Check => ({ name, ok: true, status: "skip", detail });

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      // Not unref'd: a check waiting on a hung peer must still get its answer.
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** The pulumi adapter is loaded only when a check needs the CLI (it pulls in the whole SDK). */
async function pulumiModule() {
  return import("../engine/pulumi.js");
}

function pulumiRoot(o: DoctorOptions): string | undefined {
  return o.pulumiVersion ? path.join(o.dataDir, "pulumi", o.pulumiVersion) : undefined;
}

export async function checkPulumiCli(o: DoctorOptions): Promise<Check> {
  const name = "Pulumi CLI";
  try {
    const { findCli } = await pulumiModule();
    const cli = await findCli(pulumiRoot(o));
    return pass(name, `pulumi v${cli.version} (${cli.command})`);
  } catch (err) {
    const e = err instanceof EngineError ? err : undefined;
    if (o.pulumiVersion) {
      return fail(name, `Pulumi CLI ${o.pulumiVersion} is not installed in ${pulumiRoot(o)}`, `start the server once (it installs GOLDENPATH_PULUMI_VERSION there), or install the CLI: ${INSTALL_URL}`);
    }
    // The first line of the report on a host without the CLI: name it and where to get it.
    const what = e?.message.replace(/: the pulumi engine.*$/, "") ?? `Pulumi CLI not usable: ${(err as Error).message.split("\n")[0]}`;
    return fail(name, `${what} — install it from ${INSTALL_URL}`, `install the Pulumi CLI (${INSTALL_URL}) and make sure \`pulumi\` is on the server's PATH, or set GOLDENPATH_PULUMI_VERSION; GOLDENPATH_ENGINE=simulate runs goldenpath without it`);
  }
}

export async function checkPlugins(o: DoctorOptions, cliOk: boolean): Promise<Check> {
  const name = "Pulumi provider plugins";
  const { requiredPlugins, installedPlugins } = await pulumiModule();
  const needed = requiredPlugins();
  const list = needed.map((p) => `${p.name} v${p.version}`).join(", ");
  if (!cliOk) return fail(name, `cannot list plugins without the Pulumi CLI (needed: ${list})`, `install the Pulumi CLI first: ${INSTALL_URL}`);
  try {
    const have = await installedPlugins({ dataDir: o.dataDir, backendUrl: o.backendUrl, secretsProvider: o.secretsProvider, pulumiRoot: pulumiRoot(o) });
    const missing = needed.filter((p) => !have.some((h) => h.kind === "resource" && h.name === p.name && (h.version ?? "").replace(/^v/, "") === p.version));
    if (missing.length === 0) return pass(name, `installed: ${list}`);
    const m = missing.map((p) => `${p.name} v${p.version}`).join(", ");
    return fail(name, `missing: ${m}`, `start the server (it installs them once at start-up), or run ${missing.map((p) => `\`pulumi plugin install resource ${p.name} v${p.version}\``).join(" and ")}`);
  } catch (err) {
    return fail(name, `could not list plugins: ${(err as Error).message.split("\n")[0]}`, "run `pulumi plugin ls` to see why");
  }
}

/** The caller identity of the AWS credentials this process would use. */
export async function callerIdentity(region: string, timeoutMs: number): Promise<{ account: string; arn: string }> {
  const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const client = new STSClient({ region, maxAttempts: 1 });
  try {
    const r = await withTimeout(client.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) }), timeoutMs + 500, "AWS STS");
    return { account: r.Account ?? "", arn: r.Arn ?? "" };
  } finally {
    client.destroy();
  }
}

/** Specs under stacksDir with their `aws.allowedAccountIds` (unparseable ones are reported by name). */
export async function stackSpecs(stacksDir: string): Promise<{ file: string; region?: string; allowed?: string[]; error?: string }[]> {
  let files: string[];
  try {
    files = (await fs.readdir(stacksDir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch {
    return [];
  }
  const { parseSpec } = await import("../../programs/spec.js");
  const out = [];
  for (const file of files) {
    try {
      const spec = parseSpec(await fs.readFile(path.join(stacksDir, file), "utf8"));
      out.push({ file, region: spec.aws.region, allowed: spec.aws.allowedAccountIds });
    } catch (err) {
      out.push({ file, error: (err as Error).message.split("\n")[0] });
    }
  }
  return out;
}

export async function checkAws(o: DoctorOptions): Promise<Check[]> {
  const specs = await stackSpecs(o.stacksDir ?? path.resolve("stacks"));
  const region = specs.find((s) => s.region)?.region ?? "us-east-1";
  let identity: { account: string; arn: string };
  try {
    identity = await callerIdentity(region, o.timeoutMs ?? 5000);
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0];
    return [
      fail("AWS credentials", `not resolvable: ${msg}`, "configure credentials for this process: AWS_PROFILE (then `aws sso login` for SSO), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or an instance/task role; check with `aws sts get-caller-identity`"),
      fail("AWS account allowed by specs", "unknown: no caller identity", "fix the AWS credentials first"),
    ];
  }
  const creds = pass("AWS credentials", `account ${identity.account} as ${identity.arn}`);
  const restricting = specs.filter((s) => s.allowed && s.allowed.length > 0);
  const refused = restricting.filter((s) => !s.allowed!.includes(identity.account));
  const broken = specs.filter((s) => s.error);
  let account: Check;
  if (refused.length > 0) {
    account = fail(
      "AWS account allowed by specs",
      `account ${identity.account} is not in aws.allowedAccountIds of ${refused.map((s) => `${s.file} (${s.allowed!.join(", ")})`).join("; ")}`,
      "switch to credentials for the allowed account (e.g. AWS_PROFILE), or correct aws.allowedAccountIds in those specs",
    );
  } else if (broken.length > 0) {
    account = fail("AWS account allowed by specs", `could not read ${broken.map((s) => `${s.file}: ${s.error}`).join("; ")}`, "fix those spec files (`npm run plan -- stacks/<file>` shows the errors)");
  } else if (restricting.length === 0) {
    account = pass("AWS account allowed by specs", specs.length ? `no spec restricts aws.allowedAccountIds (${specs.length} read)` : "no specs found to check");
  } else {
    account = pass("AWS account allowed by specs", `account ${identity.account} allowed by ${restricting.map((s) => s.file).join(", ")}`);
  }
  return [creds, account];
}

function commandVersion(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const first = out.trim().split("\n")[0];
      if (code === 0) resolve(first);
      else reject(new Error(signal ? `${cmd} did not answer within ${timeoutMs} ms` : `${cmd} exited with ${code}: ${first}`));
    });
  });
}

export async function checkAwsCli(o: DoctorOptions): Promise<Check> {
  const name = "AWS CLI (kubeconfig exec plugin)";
  try {
    // Generous timeout: pyenv/pip-installed AWS CLIs take seconds to start.
    return pass(name, await commandVersion("aws", ["--version"], Math.max(o.timeoutMs ?? 5000, 20_000)));
  } catch (err) {
    return fail(
      name,
      `not usable: ${(err as Error).message}`,
      "install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html): the platform layer's kubeconfig runs `aws eks get-token`",
    );
  }
}

async function probeWritable(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const probe = path.join(dir, `.doctor-${randomUUID()}`);
  await fs.writeFile(probe, "probe", { mode: 0o600 });
  await fs.rm(probe);
}

export async function checkBackend(o: DoctorOptions): Promise<Check> {
  const name = "State backend";
  const url = o.backendUrl;
  if (url.startsWith("file://")) {
    const dir = fileURLToPath(url);
    try {
      await probeWritable(dir);
      return pass(name, `${url} is writable`);
    } catch (err) {
      return fail(name, `${url} is not writable: ${(err as Error).message}`, `fix the permissions of ${dir}, or set GOLDENPATH_BACKEND_URL`);
    }
  }
  if (/^(s3|azblob|gs):\/\//.test(url)) {
    return pass(name, `${url.split("?")[0]}: reached and checked by the Pulumi CLI login at the first operation (with the same cloud credentials)`);
  }
  if (/^https?:\/\//.test(url)) return pass(name, `${url}: Pulumi Cloud; the CLI needs PULUMI_ACCESS_TOKEN or a prior \`pulumi login\``);
  return fail(name, `unrecognised backend URL scheme: ${url.split(":")[0]}`, "use file://…, s3://…, azblob://…, gs://… or https://api.pulumi.com");
}

export async function checkSecretsProvider(o: DoctorOptions): Promise<Check> {
  const name = "Secrets provider";
  if (!usesPassphrase(o.secretsProvider)) {
    return pass(name, `${o.secretsProvider.split("?")[0]}: used by the Pulumi CLI with the same cloud credentials (not probed here)`);
  }
  const file = passphrasePath(o.dataDir);
  try {
    await readPassphrase(o.dataDir);
    return pass(name, `passphrase in ${file} (mode 0600)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return pass(name, `passphrase: ${file} is generated on the server's first start`);
    return fail(name, (err as Error).message, `chmod 600 ${file} (it must be the passphrase the stacks were created with; never replace it)`);
  }
}

export async function checkDataDir(o: DoctorOptions): Promise<Check> {
  try {
    await probeWritable(o.dataDir);
    return pass("Data directory", `${o.dataDir} is writable`);
  } catch (err) {
    return fail("Data directory", `${o.dataDir} is not writable: ${(err as Error).message}`, "fix its permissions or set GOLDENPATH_DATA_DIR");
  }
}

export async function checkDatabase(o: DoctorOptions): Promise<Check> {
  const name = "Database";
  if (!o.checkDatabase) return skip(name, o.databaseSkipReason ?? "no database to check from here");
  try {
    await withTimeout(o.checkDatabase(), o.timeoutMs ?? 5000, "the database");
    return pass(name, "reachable");
  } catch (err) {
    return fail(name, `not reachable: ${(err as Error).message.split("\n")[0]}`, "check DATABASE_URL (host, port, credentials, sslmode) and that PostgreSQL is running");
  }
}
