/**
 * `npm run bench`: every benchmark of issue 7 in one run, one after another
 * (never in parallel: they would measure each other), then one summary table.
 * `npm run bench -- <name>…` runs a subset: outputs, plan, critical, drift,
 * throughput, startup, sse. Exits 0 when every benchmark ran (missed targets
 * are figures, not failures), 1 when one crashed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { criticalPathBench } from "./critical-path.js";
import { driftSweep } from "./drift-sweep.js";
import { startBenchPostgres } from "./lib/postgres.js";
import { figureLine, fmt, machine, printResult, progress, type BenchResult } from "./lib/report.js";
import { buildTemplate, type Template } from "./lib/seed.js";
import { outputsLoad } from "./outputs-load.js";
import { offlinePlan } from "./plan.js";
import { sseFanout } from "./sse-fanout.js";
import { startupMemory } from "./startup-memory.js";
import { throughput } from "./throughput.js";

const ALL = ["outputs", "plan", "critical", "drift", "throughput", "startup", "sse"] as const;
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : [...ALL];
const unknown = wanted.filter((w) => !(ALL as readonly string[]).includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${ALL.join(", ")}\n`);
  process.exit(2);
}

const started = performance.now();
const results: BenchResult[] = [];
const crashed: string[] = [];
const scratch = await mkdtemp(path.join(os.tmpdir(), "goldenpath-bench-run-"));
const planFile = path.join(scratch, "dev-plan.json");
const pgs = await startBenchPostgres();
let template: Template | undefined;
const needTemplate = wanted.some((w) => w === "outputs" || w === "drift");

async function bench(name: string, fn: () => Promise<BenchResult>) {
  if (!wanted.includes(name)) return;
  try {
    const r = await fn();
    results.push(r);
    printResult(r);
  } catch (err) {
    crashed.push(name);
    process.stdout.write(`== ${name}: CRASHED: ${(err as Error).message.split("\n").slice(0, 8).join("\n")}\n\n`);
  }
}

try {
  if (needTemplate) template = await buildTemplate(pgs);
  await bench("outputs", () => outputsLoad(pgs, template!));
  await bench("plan", () => offlinePlan(planFile));
  await bench("critical", () =>
    criticalPathBench(pgs, { planFile: wanted.includes("plan") && !crashed.includes("plan") ? planFile : undefined, zeroScaleUpSeconds: template?.upSeconds }),
  );
  await bench("drift", () => driftSweep(pgs, template!));
  await bench("throughput", () => throughput(pgs));
  await bench("startup", () => startupMemory());
  await bench("sse", () => sseFanout(pgs));
} finally {
  await pgs.stop();
  await rm(scratch, { recursive: true, force: true });
}

const total = (performance.now() - started) / 1000;
const lines = [
  "== summary",
  `command: npm run bench${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`,
  `machine: ${machine()}`,
  `total: ${fmt(total)} s (target < 300 s)${template ? `; template up at time scale 0: ${fmt(template.upSeconds)} s` : ""}`,
];
for (const r of results) {
  lines.push(`-- ${r.name} (${fmt(r.seconds)} s)`);
  for (const f of r.figures) if (f.target) lines.push(figureLine(f));
}
const missed = results.flatMap((r) => r.figures.filter((f) => f.met === false).map((f) => `${r.name}: ${f.label}`));
lines.push(`targets met: ${results.flatMap((r) => r.figures).filter((f) => f.met === true).length}, missed: ${missed.length}${crashed.length ? `, crashed: ${crashed.join(", ")}` : ""}`);
process.stdout.write(lines.join("\n") + "\n");
progress(`done in ${fmt(total)} s`);
process.exit(crashed.length ? 1 : 0);
