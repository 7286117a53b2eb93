import t from "tap";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  EventTranslator,
  SDK_EVENT_KINDS,
  changedProperties,
  cleanMessage,
  stepOp,
  summarize,
  translateAll,
  type SdkEngineEvent,
} from "../../../server/engine/pulumi-events.js";
import { Redactor } from "../../../server/engine/redact.js";

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/engine-events");
const load = (name: string): SdkEngineEvent[] => JSON.parse(readFileSync(path.join(dir, name), "utf8"));
const fixtures = readdirSync(dir).filter((f) => f.endsWith(".json"));

t.test("every fixture is a well-formed EngineEvent sequence (one payload, increasing sequence)", async (t) => {
  t.ok(fixtures.length >= 8, "fixtures present");
  for (const f of fixtures) {
    const events = load(f);
    let prev = -1;
    for (const e of events) {
      t.type(e.sequence, "number", `${f}: sequence`);
      t.type(e.timestamp, "number", `${f}: timestamp`);
      t.ok(e.sequence > prev, `${f}: sequence increases at ${e.sequence}`);
      prev = e.sequence;
      const payloads = Object.keys(e).filter((k) => k !== "sequence" && k !== "timestamp");
      t.equal(payloads.length, 1, `${f}#${e.sequence}: exactly one payload (${payloads})`);
      t.ok((SDK_EVENT_KINDS as readonly string[]).includes(payloads[0]), `${f}#${e.sequence}: ${payloads[0]} is an SDK kind`);
    }
  }
});

t.test("the fixtures cover every event kind the SDK defines", async (t) => {
  const seen = new Set(fixtures.flatMap((f) => load(f).flatMap((e) => Object.keys(e))));
  for (const kind of SDK_EVENT_KINDS) t.ok(seen.has(kind), `${kind} appears in a fixture`);
});

t.test("a create: pre and outputs events per resource, changes without stack or default provider, engine summary", async (t) => {
  const { events, translator } = translateAll(load("create.json"));
  const pre = events.filter((e) => e.kind === "resource-pre");
  const outs = events.filter((e) => e.kind === "resource-outputs");
  t.equal(pre.length, 4);
  t.equal(outs.length, 4);
  t.ok(pre.every((e) => e.kind === "resource-pre" && e.op === "create"));
  t.same(
    translator.changes.map((c) => [c.type, c.change]),
    [
      ["aws:ecr/repository:Repository", "create"],
      ["random:index/randomPassword:RandomPassword", "create"],
    ],
  );
  t.same(translator.summary, { create: 3, update: 0, replace: 0, delete: 0, same: 0 });
  const summary = events.find((e) => e.kind === "summary");
  t.same(summary, { kind: "summary", changes: translator.summary, durationMs: 5000 });
  // The closing cancelEvent of a successful update is not a failure and makes no event.
  t.notOk(events.some((e) => e.kind === "diagnostic"));
  t.equal(translator.firstError, undefined);
});

t.test("no translated event carries a property value, an input or a config value", async (t) => {
  for (const f of fixtures) {
    const { events } = translateAll(load(f));
    const text = JSON.stringify(events);
    for (const leak of ["IMMUTABLE", "platform-team", "postgres17", "10.0.0.0/16", "vpc-0a1b2c3d4e5f60718", "dev/keycloak", "aws:allowedAccountIds"]) {
      t.notOk(text.includes(leak), `${f}: no value ${leak}`);
    }
    for (const e of events) {
      t.notOk("inputs" in e || "outputs" in e || "old" in e || "new" in e || "config" in e, `${f}: ${e.kind} has names only`);
    }
  }
});

t.test("an update: detailedDiff keys become properties, sorted, names only", async (t) => {
  const { events, translator } = translateAll(load("update.json"));
  t.same(translator.changes, [
    {
      urn: "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::dev-eksCluster",
      type: "aws:eks/cluster:Cluster",
      change: "update",
      properties: ["tags.Owner", "tagsAll.Owner", "vpcConfig.publicAccessCidrs[0]"],
    },
  ]);
  t.same(translator.summary, { create: 0, update: 1, replace: 0, delete: 0, same: 41 });
  const warning = events.find((e) => e.kind === "diagnostic");
  t.same(warning, {
    kind: "diagnostic",
    severity: "warning",
    message: "Cluster endpoint is public to 0.0.0.0/0",
    urn: "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Cluster$eks:index:Cluster$aws:eks/cluster:Cluster::dev-eksCluster",
  });
  t.equal(translator.drift.length, 0, "an update is not drift");
});

