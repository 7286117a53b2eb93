/**
 * Graceful shutdown with an operation running: the app stops taking work,
 * gives the operation the grace period, then aborts it; it ends
 * `interrupted` (not failed, not left running) with its events kept, and
 * the queued one behind it stays queued for the next start.
 */
import pg from "pg";
import t from "tap";
import { build, minimalSpec, waitForOperation } from "../../helpers/app.js";

t.setTimeout(300_000);

t.test("shutdown mid-operation: interrupted after the grace period", async (t) => {
  const h = await build(t, { env: { GOLDENPATH_SIMULATE_TIME_SCALE: "0.05", GOLDENPATH_SHUTDOWN_GRACE_SECONDS: "1" } });
  const created = (await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") })).json();
  const queued = (await h.call({ method: "POST", url: "/v1/environments/dev/operations", payload: { kind: "preview" } })).json();
  await waitForOperation(h.call, created.id, ["running"]);
  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  for (let i = 0; i < 600; i++) {
    const n = (await db.query("SELECT count(*)::int AS n FROM operation_events WHERE operation_id = $1 AND kind = 'resource-pre'", [created.id])).rows[0].n;
    if (n > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const started = Date.now();
  await h.app.close();
  t.ok(Date.now() - started < 30_000, `closed in ${Date.now() - started} ms`);
  const op = (await db.query("SELECT status, error, phases FROM operations WHERE id = $1", [created.id])).rows[0];
  t.equal(op.status, "interrupted");
  t.equal(op.error.code, "INTERRUPTED");
  t.ok(op.phases.some((p: { status: string }) => p.status === "interrupted"), "the phase it was in says so");
  const events = (await db.query("SELECT kind, data FROM operation_events WHERE operation_id = $1 ORDER BY seq", [created.id])).rows;
  t.ok(events.some((e) => e.kind === "resource-pre"), "events kept");
  t.equal(events[events.length - 1].data.status, "interrupted", "the closing event says interrupted");
  t.equal((await db.query("SELECT status FROM operations WHERE id = $1", [queued.id])).rows[0].status, "queued", "queued work waits for the next start");
});
