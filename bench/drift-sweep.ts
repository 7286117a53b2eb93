/**
 * Drift sweep (issue 7, item 4): environments under `simulate` with zero
 * durations, one drift check each through the queue; checks per second and
 * the service's own overhead per check (run time minus engine time).
 *
 * The `drift` operation kind is in the store and the runner (it runs the
 * engine's `previewRefresh` on both layers) but no route queues it yet
 * (`POST /v1/environments/:name/drift` answers 404 in this build), so when
 * that route is missing the drift operations are inserted with the store's
 * own `insertOperation` and announced with a pg-boss job — the same two
 * steps the service's `submit` takes.
 */
import PgBoss from "pg-boss";
import pg from "pg";
import { fileURLToPath, pathToFileURL } from "node:url";
import { QUEUE_NAME } from "../server/operations/queue.js";
import { insertOperation } from "../server/store/operations.js";
import { startBenchPostgres, withClient, type BenchPostgres } from "./lib/postgres.js";
import { RssSampler } from "./lib/processes.js";
import { percentile, printResult, progress, sleep, type BenchResult } from "./lib/report.js";
import { buildTemplate, envName, seedEnvironments, type Template } from "./lib/seed.js";
import { startServer } from "./lib/server.js";

const TARGET_ENVS = 200;
const LIGHT_PROGRAMS = fileURLToPath(new URL("./fixtures/light-layers.ts", import.meta.url));

