/**
 * `goldenpath plan <spec-file> [--json] [--layer foundation|platform]`:
 * validate the spec, plan it offline (Pulumi mocks, modelled cloud), print
 * the resource graph and the policy findings.
 *
 * Exit codes: 0 no error finding, 1 at least one error finding, 2 the spec is
 * invalid (field paths on stderr) or the arguments are wrong.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parseSpec, SpecError } from "../programs/spec.js";
import { LAYERS, type LayerName } from "../programs/layers/types.js";
import { planEnvironment, type Plan } from "../programs/plan.js";

const short = (urn: string | null) => (urn ? urn.split("::").pop()! : "-");

/** A readable table: one line per resource, then the findings. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  for (const layer of plan.layers) {
    out.push(`${plan.environment}-${layer.name} (${layer.resources.length} resources)`);
    const rows = layer.resources.map((r) => [r.type, r.name, short(r.parent), String(r.dependsOn.length)]);
    const head = ["TYPE", "NAME", "PARENT", "DEPS"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [head, ...rows]) out.push("  " + row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  "));
    out.push("");
  }
  const errors = plan.findings.filter((f) => f.severity === "error").length;
  out.push(`findings: ${errors} error(s), ${plan.findings.length - errors} warning(s)`);
  for (const f of plan.findings) out.push(`  ${f.severity.toUpperCase()} ${f.rule} ${short(f.urn)}: ${f.message}`);
  return out.join("\n") + "\n";
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" }, layer: { type: "string" } } });
  } catch (err) {
    process.stderr.write(`goldenpath plan: ${(err as Error).message}\n`);
    return 2;
  }
  const file = args.positionals[0];
  const layer = args.values.layer;
  if (!file || args.positionals.length > 1 || (layer && !(LAYERS as readonly string[]).includes(layer))) {
    process.stderr.write("usage: goldenpath plan <spec-file> [--json] [--layer foundation|platform]\n");
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    process.stderr.write(`goldenpath plan: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  let spec;
  try {
    spec = parseSpec(text);
  } catch (err) {
    if (err instanceof SpecError) {
      process.stderr.write(`${file}: invalid environment spec\n`);
      for (const i of err.issues) process.stderr.write(`  ${i.path || "(root)"}: ${i.message}\n`);
      return 2;
    }
    throw err;
  }
  const plan = await planEnvironment(spec, { layers: layer ? [layer as LayerName] : undefined });
  process.stdout.write(args.values.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlan(plan));
  return plan.findings.some((f) => f.severity === "error") ? 1 : 0;
}
