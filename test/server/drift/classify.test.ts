import t from "tap";
import { classifyDrift, driftTransition } from "../../../server/drift/classify.js";

const rds = "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Database$aws:rds/instance:Instance::dev-db-instance";
const es = "urn:pulumi:dev-platform::goldenpath::kubernetes:external-secrets.io/v1:ExternalSecret::keycloak-db";

t.test("cloud drift keeps only updates and deletes, with property names", async (t) => {
  const r = classifyDrift([
    {
      layer: "foundation",
      cloud: [
        { urn: rds, type: "aws:rds/instance:Instance", change: "update", properties: ["publiclyAccessible", "publiclyAccessible"] },
        { urn: "urn:x", type: "aws:ec2/vpc:Vpc", change: "create", properties: [] },
      ],
      pending: [],
    },
    { layer: "platform", cloud: [{ urn: es, type: "kubernetes:external-secrets.io/v1:ExternalSecret", change: "delete", properties: [] }], pending: [] },
  ]);
  t.equal(r.status, "drifted");
  t.same(r.counts, { cloud: 2, pending: 0 });
  t.same(r.resources[0], { layer: "foundation", urn: rds, type: "aws:rds/instance:Instance", kind: "cloud", change: "update", properties: ["publiclyAccessible"] });
  t.equal(r.resources[1].change, "delete");
  t.equal(r.resources[1].kind, "cloud");
});

t.test("pending changes are reported separately from cloud drift", async (t) => {
  const r = classifyDrift([
    { layer: "foundation", cloud: [], pending: [{ urn: rds, type: "aws:rds/instance:Instance", change: "update", properties: ["instanceClass"] }] },
  ]);
  t.equal(r.status, "drifted");
  t.same(r.counts, { cloud: 0, pending: 1 });
  t.equal(r.resources[0].kind, "pending");
});

t.test("nothing changed reads in_sync", async (t) => {
  t.equal(classifyDrift([{ layer: "foundation", cloud: [], pending: [] }]).status, "in_sync");
});

t.test("a drift status change notifies once, not on every check", async (t) => {
  t.equal(driftTransition(null, "in_sync"), null, "first clean check is not news");
  t.equal(driftTransition("in_sync", "drifted"), "drift.detected");
  t.equal(driftTransition("drifted", "drifted"), null);
  t.equal(driftTransition("drifted", "in_sync"), "drift.resolved");
  t.equal(driftTransition("in_sync", "error"), "drift.error");
  t.equal(driftTransition("error", "error"), null);
  t.equal(driftTransition(null, "drifted"), "drift.detected");
});
