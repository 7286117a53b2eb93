import t from "tap";
import { engine, run, runFailing, spec } from "./simulate-helpers.js";

// Each operation is a child process loading the Pulumi SDK: slow on a busy machine.
t.setTimeout(600_000);

t.test("an injected failure fails the step and the operation, keeps what succeeded, and clears", async (t) => {
  const e = engine(t);
  const s = spec({}, "fail");
  const injected = e.injectFailure(s.name, { resource: "aws:rds/instance:Instance", op: "create", message: "InsufficientDBInstanceCapacity" });
  t.same(e.listFailures(s.name), [injected]);

  const { error, events } = await runFailing(e, "up", s);
  t.equal(error.code, "PROVIDER_ERROR");
  t.equal(error.message, "aws:rds/instance:Instance db: InsufficientDBInstanceCapacity", "names the type and the resource");
  t.match(error.urn, /aws:rds\/instance:Instance::db$/);
  t.ok(events.some((ev) => ev.kind === "resource-failed" && ev.urn === error.urn), "resource-failed event");
  t.ok(events.some((ev) => ev.kind === "diagnostic" && ev.severity === "error" && ev.urn === error.urn), "error diagnostic");
  t.equal(events.at(-1)?.kind, "summary", "a summary even on failure");
  const cloud = e.listCloud(s.name)!;
  t.notOk(cloud.some((r) => r.name === "db" && r.type === "aws:rds/instance:Instance"), "the failed instance is not in the cloud");
  t.ok(cloud.some((r) => r.type === "aws:ec2/vpc:Vpc"), "what succeeded is kept");
  t.same(await e.outputs({ environment: s.name, layer: "foundation" }), {}, "no outputs recorded by a failed up");

  t.equal(e.clearFailures(s.name), 1);
  const retry = await run(e, "up", s);
  t.ok(retry.result.changes.some((c) => c.change === "create" && c.urn === error.urn), "the retry creates the instance");
  t.equal(retry.result.summary.same, cloud.length, "what the failed run created is kept as is");
  t.equal(retry.result.summary.update, 0);

  // A delete failure that fires once: the node group (a dependent) goes first, the cluster stays.
  e.injectFailure(s.name, { resource: "aws:eks/cluster:Cluster", op: "delete", message: "ResourceInUseException", times: 1 });
  const failedDestroy = await runFailing(e, "destroy", s);
  t.equal(failedDestroy.error.message, "aws:eks/cluster:Cluster cluster: ResourceInUseException");
  const left = e.listCloud(s.name)!.map((r) => r.name);
  t.ok(left.includes("cluster"), "the cluster survives its failed delete");
  t.notOk(left.includes("general"), "its node group was deleted before");
  t.same(e.listFailures(s.name), [], "a counted failure is gone once used");
  await run(e, "destroy", s);
  t.same(e.listCloud(s.name), [], "the second destroy empties the stack");
});

t.test("a lock left by a killed run blocks the stack until recover", async (t) => {
  const e = engine(t);
  const s = spec({}, "locked");
  const urn = "urn:pulumi:locked-foundation::goldenpath::aws:eks/cluster:Cluster::cluster";
  e.cloud.writeLock(s.name, "foundation", { pid: 999999, operation: "up", startedAt: new Date().toISOString(), pending: [urn] });
  const { error } = await runFailing(e, "up", s);
  t.equal(error.code, "STACK_LOCKED");
  t.ok(error.fix, "with a fix hint");
  t.same(await e.recover({ environment: s.name, layer: "foundation" }), { clearedPendingOperations: [urn], lockReleased: true });
  t.same(await e.recover({ environment: s.name, layer: "foundation" }), { clearedPendingOperations: [], lockReleased: false }, "nothing left to recover");
  t.same(await e.outputs({ environment: s.name, layer: "foundation" }), {}, "outputs of a stack never applied are empty");
});

t.test("cancel mid-sleep: the running step is not created, the run is CANCELLED, the lock is released", async (t) => {
  const e = engine(t, { timeScale: 0.02 }); // EKS control plane: 12 s
  const s = spec({}, "cancel");
  const ac = new AbortController();
  const { error, events } = await runFailing(e, "up", s, "foundation", {
    signal: ac.signal,
    onEvent: (ev) => {
      if (ev.kind === "resource-pre" && ev.type === "aws:eks/cluster:Cluster") setTimeout(() => ac.abort(), 100);
    },
  });
  t.equal(error.code, "CANCELLED");
  t.ok(events.some((ev) => ev.kind === "resource-failed" && ev.type === "aws:eks/cluster:Cluster"), "the cluster step reports it was interrupted");
  const cloud = e.listCloud(s.name)!;
  t.notOk(cloud.some((r) => r.type === "aws:eks/cluster:Cluster"), "the cluster was not created");
  t.ok(cloud.some((r) => r.type === "aws:iam/role:Role"), "its role, created before, is kept");
  t.equal(e.cloud.readLock(s.name, "foundation"), null, "the lock is released");
});
