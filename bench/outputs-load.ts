/**
 * Outputs under load (issue 7, item 1): the real server on the simulate
 * engine answering `GET /v1/environments/:name/outputs` with a viewer token,
 * against a bare Fastify route returning the same JSON (no auth, no store),
 * with 1, 10, 100 and 1,000 environments in the store (cloned rows, see
 * lib/seed.ts). autocannon, 50 connections, from this process; both servers
 * are separate processes.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import autocannon, { type Result } from "autocannon";
import { startBenchPostgres, type BenchPostgres } from "./lib/postgres.js";
import { printResult, progress, type BenchResult, type Figure } from "./lib/report.js";
import { buildTemplate, envName, seedEnvironments, type Template } from "./lib/seed.js";
import { ROOT, startServer } from "./lib/server.js";

const CONNECTIONS = 50;
const SIZES = [1, 10, 100, 1000];

async function cannon(base: string, names: string[], seconds: number, token?: string): Promise<Result> {
  let i = 0;
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    // Spread requests over every seeded environment, so a bigger store is really read.
    requests: [{ method: "GET", setupRequest: (req: any) => ({ ...req, path: `/v1/environments/${names[i++ % names.length]}/outputs` }) }],
  });
}

async function startBare(body: unknown): Promise<{ base: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "goldenpath-bench-bare-"));
  const file = path.join(dir, "body.json");
  await writeFile(file, JSON.stringify(body));
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/bare-server.ts", import.meta.url))], {
    cwd: ROOT,
    env: { ...process.env, BENCH_BODY_FILE: file },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      const exit = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exit, new Promise((r) => setTimeout(r, 3000))]);
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function outputsLoad(pgs: BenchPostgres, template: Template, seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 5)): Promise<BenchResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const figures: Figure[] = [];
  const url = await pgs.database("outputs");
  const server = await startServer({ env: { DATABASE_URL: url, GOLDENPATH_SIMULATE_TIME_SCALE: "0" } });
  let bare: Awaited<ReturnType<typeof startBare>> | undefined;
  try {
    await seedEnvironments(url, template, [envName(0)]);
    const viewer = await server.token("viewer");
    const sample = await server.request("GET", `/v1/environments/${envName(0)}/outputs`, viewer);
    if (sample.status !== 200) throw new Error(`outputs answered ${sample.status}`);
    bare = await startBare(sample.json);
    progress(`outputs: bare route, ${seconds} s`);
    await cannon(bare.base, [envName(0)], 1); // warm-up, discarded
    const b = await cannon(bare.base, [envName(0)], seconds);
    figures.push({ label: "bare Fastify route: req/s, p50, p99", value: `${b.requests.average.toFixed(0)} req/s, ${b.latency.p50} ms, ${b.latency.p99} ms` });
    let seeded = 1;
    const rates: number[] = [];
    for (const size of SIZES) {
      if (size > seeded) {
        await seedEnvironments(url, template, Array.from({ length: size - seeded }, (_, i) => envName(seeded + i)));
        seeded = size;
      }
      const names = Array.from({ length: size }, (_, i) => envName(i));
      progress(`outputs: server with ${size} environment(s), ${seconds} s`);
      await cannon(server.base, names, 1, viewer); // warm-up, discarded
      const r = await cannon(server.base, names, seconds, viewer);
      if (r.non2xx || r.errors) notes.push(`${size} envs: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      const ratio = r.requests.average / b.requests.average;
      rates.push(r.requests.average);
      figures.push({
        label: `server, ${size} env(s): req/s, p50, p99`,
        value: `${r.requests.average.toFixed(0)} req/s, ${r.latency.p50} ms, ${r.latency.p99} ms`,
        target: "p99 ≤ 10 ms",
        met: r.latency.p99 <= 10,
      });
      figures.push({ label: `server, ${size} env(s): ratio to bare route`, value: ratio, unit: "×", target: "≥ 0.7×", met: ratio >= 0.7 });
    }
    const fall = rates[rates.length - 1] / rates[0];
    figures.push({ label: "req/s at 1,000 envs ÷ req/s at 1 env", value: fall, unit: "×", target: "does not fall (≥ 0.9×, run-to-run noise)", met: fall >= 0.9 });
    notes.push(`${seconds} s per run (not the issue's 10 s) after a 1 s discarded warm-up, to keep npm run bench under 5 minutes; autocannon runs in the bench process on the same 2 cores as the server and PostgreSQL`);
    notes.push("per request the server verifies the bearer token (a store lookup), fires a last-used update, reads the environment and its outputs (two queries), and serializes through the zod response schema; the bare route does none of these");
    return {
      name: "outputs under load",
      command: `npm run bench -- outputs  (autocannon ${CONNECTIONS} connections, ${seconds} s per run, BENCH_LOAD_SECONDS=${seconds})`,
      seconds: (performance.now() - t0) / 1000,
      figures,
      notes,
    };
  } finally {
    await bare?.stop();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pgs = await startBenchPostgres();
  try {
    printResult(await outputsLoad(pgs, await buildTemplate(pgs)));
  } finally {
    await pgs.stop();
  }
}
