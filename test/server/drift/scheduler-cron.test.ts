import t from "tap";
import { EnvironmentSpec } from "../../../programs/spec.js";
import { upsertEnvironment } from "../../../server/store/environments.js";
import { adminTokenValue, build, minimalSpec } from "../../helpers/app.js";
import { testDatabase } from "../../helpers/db.js";
import { scriptedEngine } from "./scripted-engine.js";

// pg-boss's own cron fires at most once a minute: this test waits for the next minute (up to ~65 s).
t.setTimeout(150_000);

t.test("pg-boss's own cron: two instances with workers, an every-minute schedule, one check per environment per tick", async (t) => {
  const databaseUrl = await testDatabase();
  const opts = {
    databaseUrl,
    engine: scriptedEngine({ cloud: {}, pending: {} }),
    // One admin token for both instances (each start would otherwise make its own the only one).
    env: { GOLDENPATH_ADMIN_TOKEN: adminTokenValue() },
    drift: { cronMonitorIntervalSeconds: 1, maxJitterSeconds: 0, pollingIntervalSeconds: 0.5 },
  };
  const one = await build(t, opts);
  const two = await build(t, opts);
  const db = one.app.db;
  for (const name of ["cron-a", "cron-b"]) await upsertEnvironment(db, EnvironmentSpec.parse(minimalSpec(name, { drift: { schedule: "* * * * *" } })), "simulate");

  const started = Date.now();
  const deadline = started + 90_000;
  for (;;) {
    const r = await db.query("SELECT count(DISTINCT environment)::int AS n FROM drift_results");
    if (r.rows[0].n === 2) break;
    if (Date.now() > deadline) throw new Error("no scheduled check ran within 90 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  t.comment(`first scheduled checks stored after ${Math.round((Date.now() - started) / 1000)} s`);
  await new Promise((r) => setTimeout(r, 3000));

  const ticks = await db.query("SELECT environment, occurrence, operation_id FROM drift_ticks ORDER BY environment, occurrence");
  const ops = await db.query("SELECT environment, id, status FROM operations WHERE kind = 'drift' ORDER BY environment, seq");
  t.ok(ticks.rows.length >= 2, "each environment's occurrence was claimed");
  t.same(ops.rows.map((o) => o.id).sort(), ticks.rows.map((k) => k.operation_id).sort(), "exactly one drift operation per claimed occurrence (tick)");
  for (const env of ["cron-a", "cron-b"]) {
    const occ = ticks.rows.filter((k) => k.environment === env).map((k) => k.occurrence.toISOString());
    t.equal(new Set(occ).size, occ.length, `${env}: no occurrence claimed twice`);
    t.ok(occ.length >= 1 && occ.length <= 2, `${env}: one check per minute elapsed (${occ.length})`);
  }
  const results = (await one.call({ method: "GET", url: "/v1/environments/cron-a/drift" })).json();
  t.equal(results.status, "in_sync", "the scheduled check stored its result");
  t.ok(two.app.driftScheduler, "the second instance ran its own scheduler and workers");
});
