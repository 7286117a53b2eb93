/**
 * Memory and start-up (issue 7, item 6): `npm start` with the embedded
 * PostgreSQL (no DATABASE_URL) in a fresh data dir — time to the first
 * `/readyz` 200 on the first start (initdb, migrations, pg-boss install) and
 * on later starts of the same data dir — and RSS once idle, split into the
 * server process, its warm engine child, PostgreSQL and the npm/tsx launchers.
 * The simulate engine is configured (GOLDENPATH_ENGINE=simulate): the pulumi
 * engine needs the Pulumi CLI, which this machine cannot have.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { sampleRss } from "./lib/processes.js";
import { printResult, progress, sleep, type BenchResult, type Figure } from "./lib/report.js";
import { startServer } from "./lib/server.js";

export async function startupMemory(laterStarts = Number(process.env.BENCH_LATER_STARTS ?? 2)): Promise<BenchResult> {
  const t0 = performance.now();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "goldenpath-bench-start-"));
  // PostgreSQL runs as its own user when we are root: it must reach <data dir>/pg.
  await chmod(dataDir, 0o755);
  const figures: Figure[] = [];
  try {
    progress("start-up: first npm start (embedded PostgreSQL initdb)");
    let s = await startServer({ npmStart: true, dataDir });
    const first = s.readyMs / 1000;
    await sleep(3000); // let the warm spare child finish loading: idle means settled
    const idle = sampleRss(s.pid);
    await s.stop({ keepData: true });
    const later: number[] = [];
    for (let i = 0; i < laterStarts; i++) {
      progress(`start-up: later npm start ${i + 1}`);
      s = await startServer({ npmStart: true, dataDir });
      later.push(s.readyMs / 1000);
      await s.stop({ keepData: true });
    }
    const worst = Math.max(...later);
    figures.push({ label: "first start: npm start → /readyz 200", value: first, unit: "s" });
    figures.push({ label: "later starts: npm start → /readyz 200", value: later.map((x) => x.toFixed(2)).join(", "), unit: "s", target: "≤ 3 s", met: worst <= 3 });
    figures.push({ label: "idle RSS, server process", value: idle.server, unit: "MiB", target: "≤ 150 MB", met: idle.server * 1.048576 <= 150 });
    figures.push({ label: "idle RSS, warm engine child (simulate spare)", value: idle.engineChildren, unit: "MiB" });
    figures.push({ label: "idle RSS, embedded PostgreSQL (all its processes)", value: idle.postgres, unit: "MiB" });
    figures.push({ label: "idle RSS, npm + tsx launchers", value: idle.launchers, unit: "MiB" });
    figures.push({ label: "idle RSS, whole tree", value: idle.total, unit: "MiB" });
    return {
      name: "memory and start-up",
      command: `npm run bench -- startup  (GOLDENPATH_ENGINE=simulate npm start, fresh GOLDENPATH_DATA_DIR, ${laterStarts} later starts)`,
      seconds: (performance.now() - t0) / 1000,
      figures,
      notes: [
        "the 150 MB target is read as the server process; the warm spare engine child (kept loaded so operations do not wait for the Pulumi SDK) and PostgreSQL are listed beside it",
        "PostgreSQL's RSS counts shared buffers in each of its processes, so its sum overstates its real use",
      ],
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) printResult(await startupMemory());
