import t from "tap";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatReport, runDoctor } from "../../../server/doctor/doctor.js";
import { checkBackend, checkDatabase, checkSecretsProvider, stackSpecs } from "../../../server/doctor/checks.js";
import { ensurePassphrase } from "../../../server/engine/passphrase.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const tmp = () => mkdtempSync(path.join(tmpdir(), "gp-doctor-"));

/** PATH without any directory holding a `pulumi` binary. */
function pathWithoutPulumi(): string {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => {
      try {
        statSync(path.join(d, "pulumi"));
        return false;
      } catch {
        return true;
      }
    })
    .join(path.delimiter);
}

function runCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const script = 'const m = await import("./cli/doctor.ts"); process.exitCode = await m.run(process.argv.slice(1));';
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      env: { HOME: process.env.HOME ?? "/tmp", PATH: pathWithoutPulumi(), AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

t.test("without the Pulumi CLI: the first line names it and the install page; exit is non-zero", async (t) => {
  const dir = tmp();
  const r = await runCli({ GOLDENPATH_DATA_DIR: dir, GOLDENPATH_ENGINE: "pulumi" });
  const first = r.stdout.split("\n")[0];
  t.match(first, /^FAIL\s+Pulumi CLI: Pulumi CLI not found on PATH/);
  t.match(first, "https://www.pulumi.com/docs/iac/download-install/");
  t.equal(r.code, 1);
  t.match(r.stdout, /fix: /);
  t.notMatch(r.stdout, /PULUMI_CONFIG_PASSPHRASE=/);
});

t.test("with the simulate engine: applicable checks pass, the pulumi-only ones are listed as skipped, exit 0", async (t) => {
  const dir = tmp();
  const r = await runCli({ GOLDENPATH_DATA_DIR: dir, GOLDENPATH_ENGINE: "simulate" });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^ok\s+Data directory: .* is writable$/m);
  for (const name of ["Pulumi CLI", "Pulumi provider plugins", "AWS credentials", "AWS CLI", "State backend", "Secrets provider"]) {
    t.match(r.stdout, new RegExp(`^skip\\s+${name}.*: not needed by the simulate engine`, "m"), `${name} skipped`);
  }
  t.match(r.stdout, /All checks that apply to the simulate engine passed\. Skipped: Pulumi CLI, /);
});

t.test("--json gives the same report as data", async (t) => {
  const r = await runCli({ GOLDENPATH_DATA_DIR: tmp(), GOLDENPATH_ENGINE: "simulate" });
  t.equal(r.code, 0);
  const rj = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", 'const m = await import("./cli/doctor.ts"); process.exitCode = await m.run(["--json"]);'], {
      cwd: root,
      env: { ...process.env, GOLDENPATH_DATA_DIR: tmp(), GOLDENPATH_ENGINE: "simulate" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", () => resolve(out));
  });
  const report = JSON.parse(rj);
  t.equal(report.engine, "simulate");
  t.equal(report.ok, true);
  t.ok(report.checks.some((c: { status: string }) => c.status === "skip"));
});

t.test("a failing database check fails the doctor; a passing one passes", async (t) => {
  const dir = tmp();
  const bad = await runDoctor({ engine: "simulate", dataDir: dir, backendUrl: `file://${dir}/state`, secretsProvider: "passphrase", checkDatabase: async () => Promise.reject(new Error("ECONNREFUSED 127.0.0.1:5432")) });
  t.equal(bad.ok, false);
  t.match(formatReport(bad), /FAIL\s+Database: not reachable: ECONNREFUSED/);
  const good = await runDoctor({ engine: "simulate", dataDir: dir, backendUrl: `file://${dir}/state`, secretsProvider: "passphrase", checkDatabase: async () => {} });
  t.equal(good.ok, true);
  t.equal(good.checks.find((c) => c.name === "Database")?.status, "pass");
});

t.test("a hanging database check times out instead of hanging the doctor", async (t) => {
  const c = await checkDatabase({ engine: "simulate", dataDir: tmp(), backendUrl: "", secretsProvider: "passphrase", timeoutMs: 100, checkDatabase: () => new Promise(() => {}) });
  t.equal(c.status, "fail");
  t.match(c.detail, /did not answer within 100 ms/);
});

t.test("backend: file:// probed by writing; s3:// deferred to the CLI login; unknown schemes fail", async (t) => {
  const dir = tmp();
  const o = { engine: "pulumi" as const, dataDir: dir, secretsProvider: "passphrase" };
  t.equal((await checkBackend({ ...o, backendUrl: `file://${dir}/state` })).status, "pass");
  const ro = path.join(dir, "ro");
  mkdirSync(ro);
  chmodSync(ro, 0o500);
  if (process.getuid?.() !== 0) t.equal((await checkBackend({ ...o, backendUrl: `file://${ro}/state` })).status, "fail");
  const s3 = await checkBackend({ ...o, backendUrl: "s3://team-pulumi-state?region=eu-west-2" });
  t.equal(s3.status, "pass");
  t.match(s3.detail, /checked by the Pulumi CLI login/);
  t.equal((await checkBackend({ ...o, backendUrl: "ftp://x" })).status, "fail");
});

t.test("secrets provider: passphrase file must be 0600, its value is never shown; KMS is noted", async (t) => {
  const dir = tmp();
  const o = { engine: "pulumi" as const, dataDir: dir, backendUrl: `file://${dir}/state`, secretsProvider: "passphrase" };
  t.match((await checkSecretsProvider(o)).detail, /generated on the server's first start/);
  const value = await ensurePassphrase(dir);
  t.equal(statSync(path.join(dir, "passphrase")).mode & 0o777, 0o600);
  const ok = await checkSecretsProvider(o);
  t.equal(ok.status, "pass");
  t.notOk(JSON.stringify(ok).includes(value), "passphrase not in the check");
  chmodSync(path.join(dir, "passphrase"), 0o644);
  const loose = await checkSecretsProvider(o);
  t.equal(loose.status, "fail");
  t.match(loose.fix, /chmod 600/);
  const kms = await checkSecretsProvider({ ...o, secretsProvider: "awskms://alias/goldenpath?region=eu-west-2" });
  t.equal(kms.status, "pass");
  t.match(kms.detail, /^awskms:\/\/alias\/goldenpath:/);
});

t.test("specs: allowedAccountIds read from stacks/*.yaml, bad files named", async (t) => {
  const dir = tmp();
  writeFileSync(path.join(dir, "dev.yaml"), "name: dev\naws:\n  region: eu-west-2\n  allowedAccountIds: ['123456789012']\n");
  writeFileSync(path.join(dir, "broken.yaml"), "name: Not_A_Label\naws:\n  region: eu-west-2\n");
  writeFileSync(path.join(dir, "notes.txt"), "ignored");
  const specs = await stackSpecs(dir);
  t.equal(specs.length, 2);
  t.same(specs.find((s) => s.file === "dev.yaml")?.allowed, ["123456789012"]);
  t.ok(specs.find((s) => s.file === "broken.yaml")?.error);
});
