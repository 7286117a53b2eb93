import t from "tap";
import { validateSpec, type EnvironmentSpecInput } from "../../../programs/spec.js";
import type { RegisteredResource } from "../../../programs/mock-runtime.js";
import type { PlanGraph } from "../../../programs/policy/types.js";
import { RULES } from "../../../programs/policy/index.js";

const ECR = "123456789012.dkr.ecr.eu-west-2.amazonaws.com";
const DIGEST = `sha256:${"a".repeat(64)}`;
const spec = (over: Partial<EnvironmentSpecInput> = {}) => validateSpec({ name: "dev", aws: { region: "eu-west-2" }, ...over });

let n = 0;
function res(type: string, inputs: Record<string, unknown>, extra: Partial<RegisteredResource> = {}): RegisteredResource {
  const name = extra.name ?? `r${++n}`;
  return { urn: `urn:pulumi:dev-x::goldenpath::${type}::${name}`, type, name, parent: null, provider: null, dependsOn: [], inputs, secretInputs: [], custom: true, ...extra };
}
function graph(resources: RegisteredResource[], opts: Partial<PlanGraph> & { outputs?: Record<string, unknown> } = {}): PlanGraph {
  return {
    environment: "dev", region: "eu-west-2", accountId: "123456789012", ids: opts.ids ?? {}, knownSecrets: opts.knownSecrets ?? [],
    layers: [
      { name: "foundation", stackUrn: "urn:pulumi:dev-foundation::goldenpath::pulumi:pulumi:Stack::goldenpath-dev-foundation", resources: resources.filter((r) => !r.type.startsWith("kubernetes") && !r.type.startsWith("postgresql")), outputs: opts.outputs ?? {} },
      { name: "platform", stackUrn: "urn:pulumi:dev-platform::goldenpath::pulumi:pulumi:Stack::goldenpath-dev-platform", resources: resources.filter((r) => r.type.startsWith("kubernetes") || r.type.startsWith("postgresql")), outputs: {} },
    ],
  };
}
const release = (name: string, values: Record<string, unknown>) => res("kubernetes:helm.sh/v3:Release", { name, values }, { name: `${name}-release` });
const rulesOf = (fs: { rule: string; severity: string }[]) => fs.filter((f) => f.severity === "error").map((f) => f.rule);

