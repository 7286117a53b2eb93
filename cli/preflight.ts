/**
 * `goldenpath preflight <spec-file> [--json]`: the preflight phase alone —
 * resolve every source image, check it exists for the node groups'
 * architectures and fits its chart — without changing anything.
 *
 * It runs on this machine with the server's configuration (GOLDENPATH_ENGINE,
 * GOLDENPATH_REGISTRY_MIRRORS, DOCKER_CONFIG, GOLDENPATH_SIMULATE_REGISTRY), so
 * it answers exactly what `POST /v1/environments/:name/preflight` would.
 *
 * Exit codes: 0 no error finding, 1 at least one, 2 invalid spec or arguments.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parseSpec, SpecError } from "../programs/spec.js";
import { loadConfig } from "../server/config.js";
import { ImageService, type PreflightReport } from "../server/mirror/image-service.js";

export function formatPreflight(report: PreflightReport): string {
  const out: string[] = [];
  for (const [app, image] of Object.entries(report.images)) {
    const platforms = image.platforms?.length ? ` [${image.platforms.join(", ")}]` : "";
    out.push(`  ${app.padEnd(10)} ${image.source}${image.digest ? `@${image.digest}` : ""}${platforms}`);
  }
  if (report.simulated) out.push("  (simulate engine without GOLDENPATH_SIMULATE_REGISTRY: images were not resolved, only the rules were checked)");
  const errors = report.findings.filter((f) => f.severity === "error").length;
  out.push(`findings: ${errors} error(s), ${report.findings.length - errors} warning(s)`);
  for (const f of report.findings) out.push(`  ${f.severity.toUpperCase()} ${f.rule} ${f.app}: ${f.message}`);
  return out.join("\n") + "\n";
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" } } });
  } catch (err) {
    process.stderr.write(`goldenpath preflight: ${(err as Error).message}\n`);
    return 2;
  }
  const file = args.positionals[0];
  if (!file || args.positionals.length > 1) {
    process.stderr.write("usage: goldenpath preflight <spec-file> [--json]\n");
    return 2;
  }
  let spec;
  try {
    spec = parseSpec(await readFile(file, "utf8"));
  } catch (err) {
    if (err instanceof SpecError) {
      process.stderr.write(`${file}: invalid environment spec\n`);
      for (const i of err.issues) process.stderr.write(`  ${i.path || "(root)"}: ${i.message}\n`);
    } else {
      process.stderr.write(`goldenpath preflight: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    }
    return 2;
  }
  const config = loadConfig();
  const images = new ImageService({
    engine: config.engine,
    registryMirrors: config.registryMirrors,
    dockerConfigDir: config.dockerConfig,
    simulateRegistry: config.simulateRegistry,
  });
  const report = await images.preflight(spec);
  process.stdout.write(args.values.json ? JSON.stringify({ environment: spec.name, ...report }) + "\n" : formatPreflight(report));
  return report.ok ? 0 : 1;
}
