import t from "tap";
import { modelResource, modelCall, randomResult, clusterModel, knownSecretValues } from "../../programs/mock-model.js";
import type { RegisteredResource } from "../../programs/mock-runtime.js";

const ctx = { environment: "dev", accountId: "593517239005", region: "eu-west-2" };
const res = (type: string, name: string, inputs: Record<string, unknown> = {}): RegisteredResource => ({
  urn: `urn:pulumi:dev-foundation::goldenpath::${type}::${name}`, type, name, parent: null, provider: null,
  dependsOn: [], inputs, secretInputs: [], custom: true,
});

t.test("same inputs give the same outputs", async (t) => {
  for (const [type, inputs] of [
    ["aws:rds/instance:Instance", { identifier: "dev-postgres", manageMasterUserPassword: true }],
    ["aws:secretsmanager/secret:Secret", { name: "goldenpath/dev/keycloak/db" }],
    ["random:index/randomPassword:RandomPassword", { length: 32 }],
    ["eks:index:Cluster", { name: "dev-eks" }],
  ] as const) {
    const a = modelResource(ctx, res(type, "x", inputs), { ...inputs });
    const b = modelResource(ctx, res(type, "x", inputs), { ...inputs });
    t.same(a, b, type);
  }
  t.same(modelCall(ctx, "aws:index/getAvailabilityZones:getAvailabilityZones", {}), modelCall(ctx, "aws:index/getAvailabilityZones:getAvailabilityZones", {}));
});

t.test("AWS-shaped values", async (t) => {
  const db = modelResource(ctx, res("aws:rds/instance:Instance", "db"), { identifier: "dev-postgres", port: 5432, manageMasterUserPassword: true });
  t.match(db.state.address, /^dev-postgres\.[a-z0-9]{12}\.eu-west-2\.rds\.amazonaws\.com$/);
  t.equal(db.state.endpoint, `${db.state.address}:5432`);
  const ms = (db.state.masterUserSecrets as { secretArn: string }[])[0];
  t.match(ms.secretArn, /^arn:aws:secretsmanager:eu-west-2:593517239005:secret:rds!db-[0-9a-f-]{36}-[A-Za-z0-9]{6}$/);
  const sec = modelResource(ctx, res("aws:secretsmanager/secret:Secret", "s"), { name: "goldenpath/dev/keycloak/db" });
  t.match(sec.state.arn, /^arn:aws:secretsmanager:eu-west-2:593517239005:secret:goldenpath\/dev\/keycloak\/db-[A-Za-z0-9]{6}$/);
  t.equal(sec.id, sec.state.arn);
  const repo = modelResource(ctx, res("aws:ecr/repository:Repository", "r"), { name: "dev/keycloak" });
  t.equal(repo.state.repositoryUrl, "593517239005.dkr.ecr.eu-west-2.amazonaws.com/dev/keycloak");
  const role = modelResource(ctx, res("aws:iam/role:Role", "role"), { name: "dev-external-secrets-irsa" });
  t.equal(role.state.arn, "arn:aws:iam::593517239005:role/dev-external-secrets-irsa");
  const auto = modelResource(ctx, res("aws:iam/role:Role", "auto-named"), {});
  t.match(auto.state.name, /^auto-named-[0-9a-f]{7}$/, "auto-names like Pulumi");
  const id = modelCall(ctx, "aws:index/getCallerIdentity:getCallerIdentity", {});
  t.equal(id.accountId, "593517239005");
  const azs = modelCall(ctx, "aws:index/getAvailabilityZones:getAvailabilityZones", {});
  t.same(azs.names, ["eu-west-2a", "eu-west-2b", "eu-west-2c"]);
});

t.test("cluster outputs: kubeconfig with aws eks get-token, OIDC, security group", async (t) => {
  const c = modelResource(ctx, res("eks:index:Cluster", "eks"), { name: "dev-eks" });
  const kc = c.state.kubeconfig as { users: { user: { exec: { command: string; args: string[] } } }[] };
  t.equal(kc.users[0].user.exec.command, "aws");
  t.same(kc.users[0].user.exec.args.slice(0, 2), ["eks", "get-token"]);
  t.match(c.state.oidcProviderArn, /^arn:aws:iam::593517239005:oidc-provider\/oidc\.eks\.eu-west-2\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
  t.match(c.state.clusterSecurityGroupId, /^sg-[0-9a-f]{17}$/);
  t.equal(c.state.kubeconfigJson, clusterModel(ctx, "dev-eks").kubeconfigJson);
  t.ok(knownSecretValues().includes(c.state.kubeconfigJson as string), "kubeconfig is a known secret value");
});

t.test("random passwords look random, are deterministic per name, and are remembered as secrets", async (t) => {
  const a = randomResult("keycloak-db-password", { length: 32, special: false });
  t.equal(a.length, 32);
  t.match(a, /^[A-Za-z0-9]{32}$/);
  t.not(a, randomResult("backstage-db-password", { length: 32, special: false }));
  const r = modelResource(ctx, res("random:index/randomPassword:RandomPassword", "keycloak-db-password"), { length: 32, special: false });
  t.equal(r.state.result, a);
  t.ok(knownSecretValues().includes(a));
});