t.test("image-source: own ECR by digest passes; latest, Docker Hub, foreign registry fail", async (t) => {
  const s = spec();
  t.same(RULES.imageSource(graph([release("keycloak", { image: { repository: `${ECR}/dev/keycloak`, digest: DIGEST } })]), s), []);
  const latest = RULES.imageSource(graph([release("keycloak", { image: { repository: `${ECR}/dev/keycloak`, tag: "latest" } })]), s);
  t.match(latest, [{ rule: "image-source", severity: "error", message: /latest/ }]);
  const hub = RULES.imageSource(graph([release("keycloak", { image: { registry: "docker.io", repository: "bitnami/keycloak", tag: "26.1.1" } })]), s);
  t.match(hub, [{ severity: "error", message: /Docker Hub/ }]);
  const bare = RULES.imageSource(graph([res("kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [{ image: "postgres:16" }] } } } })]), s);
  t.match(bare, [{ severity: "error", message: /Docker Hub/ }]);
  const foreign = RULES.imageSource(graph([release("backstage", { backstage: { image: { registry: "ghcr.io", repository: "guymenahem/backstage-platformers", tag: "0.0.1" } } })]), s);
  t.match(foreign, [{ severity: "error", message: /not the environment's ECR mirror/ }]);
});

t.test("image-architecture: a pin matching the node groups passes, a different one fails", async (t) => {
  const nodes = res("eks:index:ManagedNodeGroup", { amiType: "AL2023_x86_64_STANDARD", nodeGroupName: "dev-general" });
  t.same(RULES.imageArchitecture(graph([nodes]), spec({ images: { keycloak: { source: "quay.io/keycloak/keycloak:26.4.2", platform: "linux/amd64" } } })), []);
  const bad = spec();
  bad.images.keycloak.platform = "linux/arm64"; // the spec rejects this; the rule must too
  t.match(RULES.imageArchitecture(graph([nodes, release("keycloak", {})]), bad), [{ severity: "error", message: /linux\/arm64.*linux\/amd64/ }]);
  const wrongAmi = res("eks:index:ManagedNodeGroup", { amiType: "AL2023_ARM_64_STANDARD", nodeGroupName: "dev-general" });
  t.match(RULES.imageArchitecture(graph([wrongAmi]), spec()), [{ severity: "error", message: /declared amd64/ }]);
});

t.test("keycloak-chart-image: official image with keycloakx passes; Bitnami chart with it fails; Bitnami needs allowInsecureImages", async (t) => {
  t.same(RULES.keycloakPairing(graph([]), spec()), []);
  const bitnamiChart = { repo: "https://charts.bitnami.com/bitnami", name: "keycloak", version: "24.4.0" };
  const wrong = spec({ apps: { keycloak: { flavor: "bitnami", chart: bitnamiChart } } });
  t.match(RULES.keycloakPairing(graph([]), wrong), [{ rule: "keycloak-chart-image", severity: "error", message: /Bitnami-layout image/ }]);
  const ok = spec({ apps: { keycloak: { flavor: "bitnami", chart: bitnamiChart } }, images: { keycloak: { source: "public.ecr.aws/bitnami/keycloak:26.3.1" } } });
  t.same(RULES.keycloakPairing(graph([release("keycloak", { global: { security: { allowInsecureImages: true } } })]), ok), []);
  t.match(RULES.keycloakPairing(graph([release("keycloak", {})]), ok), [{ message: /allowInsecureImages/ }]);
});

const backstageValues = (appConfig: Record<string, unknown>, extraEnvVars: unknown[] = []) => ({ backstage: { appConfig, extraEnvVars } });
const k8sConfig = { serviceLocatorMethod: { type: "multiTenant" }, clusterLocatorMethods: [{ type: "config", clusters: [{ name: "dev-eks" }] }] };

t.test("backstage-auth-key: ${VAR} passes; a literal key (in appConfig or env) fails", async (t) => {
  const good = backstageValues({ backend: { auth: { keys: [{ secret: "${BACKEND_SECRET}" }] } }, kubernetes: k8sConfig });
  t.same(RULES.backstageAuthKey(graph([release("backstage", good)]), spec()), []);
  const literal = backstageValues({ backend: { auth: { keys: [{ secret: "random-generated-secret-key-for-backend-auth" }] } } });
  t.match(RULES.backstageAuthKey(graph([release("backstage", literal)]), spec()), [{ severity: "error", message: /literal/ }]);
  const env = backstageValues({ backend: { auth: { keys: [{ secret: "${BACKEND_SECRET}" }] } } }, [{ name: "APP_CONFIG_backend_auth_keys_0_secret", value: "random-generated-secret-key-for-backend-auth" }]);
  t.match(RULES.backstageAuthKey(graph([release("backstage", env)]), spec()), [{ severity: "error", message: /APP_CONFIG_backend_auth_keys_0_secret/ }]);
  t.match(RULES.backstageAuthKey(graph([release("backstage", backstageValues({}))]), spec()), [{ message: /empty/ }]);
});

t.test("backstage-kubernetes-plugin: multiTenant + a cluster passes; missing config fails", async (t) => {
  t.same(RULES.backstageKubernetesPlugin(graph([release("backstage", backstageValues({ kubernetes: k8sConfig }))]), spec()), []);
  t.same(rulesOf(RULES.backstageKubernetesPlugin(graph([release("backstage", backstageValues({}))]), spec())), ["backstage-kubernetes-plugin", "backstage-kubernetes-plugin"]);
});

t.test("rds-hardening: TLS parameter group, encryption, private, cluster-only ingress", async (t) => {
  const pg = res("aws:rds/parameterGroup:ParameterGroup", { name: "dev-postgres-tls", parameters: [{ name: "rds.force_ssl", value: "1" }] });
  const sg = res("aws:ec2/securityGroup:SecurityGroup", {});
  const rule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-db", referencedSecurityGroupId: "sg-cluster" });
  const db = (over: Record<string, unknown> = {}) => res("aws:rds/instance:Instance", { parameterGroupName: "dev-postgres-tls", storageEncrypted: true, publiclyAccessible: false, manageMasterUserPassword: true, vpcSecurityGroupIds: ["sg-db"], ...over }, { name: "db" });
  const g = (rs: RegisteredResource[]) => graph(rs, { ids: { [sg.urn]: "sg-db" }, outputs: { clusterSecurityGroupId: "sg-cluster" } });
  t.same(RULES.rdsHardening(g([pg, sg, rule, db()]), spec()), []);
  const noTls = res("aws:rds/parameterGroup:ParameterGroup", { name: "dev-postgres-tls", parameters: [] });
  t.match(RULES.rdsHardening(g([noTls, sg, rule, db()]), spec()), [{ message: /rds\.force_ssl=1/ }]);
  t.match(RULES.rdsHardening(g([pg, sg, rule, db({ storageEncrypted: false })]), spec()), [{ message: /storageEncrypted/ }]);
  t.match(RULES.rdsHardening(g([pg, sg, rule, db({ publiclyAccessible: true })]), spec()), [{ message: /publiclyAccessible/ }]);
  const open = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-db", cidrIpv4: "0.0.0.0/0" });
  t.match(RULES.rdsHardening(g([pg, sg, open, db()]), spec()), [{ message: /0\.0\.0\.0\/0/ }]);
  const other = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-db", referencedSecurityGroupId: "sg-laptop" });
  t.match(RULES.rdsHardening(g([pg, sg, other, db()]), spec()), [{ message: /not the cluster's security group/ }]);
  const prod = validateSpec({ name: "prod", aws: { region: "eu-west-2" } });
  t.match(RULES.rdsHardening(g([pg, sg, rule, db({ deletionProtection: false, skipFinalSnapshot: true })]), prod), [{ severity: "warning" }, { severity: "warning" }]);
});

t.test("iam-secret-scope: covers every secret and nothing else", async (t) => {
  const secret = res("aws:secretsmanager/secret:Secret", { name: "goldenpath/dev/keycloak/db" });
  const arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/keycloak/db-AbC123";
  const policy = (resources: string[]) => res("aws:iam/rolePolicy:RolePolicy", { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: resources }] }) });
  const ids = { [secret.urn]: arn };
  t.same(RULES.iamSecretScope(graph([secret, policy([arn])], { ids }), spec()), []);
  t.same(RULES.iamSecretScope(graph([secret, policy(["arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/*"])], { ids }), spec()), []);
  t.match(RULES.iamSecretScope(graph([secret, policy(["arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/keycloak/db"])], { ids }), spec()), [{ message: /6-character suffix/ }]);
  t.match(RULES.iamSecretScope(graph([secret, policy(["arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath*"])], { ids }), spec()), [{ message: /beyond this environment/ }]);
});

const store = res("kubernetes:external-secrets.io/v1:ClusterSecretStore", { apiVersion: "external-secrets.io/v1", metadata: { name: "aws-secrets-manager" } }, { name: "store" });
const es = (over: Partial<RegisteredResource> = {}, keys = ["host", "port", "username", "password"], apiVersion = "external-secrets.io/v1") =>
  res("kubernetes:external-secrets.io/v1:ExternalSecret", {
    apiVersion,
    spec: { secretStoreRef: { kind: "ClusterSecretStore", name: "aws-secrets-manager" }, data: keys.map((k) => ({ secretKey: k, remoteRef: { key: "goldenpath/dev/keycloak/db", property: k } })) },
  }, over);

t.test("external-secrets: store first, v1 API, all four keys", async (t) => {
  t.same(RULES.secretStoreOrder(graph([store, es({ dependsOn: [store.urn] })]), spec()), []);
  t.match(RULES.secretStoreOrder(graph([store, es()]), spec()), [{ message: /does not depend on ClusterSecretStore/ }]);
  t.match(RULES.secretStoreOrder(graph([es({ dependsOn: [] })]), spec()), [{ message: /does not create/ }]);
  t.match(RULES.secretStoreOrder(graph([store, es({ dependsOn: [store.urn] }, ["host", "password"])]), spec()), [{ message: /port, username/ }]);
  t.match(RULES.secretStoreOrder(graph([store, es({ dependsOn: [store.urn] }, undefined, "external-secrets.io/v1beta1")]), spec()), [{ message: /v1beta1/ }]);
});

t.test("database-applications: provider roles/databases or the Job's SQL must cover every application", async (t) => {
  const s = spec();
  const roles = s.database.applications.flatMap((a) => [res("postgresql:index/role:Role", { name: a.user }), res("postgresql:index/database:Database", { name: a.database })]);
  t.same(RULES.databaseApplications(graph(roles), s), []);
  t.same(rulesOf(RULES.databaseApplications(graph(roles.slice(0, 2)), s)), ["database-applications", "database-applications"], "backstage role and database missing");
  const job = res("kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [{ command: ["/bin/sh", "-ec", 'CREATE ROLE "keycloak_app" LOGIN; CREATE DATABASE "keycloak" OWNER x; CREATE ROLE "backstage_app" LOGIN; CREATE DATABASE "backstage" OWNER y'] }] } } } });
  t.same(RULES.databaseApplications(graph([job]), s), []);
  t.equal(RULES.databaseApplications(graph([]), s).length, 4);
});

t.test("no-plain-secrets: a known secret value in a plain input fails; redacted passes", async (t) => {
  const pw = "Zq8fK2mXr7LpT4wN";
  const plain = res("kubernetes:core/v1:Secret", { stringData: { password: pw } });
  t.match(RULES.noPlainSecrets(graph([plain], { knownSecrets: [pw] }), spec()), [{ severity: "error", message: /stringData\.password/ }]);
  const redacted = res("kubernetes:core/v1:Secret", { stringData: "[secret]" });
  t.same(RULES.noPlainSecrets(graph([redacted], { knownSecrets: [pw] }), spec()), []);
});
