import t from "tap";
import { derivedNames, parseSpec, SpecError, validateSpec, names, architectures, keycloakChart, KEYCLOAKX_CHART, BITNAMI_KEYCLOAK_CHART } from "../../programs/spec.js";

const base = () => ({ name: "dev", aws: { region: "eu-west-2" } });

function issuesOf(doc: unknown): { path: string; message: string }[] {
  try {
    validateSpec(doc);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  return [];
}

t.test("a minimal spec is { name, aws: { region } } with every default filled", async (t) => {
  const s = validateSpec(base());
  t.equal(s.network && "cidr" in s.network ? s.network.cidr : undefined, "10.0.0.0/16");
  t.equal(s.cluster.nodeGroups.length, 1);
  t.equal(s.cluster.nodeGroups[0].architecture, "amd64");
  t.equal(s.cluster.nodeGroups[0].desiredSize, 2);
  t.same(
    s.database.applications.map((a) => [a.name, a.user, a.database]),
    [
      ["keycloak", "keycloak_app", "keycloak"],
      ["backstage", "backstage_app", "backstage"],
    ],
  );
  t.equal(s.database.applications[1].createDb, true, "backstage may create its per-plugin databases");
  t.equal(s.database.deletionProtection, true, "deletion protection is on unless turned off");
  t.equal(s.apps.keycloak.flavor, "keycloakx", "official image + keycloakx chart by default");
  t.match(s.images.keycloak.source, /^quay\.io\/keycloak\/keycloak:\d/);
  t.equal(s.secretsPrefix, "goldenpath");
  t.equal(s.drift.remediate, false);
  t.same(architectures(s), ["amd64"]);
});

t.test("YAML and JSON both parse", async (t) => {
  const yaml = parseSpec("name: dev\naws:\n  region: eu-west-2\n");
  const json = parseSpec(JSON.stringify(base()));
  t.same(yaml, json);
});

t.test("malformed text is a SpecError, not a crash", async (t) => {
  t.throws(() => parseSpec("name: [dev"), SpecError);
  t.throws(() => parseSpec("name: dev\nname: prod\naws: {region: eu-west-2}"), SpecError, "duplicate keys are rejected");
});

const x = (n: number) => "a".repeat(n);

// Each case: a change to the minimal spec and the field path the error must name.
const invalid: [string, Record<string, unknown>, string][] = [
  ["missing name", { name: undefined }, "name"],
  ["empty name", { name: "" }, "name"],
  ["uppercase name", { name: "Dev" }, "name"],
  ["name with underscore", { name: "dev_env" }, "name"],
  ["name starting with a dash", { name: "-dev" }, "name"],
  ["name over 20 characters", { name: x(21) }, "name"],
  ["name as a number", { name: 42 }, "name"],
  ["missing aws", { aws: undefined }, "aws"],
  ["missing region", { aws: {} }, "aws.region"],
  ["bad region", { aws: { region: "europe" } }, "aws.region"],
  ["bad account id", { aws: { region: "eu-west-2", allowedAccountIds: ["1234"] } }, "aws.allowedAccountIds.0"],
  ["unknown top-level field", { colour: "blue" }, "colour"],
  ["unknown nested field", { database: { engine: "mysql" } }, "database.engine"],
  ["bad VPC CIDR", { network: { cidr: "10.0.0.0/33" } }, "network.cidr"],
  ["azCount 1", { network: { azCount: 1 } }, "network.azCount"],
  ["existing VPC without subnets", { network: { vpcId: "vpc-0123456789abcdef0" } }, "network.privateSubnetIds"],
  ["existing VPC with a bad subnet id", { network: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-1", "subnet-0123456789abcdef0"], publicSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"] } }, "network.privateSubnetIds.0"],
  ["unsupported Kubernetes version", { cluster: { version: "1.19" } }, "cluster.version"],
  ["no node groups", { cluster: { nodeGroups: [] } }, "cluster.nodeGroups"],
  ["desired above max", { cluster: { nodeGroups: [{ name: "g", minSize: 1, desiredSize: 5, maxSize: 3 }] } }, "cluster.nodeGroups.0.desiredSize"],
  ["min above desired", { cluster: { nodeGroups: [{ name: "g", minSize: 3, desiredSize: 2, maxSize: 4 }] } }, "cluster.nodeGroups.0.desiredSize"],
  ["unknown architecture", { cluster: { nodeGroups: [{ name: "g", architecture: "x86" }] } }, "cluster.nodeGroups.0.architecture"],
  ["Graviton instance in an amd64 group", { cluster: { nodeGroups: [{ name: "g", instanceTypes: ["m7g.large"] }] } }, "cluster.nodeGroups.0.instanceTypes.0"],
  ["x86 instance in an arm64 group", { cluster: { nodeGroups: [{ name: "g", architecture: "arm64", instanceTypes: ["m6i.large"] }] } }, "cluster.nodeGroups.0.instanceTypes.0"],
  ["duplicate node group names", { cluster: { nodeGroups: [{ name: "g" }, { name: "g" }] } }, "cluster.nodeGroups.1.name"],
  ["bad admin principal", { cluster: { adminPrincipalArns: ["admin"] } }, "cluster.adminPrincipalArns.0"],
  ["PostgreSQL 13", { database: { engineVersion: "13" } }, "database.engineVersion"],
  ["storage below 20 GiB", { database: { allocatedStorage: 5 } }, "database.allocatedStorage"],
  ["backup retention 40 days", { database: { backupRetentionDays: 40 } }, "database.backupRetentionDays"],
  ["bad provisioner", { database: { provisioner: "manual" } }, "database.provisioner"],
  ["uppercase database user", { database: { applications: [{ name: "keycloak", user: "Keycloak", database: "keycloak" }, { name: "backstage", user: "b", database: "b" }] } }, "database.applications.0.user"],
  ["reserved database user", { database: { applications: [{ name: "keycloak", user: "postgres", database: "keycloak" }, { name: "backstage", user: "b", database: "b" }] } }, "database.applications.0.user"],
  ["duplicate database", { database: { applications: [{ name: "keycloak", user: "k", database: "same" }, { name: "backstage", user: "b", database: "same" }] } }, "database.applications.1.database"],
  ["enabled app without a database entry", { database: { applications: [{ name: "keycloak", user: "k", database: "k" }] } }, "database.applications"],
  ["image with latest tag", { images: { keycloak: { source: "quay.io/keycloak/keycloak:latest" } } }, "images.keycloak.source"],
  ["image with no tag", { images: { backstage: { source: "ghcr.io/backstage/backstage" } } }, "images.backstage.source"],
  ["not an image reference", { images: { keycloak: { source: "Quay.io/Keycloak Keycloak" } } }, "images.keycloak.source"],
  ["image pinned to arm64 on amd64 nodes", { images: { keycloak: { source: "quay.io/keycloak/keycloak:26.4.2", platform: "linux/arm64" } } }, "images.keycloak.platform"],
  ["chart version range", { apps: { backstage: { chart: { repo: "https://backstage.github.io/charts", name: "backstage", version: "^2.0.0" } } } }, "apps.backstage.chart.version"],
  ["chart OCI ref without oci://", { apps: { keycloak: { chart: { oci: "ghcr.io/x/keycloak", version: "1.0.0" } } } }, "apps.keycloak.chart.oci"],
  ["bad hostname", { apps: { keycloak: { hostname: "not a host" } } }, "apps.keycloak.hostname"],
  ["unknown keycloak flavor", { apps: { keycloak: { flavor: "helm" } } }, "apps.keycloak.flavor"],
  ["bad certificate ARN", { ingress: { certificateArn: "arn:aws:iam::123456789012:role/x" } }, "ingress.certificateArn"],
  ["Route53 zone without hostnames", { ingress: { route53ZoneId: "Z0123456789ABC" } }, "apps.keycloak.hostname"],
  ["bad cron", { drift: { schedule: "every hour" } }, "drift.schedule"],
  ["remediate as a string", { drift: { remediate: "yes" } }, "drift.remediate"],
  ["reserved tag key", { tags: { "aws:created-by": "me" } }, "tags.aws:created-by"],
  ["secrets prefix with a slash", { secretsPrefix: "a/b" }, "secretsPrefix"],
  // Names that pass their own field's rules but overflow a derived AWS name.
  ["node group name overflowing the IAM role name", { name: x(20), cluster: { nodeGroups: [{ name: x(40) }] } }, "cluster.nodeGroups.0.name"],
  ["node group name overflowing the EKS node group name", { name: x(20), cluster: { nodeGroups: [{ name: x(39) + "b" }] } }, "cluster.nodeGroups.0.name"],
];

