/**
 * Offline plan (issue 7, item 2): `goldenpath plan stacks/dev.yaml --json` as
 * a fresh process (cold: node, tsx, the Pulumi SDK and provider SDKs load,
 * then the plan runs in its own child), and repeated plans in one warm
 * process (`planInProcess`).
 */
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { printResult, progress, type BenchResult } from "./lib/report.js";
import { ROOT } from "./lib/server.js";

const run = promisify(execFile);

/** `planFile`: where to leave the dev plan for the critical-path benchmark. */
export async function offlinePlan(planFile?: string, warmRuns = Number(process.env.BENCH_PLAN_WARM_RUNS ?? 4)): Promise<BenchResult> {
  const t0 = performance.now();
  progress("plan: cold, goldenpath plan stacks/dev.yaml --json");
  const c0 = performance.now();
  const { stdout } = await run(process.execPath, ["cli/goldenpath.js", "plan", "stacks/dev.yaml", "--json"], { cwd: ROOT, maxBuffer: 64 * 2 ** 20 });
  const cold = (performance.now() - c0) / 1000;
  const plan = JSON.parse(stdout) as { layers: { resources: unknown[] }[] };
  const resources = plan.layers.reduce((n, l) => n + l.resources.length, 0);
  progress(`plan: warm, ${warmRuns} plans in one process`);
  const w = await run(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/warm-plan.ts", import.meta.url)), "stacks/dev.yaml", String(warmRuns), ...(planFile ? [planFile] : [])], {
    cwd: ROOT,
    maxBuffer: 8 * 2 ** 20,
  });
  const { times } = JSON.parse(w.stdout.trim().split("\n").pop()!) as { times: number[] };
  const warm = times.slice(1);
  const warmMedian = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)] / 1000;
  return {
    name: "offline plan",
    command: `npm run bench -- plan  (cold: node cli/goldenpath.js plan stacks/dev.yaml --json; warm: bench/fixtures/warm-plan.ts stacks/dev.yaml ${warmRuns})`,
    seconds: (performance.now() - t0) / 1000,
    figures: [
      { label: "resources planned (both layers)", value: resources },
      { label: "cold: process wall time", value: cold, unit: "s" },
      { label: "warm: first plan in the process (loads the SDKs)", value: times[0] / 1000, unit: "s" },
      { label: `warm: median of the next ${warm.length} plans`, value: warmMedian, unit: "s", target: "≤ 2 s", met: warmMedian <= 2 },
      { label: "warm: each later plan", value: warm.map((t) => (t / 1000).toFixed(2)).join(", "), unit: "s" },
      { label: "cold ÷ warm", value: cold / warmMedian, unit: "×" },
    ],
    notes: ["the cold CLI plans in a child process of its own (programs/plan.ts planEnvironment), so a cold plan starts node + tsx twice"],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) printResult(await offlinePlan());
