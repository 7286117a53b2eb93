import t from "tap";
import { SimulationTargetError } from "../../../server/engine/simulate.js";
import { engine, rawOutputs, run, spec } from "./simulate-helpers.js";

// Each operation is a child process loading the Pulumi SDK: slow on a busy machine.
t.setTimeout(600_000);

t.test("out-of-band changes show up in previewRefresh; up with refresh converges them; refresh accepts them", async (t) => {
  const e = engine(t);
  const s = spec({}, "drift");
  const foundation = await run(e, "up", s);
  const inputs = { foundation: rawOutputs(foundation.result), images: {} };
  const platform = await run(e, "up", s, "platform", { inputs });
  t.ok(platform.result.summary.create >= 3, "provider, store and ExternalSecrets created");

  const clean = await run(e, "previewRefresh", s);
  t.same(clean.result.changes, [], "a fresh stack has no cloud drift");

  const db = e.changeOutOfBand(s.name, { resource: "aws:rds/instance:Instance", set: { publiclyAccessible: true } });
  t.same([db.status, db.driftedProperties], ["drifted", ["publiclyAccessible"]], "the listing shows the drifted property name");
  const drift = await run(e, "previewRefresh", s);
  t.same(drift.result.changes, [{ urn: db.urn, type: "aws:rds/instance:Instance", change: "update", properties: ["publiclyAccessible"] }]);
  t.ok(drift.events.some((ev) => ev.kind === "resource-outputs" && ev.urn === db.urn && ev.op === "update" && ev.properties?.[0] === "publiclyAccessible"),
    "reported as a resource-outputs event with op update");
  t.notMatch(JSON.stringify(drift.events), /"true"|: ?true/, "no property value in the events");

  t.throws(() => e.changeOutOfBand(s.name, { resource: "keycloak-db", delete: true }), SimulationTargetError, "a name in both layers is ambiguous");
  const es = e.changeOutOfBand(s.name, { layer: "platform", resource: "keycloak-db", delete: true });
  t.equal(es.type, "kubernetes:external-secrets.io/v1:ExternalSecret");
  t.equal(es.status, "deleted");
  const gone = await run(e, "previewRefresh", s, "platform", { inputs });
  t.same(gone.result.changes, [{ urn: es.urn, type: es.type, change: "delete", properties: [] }]);

  const fixed = await run(e, "up", s, "foundation", { refresh: true });
  t.same(fixed.result.changes, [{ urn: db.urn, type: "aws:rds/instance:Instance", change: "update", properties: ["publiclyAccessible"] }],
    "up with refresh sets publiclyAccessible back");
  const recreated = await run(e, "up", s, "platform", { inputs, refresh: true });
  t.same(recreated.result.changes.map((c) => [c.urn, c.change]), [[es.urn, "create"]], "up with refresh recreates the deleted ExternalSecret");
  t.same(e.listCloud(s.name)!.filter((r) => r.status !== "in_sync"), [], "the whole cloud is back in sync");

  // refresh (not up) accepts the cloud's state: no more cloud drift, but now a pending change.
  e.changeOutOfBand(s.name, { resource: db.urn, set: { publiclyAccessible: true } });
  const accepted = await run(e, "refresh", s);
  t.same(accepted.result.changes.map((c) => c.properties), [["publiclyAccessible"]]);
  t.equal(e.listCloud(s.name)!.find((r) => r.urn === db.urn)!.status, "in_sync", "recorded state took the actual value");
  const pending = await run(e, "preview", s);
  t.same(pending.result.changes.map((c) => [c.urn, c.change, c.properties]), [[db.urn, "update", ["publiclyAccessible"]]],
    "the program still wants it private: a pending change");
});