export async function driftSweep(pgs: BenchPostgres, template: Template, n = Number(process.env.BENCH_DRIFT_ENVS ?? 6)): Promise<BenchResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const url = await pgs.database("drift");
  // previewRefresh runs no program; the seam only makes the warm spare's preload light (see the fixture).
  const server = await startServer({ env: { DATABASE_URL: url, GOLDENPATH_SIMULATE_TIME_SCALE: "0", GOLDENPATH_SIMULATE_PROGRAMS: LIGHT_PROGRAMS } });
  try {
    const names = Array.from({ length: n }, (_, i) => envName(i));
    await seedEnvironments(url, template, names, server.dataDir);
    progress(`drift: ${n} environments seeded; queueing one drift check each`);
    const probe = await server.request("POST", `/v1/environments/${names[0]}/drift`, server.adminToken, {});
    let viaRoute = probe.status === 202;
    const queuedAt = performance.now();
    const ids: string[] = [];
    if (viaRoute) {
      ids.push(probe.json.id);
      for (const name of names.slice(1)) ids.push((await server.request("POST", `/v1/environments/${name}/drift`, server.adminToken, {})).json.id);
    } else {
      notes.push(`POST /v1/environments/:name/drift answered ${probe.status}: drift operations were inserted with the store's insertOperation and announced with pg-boss jobs (what the route would do)`);
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      const boss = new PgBoss({ connectionString: url, schema: "pgboss", max: 2, supervise: false, schedule: false, migrate: false });
      boss.on("error", () => {});
      await boss.start();
      try {
        for (const name of names) {
          const env = (await pool.query("SELECT spec, revision FROM environments WHERE name = $1", [name])).rows[0];
          const op = await insertOperation(pool, { environment: name, kind: "drift", engine: "simulate", specRevision: env.revision, spec: env.spec, requestedBy: "bench" });
          ids.push(op.id);
          await boss.send(QUEUE_NAME, { environment: name }, { expireInSeconds: 3600 });
        }
      } finally {
        await boss.stop({ graceful: false, close: true, wait: false }).catch(() => {});
        await pool.end();
      }
    }
    const sampler = new RssSampler(server.pid).start();
    let rows: any[] = [];
    const deadline = Date.now() + 240_000;
    for (;;) {
      rows = await withClient(url, async (c) =>
        (await c.query("SELECT id, status, created_at, started_at, finished_at, phases FROM operations WHERE id = ANY($1::uuid[])", [ids])).rows,
      );
      if (rows.every((r) => ["succeeded", "failed", "cancelled", "interrupted"].includes(r.status))) break;
      if (Date.now() > deadline) throw new Error(`drift checks still running after 240 s`);
      await sleep(100);
    }
    const wall = (performance.now() - queuedAt) / 1000;
    const peak = sampler.stop();
    const failed = rows.filter((r) => r.status !== "succeeded");
    if (failed.length) notes.push(`${failed.length} drift checks did not succeed (${failed[0].status})`);
    const ms = (a: Date | string, b: Date | string) => new Date(b).getTime() - new Date(a).getTime();
    const perCheck = rows.map((r) => {
      const run = ms(r.started_at, r.finished_at);
      const engine = (r.phases as any[]).filter((p) => p.name === "foundation" || p.name === "platform").reduce((s, p) => s + ms(p.startedAt, p.finishedAt), 0);
      return { run, engine, overhead: run - engine, wait: ms(r.created_at, r.started_at) };
    });
    const sorted = (k: keyof (typeof perCheck)[number]) => perCheck.map((x) => x[k]).sort((a, b) => a - b);
    const overhead = sorted("overhead");
    const engine = sorted("engine");
    const first = Math.min(...rows.map((r) => new Date(r.started_at).getTime()));
    const last = Math.max(...rows.map((r) => new Date(r.finished_at).getTime()));
    const rate = n / ((last - first) / 1000);
    notes.push(
      `scaled down: ${n} environments instead of ${TARGET_ENVS} — each check spends ~${(percentile(engine, 50) / 1000).toFixed(1)} s in the engine, ` +
        `so ${TARGET_ENVS} would take ≈ ${(TARGET_ENVS / rate).toFixed(0)} s at the measured ${rate.toFixed(2)} checks/s (linear extrapolation: the engine children, not the queue, set the rate)`,
    );
    notes.push(
      "engine children run with GOLDENPATH_SIMULATE_PROGRAMS=bench/fixtures/light-layers.ts: previewRefresh runs no program, but the warm spare child awaits its preload of the program module " +
        "(server/engine/simulate-child.ts warm()) before answering; with the real layers that preload imports every provider SDK and a check took ~16 s of engine time on this machine " +
        "(0.10 checks/s, in a separate 16-environment trial) — a false cost of drift checks the engine could skip by not preloading for refresh/previewRefresh/destroy",
    );
    return {
      name: "drift sweep",
      command: `npm run bench -- drift  (BENCH_DRIFT_ENVS=${n}, GOLDENPATH_SIMULATE_TIME_SCALE=0, GOLDENPATH_MAX_OPERATIONS=2, GOLDENPATH_SIMULATE_PROGRAMS=bench/fixtures/light-layers.ts)`,
      seconds: (performance.now() - t0) / 1000,
      figures: [
        { label: "environments checked", value: n, target: `${TARGET_ENVS}`, met: n >= TARGET_ENVS },
        { label: "drift checks per second (first start → last finish)", value: rate, unit: "checks/s" },
        { label: "wall, queued → all finished", value: wall, unit: "s" },
        { label: "service overhead per check, p50 (run − engine)", value: percentile(overhead, 50), unit: "ms", target: "≤ 50 ms", met: percentile(overhead, 50) <= 50 },
        { label: "service overhead per check, p95", value: percentile(overhead, 95), unit: "ms", target: "≤ 50 ms", met: percentile(overhead, 95) <= 50 },
        { label: "engine time per check, p50 (two layer runs)", value: percentile(engine, 50), unit: "ms" },
        { label: "queue wait, p50 (queued → started)", value: percentile(sorted("wait"), 50), unit: "ms" },
        { label: "peak RSS server / engine children / total", value: `${peak.server.toFixed(0)} / ${peak.engineChildren.toFixed(0)} / ${peak.total.toFixed(0)}`, unit: "MiB" },
      ],
      notes,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pgs = await startBenchPostgres();
  try {
    printResult(await driftSweep(pgs, await buildTemplate(pgs)));
  } finally {
    await pgs.stop();
  }
}
