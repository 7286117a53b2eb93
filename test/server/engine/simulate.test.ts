import t from "tap";
import { engine, run, spec } from "./simulate-helpers.js";

// Each operation is a child process loading the Pulumi SDK: slow on a busy machine.
t.setTimeout(600_000);

t.test("up creates everything, a second up is all same, a spec change updates only what changed, preview changes nothing, destroy empties", async (t) => {
  const e = engine(t);
  const s = spec();

  const first = await run(e, "up", s);
  const created = first.result.summary.create;
  t.ok(created >= 10, `created ${created} resources`);
  t.same({ ...first.result.summary, create: 0 }, { create: 0, update: 0, replace: 0, delete: 0, same: 0 }, "only creates");
  const summary = first.events.at(-1);
  t.match(summary, { kind: "summary", changes: first.result.summary }, "ends with a summary event");
  const pre = first.events.filter((ev) => ev.kind === "resource-pre").map((ev) => ev.urn);
  const done = first.events.filter((ev) => ev.kind === "resource-outputs").map((ev) => ev.urn);
  t.same([...pre].sort(), [...done].sort(), "every resource-pre has its resource-outputs");
  t.equal(first.result.outputs?.kubeconfig.secret, true, "kubeconfig is a secret output");
  t.equal(first.result.outputs?.vpcId.secret, false);
  t.match(first.result.outputs?.vpcId.value, /^vpc-/);
  const stored = await e.outputs({ environment: s.name, layer: "foundation" });
  t.same(stored, first.result.outputs, "outputs() reads back what up recorded");
  const password = JSON.parse(String(first.result.outputs!.kubeconfig.value)).token as string;
  t.notMatch(JSON.stringify(first.events), password, "no secret value in any event");

  const second = await run(e, "up", s);
  t.same(second.result.summary, { create: 0, update: 0, replace: 0, delete: 0, same: created }, "second up is all same");
  t.same(second.result.changes, []);
  t.same(second.result.outputs, first.result.outputs, "same ids and outputs on the second up");

  // A spec change without apply: preview reports it and changes nothing.
  const changed = spec({ database: { backupRetentionDays: 14 } });
  const preview = await run(e, "preview", changed);
  t.same(preview.result.changes.map((c) => [c.type, c.change, c.properties]), [["aws:rds/instance:Instance", "update", ["backupRetentionPeriod"]]]);
  t.equal(preview.result.outputs, undefined, "preview returns no outputs");
  const listing = e.listCloud(s.name)!;
  const db = listing.find((r) => r.type === "aws:rds/instance:Instance")!;
  t.equal(db.status, "in_sync", "preview did not touch the cloud");

  const update = await run(e, "up", changed);
  t.same(update.result.changes, preview.result.changes, "up does what preview said");
  t.same(update.result.summary, { create: 0, update: 1, replace: 0, delete: 0, same: created - 1 });
  t.match(update.events, [{ kind: "diagnostic" }, ...Array(0)], "starts with a diagnostic");
  t.ok(update.events.some((ev) => ev.kind === "resource-pre" && ev.op === "update" && ev.properties?.includes("backupRetentionPeriod")), "update event names the property");

  // Fewer applications: their secrets go; a new cluster name replaces the cluster.
  const smaller = spec({ database: { backupRetentionDays: 14, applications: [{ name: "keycloak", user: "keycloak_app", database: "keycloak" }] }, apps: { backstage: { enabled: false } } });
  const shrink = await run(e, "up", smaller);
  t.same(shrink.result.changes.map((c) => [c.change, c.urn.split("::").pop()]), [["delete", "backstage-db"]], "only the dropped secret is deleted");

  const destroyed = await run(e, "destroy", smaller);
  t.equal(destroyed.result.summary.delete, created - 1);
  const order = destroyed.events.filter((ev) => ev.kind === "resource-outputs").map((ev) => ev.urn.split("::").pop());
  t.ok(order.indexOf("general") < order.indexOf("cluster"), "node group deleted before its cluster");
  t.ok(order.indexOf("private-a") > order.indexOf("nat"), "subnet deleted after the NAT gateway in it");
  t.same(e.listCloud(s.name), [], "the cloud is empty");
  t.same(await e.outputs({ environment: s.name, layer: "foundation" }), {}, "no outputs after destroy");
});
