import t from "tap";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomResult, clusterToken, cloudContext } from "../../programs/mock-model.js";
import { parseSpec } from "../../programs/spec.js";
import type { Plan } from "../../programs/plan.js";
import { formatPlan } from "../../cli/plan.js";

// Two planning child processes run concurrently; loading the SDKs dominates.
t.setTimeout(300_000);
const HAS_FOUNDATION = existsSync("programs/layers/foundation.ts");
const dir = mkdtempSync(join(tmpdir(), "gp-plan-"));
interface Result { status: number | null; stdout: string; stderr: string }
/** Run the real bin as a child process; cases run concurrently to keep the file fast. */
function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["cli/goldenpath.js", "plan", ...args]);
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (b) => (stdout += b));
    c.stderr.on("data", (b) => (stderr += b));
    c.on("error", reject);
    c.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
const specFile = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
const dev = readFileSync("stacks/dev.yaml", "utf8");

// One child process per case, reused by the assertions below.
const layerArgs = HAS_FOUNDATION ? [] : ["--layer", "platform"];
const devRunP = cli("stacks/dev.yaml", "--json", ...layerArgs);
const bitnamiP = cli(
  specFile("bitnami.yaml", dev.replace("keycloak: { enabled: true, flavor: keycloakx }", "keycloak: { enabled: true, flavor: bitnami, chart: { repo: 'https://charts.bitnami.com/bitnami', name: keycloak, version: 24.4.0 } }")),
  "--json", "--layer", "platform",
);
const devRun = await devRunP;

t.test("plan stacks/dev.yaml --json: full graph with parents and dependencies, no error finding", async (t) => {
  if (!HAS_FOUNDATION) t.comment("programs/layers/foundation.ts has not landed: planning the platform layer only (fed by modelled foundation outputs)");
  t.equal(devRun.status, 0, devRun.stderr);
  const plan = JSON.parse(devRun.stdout) as Plan;
  t.equal(plan.environment, "dev");
  t.same(plan.layers.map((l) => l.name), HAS_FOUNDATION ? ["foundation", "platform"] : ["platform"]);
  const all = plan.layers.flatMap((l) => l.resources);
  for (const r of all) t.same(Object.keys(r).sort(), ["dependsOn", "inputs", "name", "parent", "provider", "type", "urn"], `shape of ${r.name}`);
  const types = new Set(all.map((r) => r.type));
  const expected = [
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:external-secrets.io/v1:ClusterSecretStore",
    "kubernetes:external-secrets.io/v1:ExternalSecret",
    "kubernetes:batch/v1:Job",
    "goldenpath:k8s:Keycloak",
    "goldenpath:k8s:Backstage",
    ...(HAS_FOUNDATION ? ["aws:ec2/vpc:Vpc", "eks:index:Cluster", "aws:ecr/repository:Repository", "aws:rds/instance:Instance", "aws:rds/parameterGroup:ParameterGroup", "aws:secretsmanager/secret:Secret", "aws:iam/role:Role"] : []),
  ];
  for (const type of expected) t.ok(types.has(type), `plan has ${type}`);
  const urns = new Set(all.map((r) => r.urn));
  t.ok(all.some((r) => r.parent && urns.has(r.parent)), "children name their parent");
  const es = all.filter((r) => r.type.endsWith(":ExternalSecret"));
  const store = all.find((r) => r.type.endsWith(":ClusterSecretStore"))!;
  for (const e of es) t.ok(e.dependsOn.includes(store.urn), `${e.name} depends on the store`);
  t.same(plan.findings.filter((f) => f.severity === "error"), []);
});

t.test("no generated secret value appears in plan output", async (t) => {
  const plan = JSON.parse(devRun.stdout) as Plan;
  const passwords = plan.layers.flatMap((l) => l.resources).filter((r) => r.type === "random:index/randomPassword:RandomPassword");
  t.ok(passwords.length >= 2, "the plan generates passwords");
  const known = passwords.map((r) => randomResult(r.name, r.inputs));
  known.push(clusterToken(cloudContext(parseSpec(dev)), "dev-eks"));
  for (const v of known) t.notOk(devRun.stdout.includes(v), "a generated secret is not in stdout");
  t.match(devRun.stdout, /\[secret\]/, "secret inputs print as [secret]");
  const table = formatPlan(plan);
  for (const v of known) t.notOk(table.includes(v), "nor in the table");
  t.match(table, /TYPE\s+NAME\s+PARENT\s+DEPS/);
});

t.test("a latest tag is an invalid spec: exit 2 with the field path", async (t) => {
  const r = await cli(specFile("latest.yaml", dev.replace("quay.io/keycloak/keycloak:26.4.2", "quay.io/keycloak/keycloak:latest")), "--json");
  t.equal(r.status, 2);
  t.match(r.stderr, /images\.keycloak\.source/);
  t.equal(r.stdout, "");
});

t.test("an image pinned to linux/arm64 on amd64 node groups is rejected with its field path", async (t) => {
  const r = await cli(specFile("arm.yaml", dev.replace('keycloak: { source: "quay.io/keycloak/keycloak:26.4.2" }', 'keycloak: { source: "quay.io/keycloak/keycloak:26.4.2", platform: linux/arm64 }')), "--json");
  t.equal(r.status, 2);
  t.match(r.stderr, /images\.keycloak\.platform/);
});

t.test("the Bitnami chart with the official Keycloak image: error finding with the Keycloak URN, exit 1", async (t) => {
  const r = await bitnamiP;
  t.equal(r.status, 1, r.stderr);
  const plan = JSON.parse(r.stdout) as Plan;
  const f = plan.findings.find((x) => x.rule === "keycloak-chart-image");
  t.ok(f, "keycloak-chart-image finding");
  t.equal(f?.severity, "error");
  t.match(f?.urn, /goldenpath:k8s:Keycloak::keycloak$/);
  t.match(f?.message, /Bitnami-layout image/);
});

t.test("usage errors exit 2", async (t) => {
  const [none, badLayer, missing] = await Promise.all([cli(), cli("stacks/dev.yaml", "--layer", "nope"), cli(join(dir, "missing.yaml"))]);
  t.equal(none.status, 2);
  t.equal(badLayer.status, 2);
  t.equal(missing.status, 2);
});
