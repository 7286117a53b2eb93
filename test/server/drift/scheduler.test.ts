import t from "tap";
import { EnvironmentSpec } from "../../../programs/spec.js";
import { setEnvironmentStatus, upsertEnvironment } from "../../../server/store/environments.js";
import { adminTokenValue, build, minimalSpec } from "../../helpers/app.js";
import { testDatabase } from "../../helpers/db.js";
import { scriptedEngine } from "./scripted-engine.js";

t.setTimeout(120_000);

t.test("drift ticks: due environments by their own cron or the default, claimed once across two instances, busy ones skipped with a reason", async (t) => {
  const databaseUrl = await testDatabase();
  const opts = { databaseUrl, startWorkers: false, engine: scriptedEngine({ cloud: {}, pending: {} }), env: { GOLDENPATH_DRIFT_SCHEDULE: "0 */6 * * *", GOLDENPATH_ADMIN_TOKEN: adminTokenValue() } };
  const one = await build(t, opts);
  const two = await build(t, opts);
  const db = one.app.db;
  for (const [name, drift] of [["every", { schedule: "* * * * *" }], ["every-b", { schedule: "* * * * *" }], ["sixhourly", {}], ["hourly", { schedule: "30 * * * *" }], ["gone", { schedule: "* * * * *" }]] as const) {
    await upsertEnvironment(db, EnvironmentSpec.parse(minimalSpec(name, { drift })), "simulate");
  }
  await setEnvironmentStatus(db, "gone", "deleted");

  const minute0 = new Date("2026-03-01T06:00:20Z");
  const [a, b] = await Promise.all([one.app.driftScheduler.runTick(minute0), two.app.driftScheduler.runTick(minute0)]);
  t.same(a.due.sort(), ["every", "every-b", "sixhourly"], "own every-minute schedules and the server default (06:00) are due; a destroyed environment is not scheduled");
  t.same(b.due.sort(), a.due.sort(), "both instances see the same due environments");
  const claimed = [...a.claimed, ...b.claimed];
  t.same(claimed.map((c) => c.environment).sort(), ["every", "every-b", "sixhourly"], "each environment claimed exactly once across both instances");
  t.ok(claimed.every((c) => c.occurrence === "2026-03-01T06:00:00.000Z"));
  for (const c of claimed) {
    t.ok(c.delaySeconds >= 0 && c.delaySeconds < (c.environment === "sixhourly" ? 900 : 30), `${c.environment}: jitter within its window (${c.delaySeconds} s)`);
  }
  t.same((await one.app.driftScheduler.runTick(new Date("2026-03-01T06:00:59Z"))).claimed, [], "a duplicate tick in the same minute claims nothing");

  const jobs = await db.query("SELECT data->>'environment' AS env, start_after > created_on AS delayed FROM pgboss.job WHERE name = 'drift-due' ORDER BY 1");
  t.same(jobs.rows.map((r) => r.env), ["every", "every-b", "sixhourly"], "one drift-due job per claimed occurrence");

  for (const c of claimed) {
    const r = await one.app.driftScheduler.runDue({ environment: c.environment, occurrence: c.occurrence });
    t.ok(r.operationId, `${c.environment}: a drift operation queued`);
  }
  const ops = await db.query("SELECT environment, kind, status, requested_by FROM operations ORDER BY environment");
  t.same(ops.rows.map((r) => [r.environment, r.kind, r.status, r.requested_by]), [
    ["every", "drift", "queued", "drift-schedule"],
    ["every-b", "drift", "queued", "drift-schedule"],
    ["sixhourly", "drift", "queued", "drift-schedule"],
  ], "one check per environment for the tick, through the operation queue");

  // Next minute: the first checks are still queued (no workers here), so the occurrence is skipped, and says why.
  const minute1 = await two.app.driftScheduler.runTick(new Date("2026-03-01T06:01:05Z"));
  t.same(minute1.claimed.map((c) => c.environment).sort(), ["every", "every-b"]);
  const skipped = await two.app.driftScheduler.runDue({ environment: "every", occurrence: minute1.claimed.find((c) => c.environment === "every")!.occurrence });
  t.match(skipped.skippedReason, /operation [0-9a-f-]{36} \(drift\) was queued/);
  t.equal((await db.query("SELECT count(*)::int AS n FROM operations WHERE environment = 'every'")).rows[0].n, 1, "nothing queued beside the busy operation");
  const historyRes = await one.call({ method: "GET", url: "/v1/environments/every/drift/history" });
  t.equal(historyRes.statusCode, 200, historyRes.body);
  const history = historyRes.json();
  t.same(history.items.map((i: any) => [i.status, i.occurrence]), [["skipped", "2026-03-01T06:01:00.000Z"]], "the skip is in the drift history");
  t.match(history.items[0].reason, /was queued/);
  const listed = (await one.call({ method: "GET", url: "/v1/environments" })).json().items.find((e: any) => e.name === "every");
  t.equal(listed.drift.status, "unknown", "a skip is not a check: the listing still reads unknown");

  // A spec change takes effect at the next tick.
  await upsertEnvironment(db, EnvironmentSpec.parse(minimalSpec("hourly", { drift: { schedule: "2 6 * * *" } })), "simulate");
  t.same((await one.app.driftScheduler.runTick(new Date("2026-03-01T06:02:00Z"))).due.sort(), ["every", "every-b", "hourly"]);
});