t.test("properties fall back to diffs, then replacement keys", async (t) => {
  const base = { op: "update" as const, urn: "u", type: "x", provider: "" };
  t.same(changedProperties({ ...base, diffs: ["b", "a"], keys: ["k"] }), ["a", "b"]);
  t.same(changedProperties({ ...base, keys: ["family"] }), ["family"]);
  t.same(changedProperties({ ...base, detailedDiff: {}, diffs: ["tags"] }), ["tags"]);
  t.same(changedProperties(base), []);
});

t.test("a replace: three steps on one URN are one replace change; halves map to op replace", async (t) => {
  const { events, translator } = translateAll(load("replace.json"));
  t.same(translator.changes, [
    {
      urn: "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Database$aws:rds/parameterGroup:ParameterGroup::dev-postgres-params",
      type: "aws:rds/parameterGroup:ParameterGroup",
      change: "replace",
      properties: ["family"],
    },
  ]);
  t.ok(events.filter((e) => e.kind === "resource-pre").every((e) => e.kind === "resource-pre" && e.op === "replace"));
  t.same(translator.summary, { create: 0, update: 0, replace: 1, delete: 0, same: 41 });
});

t.test("a failure: resource-failed carries the provider's first error line; firstError names the URN", async (t) => {
  const { events, translator } = translateAll(load("failure.json"), { redactor: new Redactor(["Hunter2-master-pw"]) });
  const failed = events.find((e) => e.kind === "resource-failed");
  t.ok(failed);
  if (failed?.kind !== "resource-failed") return;
  t.equal(failed.urn, "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Database$aws:rds/instance:Instance::dev-postgres");
  t.match(failed.message, /^sdk-v2\/provider2\.go:572: .*creating RDS DB Instance \(dev-postgres\).*Cannot find version 16\.99 for postgres/);
  t.equal(translator.firstError?.urn, failed.urn, "the provider's error, not the engine's closing 'update failed'");
  t.match(translator.firstError?.message, /InvalidParameterCombination/);
  const errors = events.filter((e) => e.kind === "diagnostic" && e.severity === "error");
  t.equal(errors.length, 2);
  t.equal(errors[1].kind === "diagnostic" && errors[1].message, "update failed");
  // The info#err line from the program leaks a password: known value and URL shape both scrubbed.
  const text = JSON.stringify(events);
  t.notOk(text.includes("Hunter2"), "leaked password redacted");
  t.match(text, /master password \[secret\] to postgres:\/\/postgres:\[secret\]@/);
  t.same(translator.changes.map((c) => c.change), ["create"], "a preview-or-failed create is still listed as attempted");
});

t.test("a cancel: cancelEvent mid-stream is noted; the CANCELLED decision is the adapter's (signal)", async (t) => {
  const { events, translator } = translateAll(load("cancel.json"));
  t.equal(translator.cancelled, true);
  t.equal(translator.maybeCorrupt, true, "maybeCorrupt is surfaced");
  const failed = events.find((e) => e.kind === "resource-failed");
  t.match(failed && "message" in failed ? failed.message : "", /context canceled/);
});

t.test("previewRefresh: one drifted and one deleted resource, with property names; the in-sync one is not drift", async (t) => {
  const { translator } = translateAll(load("preview-refresh.json"), { refreshRun: true });
  t.same(translator.drift, [
    {
      urn: "urn:pulumi:dev-foundation::goldenpath::goldenpath:aws:Network$aws:ec2/securityGroup:SecurityGroup::dev-cluster-sg",
      type: "aws:ec2/securityGroup:SecurityGroup",
      change: "update",
      properties: ["ingress[0].cidrBlocks[0]", "tags.ManagedBy"],
    },
    {
      urn: "urn:pulumi:dev-foundation::goldenpath::aws:ecr/repository:Repository::dev-backstage",
      type: "aws:ecr/repository:Repository",
      change: "delete",
      properties: [],
    },
  ]);
  t.same(translator.changes, [], "refresh steps are not pending changes");
  t.same(translator.summary, { create: 0, update: 1, replace: 0, delete: 1, same: 2 });
});

