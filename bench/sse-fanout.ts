/**
 * SSE fan-out (issue 7, item 7): 100 clients follow one running operation
 * (`GET /v1/operations/:id/events`); every client must get every stored
 * event, in order, once; delivery lag = time a client read the event minus
 * the event's `at` (stored by PostgreSQL's clock_timestamp on this host).
 */
import http from "node:http";
import { pathToFileURL } from "node:url";
import { startBenchPostgres, withClient, type BenchPostgres } from "./lib/postgres.js";
import { percentile, printResult, progress, type BenchResult } from "./lib/report.js";
import { devSpec } from "./lib/seed.js";
import { startServer } from "./lib/server.js";

interface Received {
  seqs: number[];
  lags: number[];
  ended: boolean;
}

function follow(base: string, id: string, token: string): Promise<Received> {
  return new Promise((resolve, reject) => {
    const got: Received = { seqs: [], lags: [], ended: false };
    const req = http.get(`${base}/v1/operations/${id}/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events answered ${res.statusCode}`));
      const opened = Date.now();
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const now = Date.now();
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event === "end") got.ended = true;
          else if (data && /^id: /m.test(frame)) {
            const d = JSON.parse(data);
            got.seqs.push(d.seq);
            // Replayed events (stored before this stream opened) measure waiting, not delivery.
            if (new Date(d.at).getTime() >= opened) got.lags.push(now - new Date(d.at).getTime());
          }
        }
      });
      res.on("end", () => resolve(got));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

export async function sseFanout(pgs: BenchPostgres, clients = Number(process.env.BENCH_SSE_CLIENTS ?? 100), scale = Number(process.env.BENCH_SSE_SCALE ?? 0.003)): Promise<BenchResult> {
  const t0 = performance.now();
  const url = await pgs.database("sse");
  const server = await startServer({ env: { DATABASE_URL: url, GOLDENPATH_SIMULATE_TIME_SCALE: String(scale) } });
  try {
    const viewer = await server.token("viewer");
    const r = await server.request("POST", "/v1/environments", server.adminToken, devSpec("dev"));
    progress(`sse: ${clients} clients following one up (time scale ${scale})`);
    const results = await Promise.all(Array.from({ length: clients }, () => follow(server.base, r.json.id, viewer)));
    const stored = await withClient(url, async (c) => (await c.query("SELECT seq FROM operation_events WHERE operation_id = $1 ORDER BY seq", [r.json.id])).rows.map((x) => x.seq));
    const complete = results.filter((g) => g.ended && g.seqs.length === stored.length && g.seqs.every((s, i) => s === stored[i])).length;
    const lags = results.flatMap((g) => g.lags).sort((a, b) => a - b);
    return {
      name: "SSE fan-out",
      command: `npm run bench -- sse  (BENCH_SSE_CLIENTS=${clients}, GOLDENPATH_SIMULATE_TIME_SCALE=${scale}, up of stacks/dev.yaml)`,
      seconds: (performance.now() - t0) / 1000,
      figures: [
        { label: "events stored for the operation", value: stored.length },
        { label: "clients that got every event, in order, once, then end", value: `${complete} / ${clients}`, target: "all", met: complete === clients },
        { label: "delivery lag p50", value: percentile(lags, 50), unit: "ms" },
        { label: "delivery lag p99", value: percentile(lags, 99), unit: "ms" },
        { label: "delivery lag max", value: lags[lags.length - 1], unit: "ms" },
      ],
      notes: [
        "lag counts live events only (stored after the client's stream opened); replayed ones are checked for order and completeness but not timed",
        "each stream re-reads the store on every notification (server/routes/operations.ts pump): 100 followers turn one event into 100 pairs of queries",
      ],
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pgs = await startBenchPostgres();
  try {
    printResult(await sseFanout(pgs));
  } finally {
    await pgs.stop();
  }
}
