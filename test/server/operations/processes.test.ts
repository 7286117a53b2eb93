/**
 * Real server processes on one database: concurrent calls spread over two
 * replicas never run two operations of one environment at once and keep
 * their order; a
 * replica killed with SIGKILL mid-operation leaves it `interrupted` (its
 * events kept) once a server starts again, and the next operation runs.
 */
import pg from "pg";
import t from "tap";
import { adminTokenValue, minimalSpec, TEST_LAYERS } from "../../helpers/app.js";
import { scratchDir, testDatabase } from "../../helpers/db.js";
import { startServerProcess, type ServerProcess } from "../../helpers/server-process.js";

t.setTimeout(600_000);

async function waitFor(server: ServerProcess, token: string, id: string, statuses: string[], timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await server.request("GET", `/v1/operations/${id}`, token);
    if (statuses.includes(json.status)) return json;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${json.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test("two replicas, then a SIGKILL mid-operation", async (t) => {
  const databaseUrl = await testDatabase();
  const dataDir = await scratchDir();
  const token = adminTokenValue();
  const env = {
    DATABASE_URL: databaseUrl,
    GOLDENPATH_DATA_DIR: dataDir,
    GOLDENPATH_ENGINE: "simulate",
    GOLDENPATH_ADMIN_TOKEN: token,
    GOLDENPATH_SIMULATE_PROGRAMS: TEST_LAYERS,
    GOLDENPATH_SIMULATE_TIME_SCALE: "0.02",
    GOLDENPATH_MAX_OPERATIONS: "2",
    GOLDENPATH_SHUTDOWN_GRACE_SECONDS: "2",
    GOLDENPATH_LOG_LEVEL: "info",
  };
  const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  const servers = [a, b];
  t.teardown(async () => {
    for (const s of servers) await s.kill();
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  t.teardown(() => db.end());

  // Deploy once through replica A.
  const created = await a.request("POST", "/v1/environments", token, minimalSpec("dev"));
  t.equal(created.status, 202);
  t.equal((await waitFor(b, token, created.json.id, ["succeeded", "failed"])).status, "succeeded", "B sees what A's queue ran");

  // Concurrent calls alternating between the replicas.
  const N = 10;
  const answers = await Promise.all(
    Array.from({ length: N }, (_, i) => (i % 2 ? a : b).request("POST", "/v1/environments/dev/operations", token, { kind: "refresh" })),
  );
  t.same([...new Set(answers.map((x) => x.status))], [202]);
  for (const x of answers) await waitFor(a, token, x.json.id, ["succeeded", "failed", "cancelled", "interrupted"]);
  const rows = (
    await db.query("SELECT seq, status, started_at, finished_at, runner_id FROM operations WHERE environment = 'dev' AND kind = 'refresh' ORDER BY seq")
  ).rows;
  t.equal(rows.length, N);
  t.same([...new Set(rows.map((r) => r.status))], ["succeeded"]);
  let overlaps = 0;
  let outOfOrder = 0;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].started_at < rows[i - 1].finished_at) overlaps++;
    if (rows[i].started_at < rows[i - 1].started_at) outOfOrder++;
  }
  t.equal(overlaps, 0, "never two operations of the environment at once across replicas");
  t.equal(outOfOrder, 0, "in acceptance order across replicas");
  const runners = new Set(rows.map((r) => String(r.runner_id).split(":")[1]));
  t.comment(`operations ran on ${runners.size} replica(s): ${[...runners].join(", ")}`);

  // B stops gracefully; A alone runs an update that is killed mid-way.
  t.equal(await b.stop(), 0, "graceful stop exits 0");
  servers.splice(servers.indexOf(b), 1);
  const put = await a.request("PUT", "/v1/environments/dev", token, minimalSpec("dev", { database: { instanceClass: "db.r6g.xlarge" } }));
  t.equal(put.status, 202);
  const id = put.json.id;
  // Wait until the RDS update (240 s × 0.02) is under way, then kill the process group.
  for (let i = 0; i < 600; i++) {
    const ev = await db.query("SELECT count(*)::int AS n FROM operation_events WHERE operation_id = $1 AND kind = 'resource-pre' AND data->>'op' = 'update'", [id]);
    if (ev.rows[0].n > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = (await db.query("SELECT seq, kind FROM operation_events WHERE operation_id = $1 ORDER BY seq", [id])).rows;
  t.ok(before.length > 3, `${before.length} events stored before the kill`);
  await a.kill();
  servers.splice(servers.indexOf(a), 1);
  t.equal((await db.query("SELECT status FROM operations WHERE id = $1", [id])).rows[0].status, "running", "left running by the dead process");

  const c = await startServerProcess(env);
  servers.push(c);
  const interrupted = await waitFor(c, token, id, ["interrupted", "succeeded", "failed"], 60_000);
  t.equal(interrupted.status, "interrupted");
  t.equal(interrupted.error.code, "INTERRUPTED");
  t.ok(interrupted.phases.some((p: { name: string; status: string }) => p.name === "foundation" && p.status === "interrupted"));
  t.ok(interrupted.phases.some((p: { name: string }) => p.name === "recovery"), "the recovery is recorded on the operation");
  const after = (await db.query("SELECT seq, kind FROM operation_events WHERE operation_id = $1 ORDER BY seq", [id])).rows;
  t.same(after.slice(0, before.length), before, "every event seen before the kill is still there");
  t.ok(after.some((e) => e.kind === "recovery"));

  const next = await c.request("PUT", "/v1/environments/dev", token, minimalSpec("dev", { database: { instanceClass: "db.r6g.xlarge" } }));
  t.equal((await waitFor(c, token, next.json.id, ["succeeded", "failed"])).status, "succeeded", "the environment runs its next operation");

  const logs = [a, b, c].map((s) => s.output()).join("\n");
  t.notOk(logs.includes(token), "the admin token is not in any log");
  t.notOk(logs.includes(new URL(databaseUrl).password), "the database password is not in any log");
});
