/**
 * End to end on the real SimulateEngine: create, update (only what changed
 * updates), an injected failure (failed, clear message, outputs untouched),
 * cancel of a queued operation, destroy (environment gone, history kept),
 * and a leak scan of everything the service said or wrote.
 */
import pg from "pg";
import t from "tap";
import type { SimulateEngine } from "../../../server/engine/simulate.js";
import { build, minimalSpec, waitForOperation } from "../../helpers/app.js";
import { generatedPasswords } from "../../helpers/db.js";

// Several real simulate runs (a child process each): generous under a loaded CI box.
t.setTimeout(400_000);

t.test("an environment's whole life on the simulate engine", async (t) => {
  const h = await build(t);
  const bodies: string[] = [];
  const call: typeof h.call = async (o) => {
    const res = await h.call(o);
    bodies.push(res.body, JSON.stringify(res.headers));
    return res;
  };
  const engine = h.app.engine as unknown as SimulateEngine;

  // --- create
  const created = await call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") });
  t.equal(created.statusCode, 202);
  t.equal(created.headers.location, `/v1/operations/${created.json().id}`);
  t.equal(created.json().engine, "simulate", "the answer names its engine");
  const up = await waitForOperation(call, created.json().id);
  t.equal(up.status, "succeeded", JSON.stringify(up.error));
  t.same(
    up.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`),
    ["validate:succeeded", "preflight:succeeded", "foundation:succeeded", "mirror:succeeded", "platform:succeeded", "outputs:succeeded"],
  );
  t.match(up.phases[3].message, /images simulated/, "the mirror says the images were simulated");
  t.ok(up.summary.create >= 8, "foundation and platform resources created");
  t.equal(up.summary.update + up.summary.delete + up.summary.replace, 0);

  const env = (await call({ method: "GET", url: "/v1/environments/dev" })).json();
  t.equal(env.status, "ready");
  t.equal(env.revision, 1);
  t.equal(env.lastOperation.id, up.id);
  t.same(env.layers.map((l: { stack: string }) => l.stack), ["dev-foundation", "dev-platform"]);

  const outputs = (await call({ method: "GET", url: "/v1/environments/dev/outputs" })).json();
  t.equal(outputs.engine, "simulate");
  t.equal(outputs.operationId, up.id);
  t.match(outputs.layers.foundation.vpcId, /^vpc-/);
  t.equal(outputs.layers.foundation.kubeconfig, "[secret]", "secret outputs are masked");
  t.same(outputs.secrets, ["foundation.kubeconfig"]);
  t.equal(outputs.layers.platform.apps, 2);

  // --- update: only the RDS instance takes database.instanceClass
  const changed = minimalSpec("dev", { database: { instanceClass: "db.t4g.large" } });
  const put = await call({ method: "PUT", url: "/v1/environments/dev", payload: changed });
  t.equal(put.statusCode, 202);
  const upd = await waitForOperation(call, put.json().id);
  t.equal(upd.status, "succeeded");
  t.equal(upd.specRevision, 2);
  t.same({ ...upd.summary, same: 0 }, { create: 0, update: 1, replace: 0, delete: 0, same: 0 }, "exactly one resource updated");
  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const steps = await db.query(
    "SELECT data->>'urn' AS urn, data->>'op' AS op, data->'properties' AS props FROM operation_events WHERE operation_id = $1 AND kind = 'resource-pre' AND data->>'op' <> 'same'",
    [upd.id],
  );
  t.equal(steps.rows.length, 1);
  t.match(steps.rows[0].urn, /aws:rds\/instance:Instance::db$/);
  t.same(steps.rows[0].props, ["instanceClass"]);

  // --- an injected failure: failed, a clear message, outputs untouched
  const injected = await call({ method: "POST", url: "/v1/simulate/environments/dev/failures", payload: { resource: "db", message: "DBInstanceNotFound: simulated outage", op: "update" } });
  t.equal(injected.statusCode, 201, injected.body);
  const bad = await call({ method: "PUT", url: "/v1/environments/dev", payload: minimalSpec("dev", { database: { instanceClass: "db.r6g.large" } }) });
  const failed = await waitForOperation(call, bad.json().id);
  t.equal(failed.status, "failed");
  t.equal(failed.error.code, "PROVIDER_ERROR");
  t.match(failed.error.message, /simulated outage/);
  t.match(failed.error.urn, /rds\/instance:Instance::db$/);
  t.equal(failed.phases.find((p: { name: string }) => p.name === "foundation").status, "failed");
  t.notOk(failed.phases.some((p: { name: string }) => p.name === "platform"), "no phase ran after the failure");
  const afterFailure = (await call({ method: "GET", url: "/v1/environments/dev/outputs" })).json();
  t.equal(afterFailure.operationId, upd.id, "outputs still those of the last successful operation");
  t.equal((await call({ method: "GET", url: "/v1/environments/dev" })).json().status, "failed");
  const operator = (await call({ method: "POST", url: "/v1/tokens", payload: { name: "ci", role: "operator" } })).json().token;
  const asOperator = (await call({ method: "GET", url: `/v1/operations/${failed.id}`, token: operator })).json();
  t.equal(asOperator.error.code, "PROVIDER_ERROR");
  t.notOk("errorDetail" in asOperator, "engine detail only for admins");
  t.ok("errorDetail" in failed, "admins see the detail field");
  t.equal((await call({ method: "DELETE", url: "/v1/simulate/environments/dev/failures" })).json().cleared, 1);
  t.same(engine.listFailures("dev"), []);

  // --- cancel a queued operation (queued behind a running one)
  const first = await call({ method: "POST", url: "/v1/environments/dev/operations", payload: { kind: "preview" } });
  const second = await call({ method: "POST", url: "/v1/environments/dev/operations", payload: { kind: "refresh" } });
  const cancelled = await call({ method: "POST", url: `/v1/operations/${second.json().id}/cancel` });
  t.equal(cancelled.statusCode, 202);
  t.equal(cancelled.json().status, "cancelled");
  t.equal((await waitForOperation(call, first.json().id)).status, "succeeded");
  const again = await call({ method: "POST", url: `/v1/operations/${second.json().id}/cancel` });
  t.equal(again.statusCode, 409, "a finished operation cannot be cancelled");
  t.equal(again.json().code, "OPERATION_NOT_CANCELLABLE");
  const stillCancelled = (await call({ method: "GET", url: `/v1/operations/${second.json().id}` })).json();
  t.equal(stillCancelled.status, "cancelled");
  t.same(stillCancelled.phases, [], "it never started");

  // --- destroy: the environment goes, its history stays
  const del = await call({ method: "DELETE", url: "/v1/environments/dev" });
  t.equal(del.statusCode, 202);
  const destroyed = await waitForOperation(call, del.json().id);
  t.equal(destroyed.status, "succeeded");
  t.ok(destroyed.summary.delete >= 8);
  t.same(
    destroyed.phases.map((p: { name: string }) => p.name),
    ["validate", "platform", "foundation"],
    "destroy runs the platform first",
  );
  t.equal((await call({ method: "GET", url: "/v1/environments/dev" })).statusCode, 404);
  t.equal((await call({ method: "GET", url: "/v1/environments/dev/outputs" })).statusCode, 404);
  const history = (await call({ method: "GET", url: "/v1/environments/dev/operations?limit=100" })).json();
  t.same(
    history.items.map((o: { kind: string; status: string }) => `${o.kind}:${o.status}`),
    ["destroy:succeeded", "refresh:cancelled", "preview:succeeded", "up:failed", "up:succeeded", "up:succeeded"],
    "history, newest first, kept after destroy",
  );
  t.equal((await call({ method: "GET", url: "/v1/environments" })).json().items.length, 0);

  // --- leak scan: the generated database password, the admin token, the store's password
  const recreate = await call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") });
  t.equal(recreate.statusCode, 202, "a destroyed environment's name can be used again");
  t.equal((await waitForOperation(call, recreate.json().id)).status, "succeeded");
  const secretOutputs = await h.call({ method: "GET", url: "/v1/environments/dev/outputs?showSecrets=true" });
  const kubeconfig = JSON.parse(secretOutputs.json().layers.foundation.kubeconfig);
  const dbPassword: string = kubeconfig.password;
  t.ok(dbPassword.length >= 16, "the admin sees the secret output");
  const stored = await db.query("SELECT (SELECT json_agg(e) FROM operation_events e)::text AS events, (SELECT json_agg(o) FROM operations o)::text AS ops, (SELECT json_agg(a) FROM audit a)::text AS audit");
  const haystacks = { logs: h.logs.join("\n"), responses: bodies.join("\n"), events: stored.rows[0].events, operations: stored.rows[0].ops, audit: stored.rows[0].audit };
  const needles = { dbPassword, adminToken: h.adminToken, ...Object.fromEntries(generatedPasswords.map((p, i) => [`storePassword${i}`, p])) };
  for (const [where, text] of Object.entries(haystacks)) {
    t.ok(text.length > 100, `${where} were collected`);
    for (const [what, needle] of Object.entries(needles)) t.notOk(text.includes(needle), `${what} not in ${where}`);
  }
});

t.test("a preflight error fails the operation before anything is deployed", async (t) => {
  const h = await build(t);
  // The Bitnami chart with the official image: the incident's missing /opt/bitnami/scripts.
  const res = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("pf", { apps: { keycloak: { flavor: "bitnami" } } }) });
  t.equal(res.statusCode, 202);
  const op = await waitForOperation(h.call, res.json().id);
  t.equal(op.status, "failed");
  t.equal(op.error.code, "PREFLIGHT_FAILED");
  t.match(op.error.message, /Bitnami-layout image/);
  t.same(op.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`), ["validate:succeeded", "preflight:failed"]);
  t.same(op.summary, { create: 0, update: 0, replace: 0, delete: 0, same: 0 }, "no engine run");
});
