/**
 * 50 concurrent mutating calls on one environment: each gets its own queued
 * operation, they run one at a time (never overlapping, even with four
 * workers), in the order they were accepted, and another environment's work
 * runs beside them.
 */
import pg from "pg";
import t from "tap";
import { build, minimalSpec, waitForOperation } from "../../helpers/app.js";

t.setTimeout(600_000);

/** Operations of an environment in acceptance order, with their run windows. */
async function runs(db: pg.Client, env: string) {
  const r = await db.query(
    "SELECT id, seq, status, started_at, finished_at, runner_id FROM operations WHERE environment = $1 AND status <> 'cancelled' ORDER BY seq",
    [env],
  );
  return r.rows as { id: string; seq: string; status: string; started_at: Date; finished_at: Date }[];
}

t.test("50 concurrent calls on one environment: one at a time, in order", async (t) => {
  const h = await build(t, { startWorkers: false, env: { GOLDENPATH_MAX_OPERATIONS: "4" } });
  // Two environments whose first `up` is cancelled while queued: they exist but were
  // never deployed, so each refresh is one light engine run.
  for (const name of ["dev", "other"]) {
    const res = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec(name) });
    t.equal((await h.call({ method: "POST", url: `/v1/operations/${res.json().id}/cancel` })).json().status, "cancelled");
  }
  const N = 50;
  const answers = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      h.call({ method: "POST", url: "/v1/environments/dev/operations", payload: { kind: "refresh" }, headers: { "idempotency-key": `refresh-${i}` } }),
    ),
  );
  t.same([...new Set(answers.map((a) => a.statusCode))], [202], "every call accepted");
  t.equal(new Set(answers.map((a) => a.json().id)).size, N, "each call its own operation");
  const others = await Promise.all(Array.from({ length: 3 }, () => h.call({ method: "POST", url: "/v1/environments/other/operations", payload: { kind: "refresh" } })));

  await h.app.queue.start();
  const started = Date.now();
  for (const a of [...answers, ...others]) await waitForOperation(h.call, a.json().id, undefined, 500_000);
  t.comment(`${N + 3} operations in ${Date.now() - started} ms`);

  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const dev = await runs(db, "dev");
  t.equal(dev.length, N);
  t.same([...new Set(dev.map((o) => o.status))], ["succeeded"]);
  let overlaps = 0;
  let outOfOrder = 0;
  for (let i = 1; i < dev.length; i++) {
    if (dev[i].started_at < dev[i - 1].finished_at) overlaps++;
    if (dev[i].started_at < dev[i - 1].started_at) outOfOrder++;
  }
  t.equal(overlaps, 0, "no two operations of the environment ran at once");
  t.equal(outOfOrder, 0, "they ran in the order they were accepted");
  const other = await runs(db, "other");
  t.same(other.map((o) => o.status), ["succeeded", "succeeded", "succeeded"]);
  const besides = other.some((o) => dev.some((d) => o.started_at < d.finished_at && d.started_at < o.finished_at));
  t.ok(besides, "another environment's operations ran beside them");

  const metrics = await h.call({ method: "GET", url: "/metrics" });
  t.match(metrics.body, /goldenpath_operations_total\{kind="refresh",status="succeeded"\} 53/);
  t.match(metrics.body, /goldenpath_queue_depth 0/);
  t.match(metrics.body, /goldenpath_operation_duration_seconds_count\{kind="refresh"\} 53/);
  t.match(metrics.body, /goldenpath_http_request_duration_seconds_bucket\{method="POST",route="\/v1\/environments\/:name\/operations",status="202",le="\+Inf"\} 53/);
});
