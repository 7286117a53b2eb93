import { fileURLToPath } from "node:url";
import t from "tap";
import { build, minimalSpec } from "../../helpers/app.js";

// Real layer-shaped programs (RDS instance, ExternalSecrets) on the simulate engine: each operation is a child process.
t.setTimeout(600_000);

const TINY_LAYERS = fileURLToPath(new URL("../../fixtures/engine/tiny-layers.ts", import.meta.url));

t.test("drift through the API: in_sync, pending changes, cloud drift (RDS publiclyAccessible, deleted ExternalSecret), remediation", async (t) => {
  const { app, call } = await build(t, { startWorkers: false, env: { GOLDENPATH_SIMULATE_PROGRAMS: TINY_LAYERS } });
  const spec = minimalSpec("drifty");
  const run = async (res: { statusCode: number; json: () => any }) => {
    t.equal(res.statusCode, 202);
    await app.queue.runOnce();
    return (await call({ method: "GET", url: `/v1/operations/${res.json().id}` })).json();
  };
  const check = async () => {
    const op = await run(await call({ method: "POST", url: "/v1/environments/drifty/drift" }));
    t.equal(op.kind, "drift");
    const res = await call({ method: "GET", url: "/v1/environments/drifty/drift" });
    t.equal(res.statusCode, 200);
    t.equal(res.json().operationId, op.id, "the result names its operation");
    return { op, result: res.json() };
  };

  t.equal((await call({ method: "GET", url: "/v1/environments/drifty/drift" })).statusCode, 404, "404 before the environment exists");
  t.equal((await run(await call({ method: "POST", url: "/v1/environments", payload: spec }))).status, "succeeded");
  const none = await call({ method: "GET", url: "/v1/environments/drifty/drift" });
  t.equal(none.statusCode, 404, "404 before the first check");
  t.match(none.json().detail, /not been checked/);

  // A clean environment.
  const clean = await check();
  t.same([clean.op.status, clean.result.status, clean.result.resources, clean.result.engine], ["succeeded", "in_sync", [], "simulate"]);
  t.same(clean.op.phases.map((p: any) => [p.name, p.status]), [["validate", "succeeded"], ["foundation", "succeeded"], ["mirror", "skipped"], ["platform", "succeeded"]],
    "both layers checked; nothing mirrored");
  const listed = (await call({ method: "GET", url: "/v1/environments" })).json().items[0];
  t.same([listed.drift.status, listed.drift.checkedAt], ["in_sync", clean.result.checkedAt], "the list shows drift status and when it was checked");

  // A spec edit without apply: PUT stores the spec and queues an up; cancelling that up leaves the spec stored, not applied.
  const edited = { ...spec, database: { instanceClass: "db.r6g.large" } };
  const put = await call({ method: "PUT", url: "/v1/environments/drifty", payload: edited });
  t.equal(put.statusCode, 202);
  t.equal((await call({ method: "POST", url: `/v1/operations/${put.json().id}/cancel` })).json().status, "cancelled");
  const pending = await check();
  t.equal(pending.result.status, "drifted");
  t.same(pending.result.resources.map((r: any) => [r.layer, r.kind, r.type, r.change, r.properties]), [["foundation", "pending", "aws:rds/instance:Instance", "update", ["instanceClass"]]],
    "the unapplied instanceClass is a pending change of the RDS instance");
  t.same(pending.result.counts, { cloud: 0, pending: 1 });
  t.notOk(pending.result.remediation, "pending changes are never remediated");

  // Back to the applied spec, now with remediation on (again stored without apply).
  const remediating = { ...spec, drift: { remediate: true } };
  const put2 = await call({ method: "PUT", url: "/v1/environments/drifty", payload: remediating });
  await call({ method: "POST", url: `/v1/operations/${put2.json().id}/cancel` });

  // Out-of-band changes through the simulate controls.
  const rds = await call({ method: "POST", url: "/v1/simulate/environments/drifty/changes", payload: { resource: "aws:rds/instance:Instance", set: { publiclyAccessible: true } } });
  t.equal(rds.statusCode, 200);
  const es = await call({ method: "POST", url: "/v1/simulate/environments/drifty/changes", payload: { layer: "platform", resource: "keycloak-db", delete: true } });
  t.equal(es.json().resource.type, "kubernetes:external-secrets.io/v1:ExternalSecret");

  const cloud = await check();
  t.equal(cloud.result.status, "drifted");
  t.same(
    cloud.result.resources.map((r: any) => [r.layer, r.urn, r.kind, r.change, r.properties]),
    [
      ["foundation", rds.json().resource.urn, "cloud", "update", ["publiclyAccessible"]],
      ["platform", es.json().resource.urn, "cloud", "delete", []],
    ],
    "the changed RDS property and the deleted ExternalSecret, as cloud drift with the right resources",
  );
  t.notMatch(JSON.stringify(cloud.result), /true/, "property names only, never values");
  const remediation = cloud.result.remediation;
  t.ok(remediation?.operationId, "remediation queued an up and the result says so");

  const up = (await call({ method: "GET", url: `/v1/operations/${remediation.operationId}` })).json();
  // The environment's drain takes the up right after the check that queued it.
  t.same([up.kind, up.requestedBy], ["up", "drift-remediation"]);
  await app.queue.runOnce();
  t.equal((await call({ method: "GET", url: `/v1/operations/${remediation.operationId}` })).json().status, "succeeded");
  const sim = (await call({ method: "GET", url: "/v1/simulate/environments/drifty/cloud" })).json();
  t.same(sim.resources.filter((r: any) => r.status !== "in_sync").map((r: any) => r.name), [], "the up with refresh put publiclyAccessible back and recreated the ExternalSecret");

  const after = await check();
  t.same([after.result.status, after.result.resources], ["in_sync", []], "the next check reads in_sync");

  const history = await call({ method: "GET", url: "/v1/environments/drifty/drift/history?limit=2" });
  t.same(history.json().items.map((i: any) => i.status), ["in_sync", "drifted"], "newest first");
  const rest = await call({ method: "GET", url: `/v1/environments/drifty/drift/history?limit=10&cursor=${history.json().nextCursor}` });
  t.same(rest.json().items.map((i: any) => i.status), ["drifted", "in_sync"]);
  t.equal(rest.json().nextCursor, null);
});
