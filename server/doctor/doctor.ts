/**
 * `goldenpath doctor`: is this host ready for a first `up`? Runs the checks
 * in the order a newcomer should fix them — the Pulumi CLI first, so that on
 * a machine without it the very first line names it and the install page.
 * With the `simulate` engine, checks that only the pulumi engine needs (CLI,
 * plugins, AWS, backend, secrets provider) are listed as skipped.
 */
import {
  checkAws,
  checkAwsCli,
  checkBackend,
  checkDataDir,
  checkDatabase,
  checkPlugins,
  checkPulumiCli,
  checkSecretsProvider,
  skip,
  type Check,
  type DoctorOptions,
} from "./checks.js";

export type { Check, DoctorOptions } from "./checks.js";

/** The doctor's answer: every check, and whether all that apply passed. */
export interface DoctorReport {
  engine: DoctorOptions["engine"];
  ok: boolean;
  checks: Check[];
}

const PULUMI_ONLY = ["Pulumi CLI", "Pulumi provider plugins", "AWS credentials", "AWS account allowed by specs", "AWS CLI (kubeconfig exec plugin)", "State backend", "Secrets provider"];

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const checks: Check[] = [];
  if (o.engine === "simulate") {
    for (const name of PULUMI_ONLY) checks.push(skip(name, "not needed by the simulate engine"));
  } else {
    const cli = await checkPulumiCli(o);
    checks.push(cli);
    // Independent checks run together: each may wait on a network timeout.
    const [plugins, aws, awsCli, backend, secrets] = await Promise.all([
      checkPlugins(o, cli.ok),
      checkAws(o),
      checkAwsCli(o),
      checkBackend(o),
      checkSecretsProvider(o),
    ]);
    checks.push(plugins, ...aws, awsCli, backend, secrets);
  }
  checks.push(await checkDataDir(o), await checkDatabase(o));
  return { engine: o.engine, ok: checks.every((c) => c.ok), checks };
}

const MARK = { pass: "ok  ", fail: "FAIL", skip: "skip" } as const;

/** Plain-text report: one line per check, a fix line under each failure, a verdict last. */
export function formatReport(r: DoctorReport): string {
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]}  ${c.name}: ${c.detail}`);
    if (c.status === "fail" && c.fix) lines.push(`      fix: ${c.fix}`);
  }
  const failed = r.checks.filter((c) => c.status === "fail").length;
  const skipped = r.checks.filter((c) => c.status === "skip").map((c) => c.name);
  lines.push("");
  lines.push(
    failed === 0
      ? `All checks that apply to the ${r.engine} engine passed.${skipped.length ? ` Skipped: ${skipped.join(", ")}.` : ""}`
      : `${failed} check(s) failed (engine: ${r.engine}).${skipped.length ? ` Skipped: ${skipped.join(", ")}.` : ""}`,
  );
  return lines.join("\n");
}