for (const [what, change, path] of invalid) {
  t.test(`rejects ${what} at ${path}`, async (t) => {
    const doc: Record<string, unknown> = { ...base(), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete doc[k];
    const issues = issuesOf(doc);
    t.ok(issues.length > 0, "is rejected");
    t.ok(
      issues.some((i) => i.path === path),
      `names ${path} (got ${issues.map((i) => i.path).join(", ")})`,
    );
  });
}

t.test("every derived AWS name of a maximal spec fits, and each overflow names its limit", async (t) => {
  const longest = validateSpec({ ...base(), name: x(20), cluster: { nodeGroups: [{ name: x(20) }] } });
  for (const n of derivedNames(longest)) t.ok(n.value.length <= n.limit, `${n.what} ${n.value} ≤ ${n.limit}`);
  const issues = issuesOf({ ...base(), name: x(20), cluster: { nodeGroups: [{ name: x(40) }] } });
  t.match(issues.find((i) => i.path === "cluster.nodeGroups.0.name")?.message, /IAM role name .* is 71 characters; AWS allows 64/);
});

t.test("names() is the single source of AWS names, including the secret naming scheme", async (t) => {
  const n = names({ name: "dev", secretsPrefix: "goldenpath" });
  t.equal(n.secret("keycloak"), "goldenpath/dev/keycloak/db");
  t.equal(n.rdsInstance, "dev-postgres");
  t.equal(n.secretArnPattern("eu-west-2", "123456789012"), "arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/*");
});

t.test("a valid realistic spec passes", async (t) => {
  const s = validateSpec({
    ...base(),
    aws: { region: "eu-west-2", allowedAccountIds: ["593517239005"] },
    cluster: { nodeGroups: [{ name: "graviton", architecture: "arm64", instanceTypes: ["m7g.large", "c7g.xlarge"] }] },
    images: { keycloak: { source: "quay.io/keycloak/keycloak:26.4.2", platform: "linux/arm64" } },
    apps: { keycloak: { hostname: "id.dev.example.com" }, backstage: { hostname: "portal.dev.example.com" } },
    ingress: { route53ZoneId: "Z0123456789ABC", certificateArn: "arn:aws:acm:eu-west-2:593517239005:certificate/0a1b2c3d-1111-2222-3333-444455556666" },
  });
  t.equal(s.cluster.nodeGroups[0].architecture, "arm64");
});

t.test("the Keycloak chart defaults to the one its flavor needs", async (t) => {
  const official = validateSpec(base());
  t.equal(keycloakChart(official.apps.keycloak), KEYCLOAKX_CHART);
  const bitnami = validateSpec({ ...base(), apps: { keycloak: { flavor: "bitnami" } } });
  t.equal(keycloakChart(bitnami.apps.keycloak), BITNAMI_KEYCLOAK_CHART);
  const own = validateSpec({ ...base(), apps: { keycloak: { chart: { path: "./charts/keycloak" } } } });
  t.same(keycloakChart(own.apps.keycloak), { path: "./charts/keycloak" });
});