t.test("drift is found from the refresh pre-events alone (no refreshRun flag)", async (t) => {
  const { translator } = translateAll(load("preview-refresh.json"));
  t.equal(translator.drift.length, 2);
});

t.test("an update's outputs event is not drift, even in up --refresh after the refresh step", async (t) => {
  const urn = "urn:pulumi:s::p::aws:s3/bucket:Bucket::b";
  const meta = (op: string, extra = {}) => ({ metadata: { op, urn, type: "aws:s3/bucket:Bucket", provider: "", ...extra } as never });
  const tr = new EventTranslator();
  tr.translate({ sequence: 1, timestamp: 0, resourcePreEvent: meta("refresh") });
  tr.translate({ sequence: 2, timestamp: 0, resOutputsEvent: meta("same") });
  tr.translate({ sequence: 3, timestamp: 0, resourcePreEvent: meta("update", { diffs: ["tags"] }) });
  tr.translate({ sequence: 4, timestamp: 0, resOutputsEvent: meta("update", { diffs: ["tags"] }) });
  t.same(tr.drift, []);
  t.same(tr.changes.map((c) => c.change), ["update"]);
});

t.test("a preview summary of every kind matches its change list", async (t) => {
  const { events, translator } = translateAll(load("preview.json"));
  t.same(translator.summary, { create: 1, update: 1, replace: 1, delete: 1, same: 14 });
  const byKind = Object.fromEntries(translator.changes.map((c) => [c.change, c]));
  t.same(Object.keys(byKind).sort(), ["create", "delete", "replace", "update"]);
  t.same(byKind.update.properties, ["values.replicas", "version"]);
  t.same(byKind.replace.properties, ["metadata.name"]);
  const policy = events.find((e) => e.kind === "diagnostic" && e.message.startsWith("[goldenpath/images-from-ecr]"));
  t.equal(policy?.kind === "diagnostic" && policy.severity, "warning");
});

t.test("the remaining kinds: debugger and prelude dropped, ephemeral dropped, info#err is info, mandatory policy is error", async (t) => {
  const { events } = translateAll(load("kinds.json"));
  t.same(events, [
    { kind: "diagnostic", severity: "info", message: "warning: A new version of Pulumi is available." },
    {
      kind: "diagnostic",
      severity: "info",
      message: "npm WARN deprecated inflight@1.0.6",
      urn: "urn:pulumi:dev-platform::goldenpath::pulumi:pulumi:Stack::goldenpath-dev-platform",
    },
    {
      kind: "diagnostic",
      severity: "error",
      message: "[goldenpath/no-literal-secrets] Secrets must come from External Secrets, not literals.",
      urn: "urn:pulumi:dev-platform::goldenpath::kubernetes:core/v1:Secret::dev-backstage-auth",
    },
    { kind: "summary", changes: { create: 0, update: 0, replace: 0, delete: 0, same: 0 }, durationMs: 1000 },
  ]);
});

t.test("op mapping and summaries", async (t) => {
  t.equal(stepOp("create-replacement"), "replace");
  t.equal(stepOp("delete-replaced"), "replace");
  t.equal(stepOp("read-replacement"), "read");
  t.equal(stepOp("import-replacement"), "import");
  t.equal(stepOp("discard-replaced"), "discard");
  t.equal(stepOp("some-future-op"), "same");
  t.same(summarize({ "create-replacement": 2, "delete-replaced": 2 }), { create: 0, update: 0, replace: 2, delete: 0, same: 0 });
  t.same(summarize({ replace: 1, "create-replacement": 1 }).replace, 1, "not counted twice");
  t.same(summarize(undefined), { create: 0, update: 0, replace: 0, delete: 0, same: 0 });
  t.equal(cleanMessage("<{%fg 1%}>x\u001b[31m y<{%reset%}>\n"), "x y");
});

t.test("with no summary event, the summary is counted from the changes", async (t) => {
  const events = load("create.json").filter((e) => !e.summaryEvent);
  const { translator } = translateAll(events);
  t.same(translator.summary, { create: 2, update: 0, replace: 0, delete: 0, same: 0 });
});
