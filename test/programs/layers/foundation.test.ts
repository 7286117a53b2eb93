import t from "tap";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";

/** Wait until every resource registration in flight has reached the mocks. */
const settle = (): Promise<void> => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";
const ISSUER = `oidc.eks.${REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`;
const CLUSTER_SG = "sg-0eks0cluster0000001";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

type Captured = { type: string; name: string; custom: boolean; inputs: Record<string, any>; provider?: string };
const resources: Captured[] = [];
const invokes: string[] = [];
const generated: string[] = [];

const mocks: pulumi.runtime.Mocks = {
  newResource: (args) => {
    resources.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs, provider: args.provider });
    const i = args.inputs;
    const state: Record<string, unknown> = { ...i };
    const arn = (svc: string, rest: string) => `arn:aws:${svc}:${REGION}:${ACCOUNT}:${rest}`;
    switch (args.type) {
      case "aws:iam/role:Role":
        state.arn = `arn:aws:iam::${ACCOUNT}:role/${i.name}`;
        break;
      case "aws:ecr/repository:Repository":
        state.repositoryUrl = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${i.name}`;
        state.arn = arn("ecr", `repository/${i.name}`);
        break;
      case "aws:secretsmanager/secret:Secret":
        state.arn = arn("secretsmanager", `secret:${i.name}-${args.name.slice(-6).padStart(6, "X")}`);
        break;
      case "aws:rds/instance:Instance":
        state.address = `${i.identifier}.abcdefghijkl.${REGION}.rds.amazonaws.com`;
        state.masterUserSecrets = [{ secretArn: arn("secretsmanager", "secret:rds!db-0a1b2c3d-4e5f-6789-abcd-ef0123456789-MaStEr"), secretStatus: "active", kmsKeyId: "" }];
        break;
      case "random:index/randomPassword:RandomPassword": {
        const pw = `GeneratedPw${generated.length}x`.padEnd(i.length, "Q");
        generated.push(pw);
        state.result = pw;
        break;
      }
      case "eks:index:Cluster": {
        const endpoint = "https://EXAMPLE0123.gr7.eu-west-2.eks.amazonaws.com";
        state.core = { cluster: { name: i.name, endpoint }, endpoint };
        state.kubeconfigJson = JSON.stringify({ users: [{ user: { exec: { command: "aws", args: ["eks", "get-token", "--cluster-name", i.name] } } }] });
        state.oidcProviderArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
        state.oidcProviderUrl = `https://${ISSUER}`;
        state.oidcIssuer = ISSUER;
        state.clusterSecurityGroupId = CLUSTER_SG;
        state.nodeSecurityGroupId = CLUSTER_SG;
        break;
      }
    }
    return { id: args.custom === false ? "" : `${args.name}-id`, state };
  },
  call: (args) => {
    invokes.push(args.token);
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:role/operator`, userId: "AROAEXAMPLE:op", id: ACCOUNT };
      case "aws:index/getAvailabilityZones:getAvailabilityZones":
        return { names: [`${REGION}a`, `${REGION}b`, `${REGION}c`], zoneIds: ["euw2-az1", "euw2-az2", "euw2-az3"] };
    }
    throw new Error(`unexpected invoke ${args.token}`);
  },
};
await pulumi.runtime.setMocks(mocks, "goldenpath", "dev-foundation", false);

const { foundationLayer } = await import("../../../programs/layers/foundation.js");
const { validateSpec, names } = await import("../../../programs/spec.js");

const spec = validateSpec({
  name: "dev",
  aws: { region: REGION, allowedAccountIds: [ACCOUNT] },
  cluster: {
    nodeGroups: [{ name: "general", instanceTypes: ["t3.large"] }, { name: "graviton", architecture: "arm64", instanceTypes: ["m7g.large"] }],
    adminPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/platform-admin`],
  },
  database: { deletionProtection: false, finalSnapshot: false },
  tags: { team: "platform" },
});
const n = names(spec);

const outputs = (await foundationLayer(spec, {})()) as Record<string, pulumi.Input<unknown>>;
const resolved: Record<string, unknown> = {};
const secretKeys: string[] = [];
for (const [k, v] of Object.entries(outputs)) {
  const o = pulumi.output(v) as pulumi.Output<unknown>;
  if (await pulumi.isSecret(o)) secretKeys.push(k);
  resolved[k] = await new Promise((r) => o.apply(r));
}
await settle();

const isSecretValue = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in (v as object);
const masked = (v: unknown): unknown =>
  isSecretValue(v) ? "[secret]" : Array.isArray(v) ? v.map(masked) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, masked(x)])) : v;
const find = (type: string, name: string) => resources.find((r) => r.type === type && r.name === name)!;

const FOUNDATION_KEYS = [
  "region", "accountId", "vpcId", "privateSubnetIds", "publicSubnetIds", "clusterName", "clusterEndpoint", "kubeconfig",
  "oidcProviderArn", "oidcProviderUrl", "clusterSecurityGroupId", "ecrRegistry", "ecrRepositoryUrls", "dbAddress", "dbPort",
  "dbInstanceIdentifier", "dbMasterSecretArn", "dbMasterUsername", "appSecretNames", "appSecretArns", "externalSecretsRoleArn",
  "loadBalancerControllerRoleArn",
];

t.test("returns exactly the FoundationOutputs keys, every one resolved", async (t) => {
  t.same(Object.keys(outputs).sort(), [...FOUNDATION_KEYS].sort());
  for (const k of FOUNDATION_KEYS) t.ok(resolved[k] !== undefined && resolved[k] !== "", `${k} resolved`);
  t.match(resolved, {
    region: REGION,
    accountId: ACCOUNT,
    vpcId: "network-vpc-id",
    privateSubnetIds: ["network-private-0-id", "network-private-1-id"],
    publicSubnetIds: ["network-public-0-id", "network-public-1-id"],
    clusterName: "dev-eks",
    clusterEndpoint: "https://EXAMPLE0123.gr7.eu-west-2.eks.amazonaws.com",
    oidcProviderUrl: ISSUER,
    clusterSecurityGroupId: CLUSTER_SG,
    ecrRegistry: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
    ecrRepositoryUrls: { keycloak: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/dev/keycloak`, backstage: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/dev/backstage` },
    dbAddress: `dev-postgres.abcdefghijkl.${REGION}.rds.amazonaws.com`,
    dbPort: 5432,
    dbInstanceIdentifier: "dev-postgres",
    dbMasterUsername: "postgres",
    appSecretNames: { keycloak: "goldenpath/dev/keycloak/db", backstage: "goldenpath/dev/backstage/db" },
    externalSecretsRoleArn: `arn:aws:iam::${ACCOUNT}:role/dev-external-secrets-irsa`,
    loadBalancerControllerRoleArn: `arn:aws:iam::${ACCOUNT}:role/dev-aws-load-balancer-irsa`,
  });
});

t.test("kubeconfig is secret and uses aws eks get-token; nothing else is secret", async (t) => {
  t.same(secretKeys, ["kubeconfig"]);
  t.match(String(resolved.kubeconfig), /get-token/);
});

t.test("explicit AWS provider: region, allowed accounts, default tags; every AWS resource uses it", async (t) => {
  const p = find("pulumi:providers:aws", "aws");
  t.equal(p.inputs.region, REGION);
  t.same(JSON.parse(p.inputs.allowedAccountIds ?? "null") ?? p.inputs.allowedAccountIds, [ACCOUNT]);
  const defaultTags = typeof p.inputs.defaultTags === "string" ? JSON.parse(p.inputs.defaultTags) : p.inputs.defaultTags;
  t.same(defaultTags.tags, { team: "platform", "goldenpath:environment": "dev", "goldenpath:managed-by": "goldenpath" });
  const aws = resources.filter((r) => r.custom && r.type.startsWith("aws:"));
  t.ok(aws.length > 20);
  for (const r of aws) t.match(r.provider ?? "", /::pulumi:providers:aws::aws::/, `${r.type} ${r.name} uses the explicit provider`);
});

t.test("every taggable AWS resource carries the environment tags", async (t) => {
  const untaggable = new Set([
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:secretsmanager/secretVersion:SecretVersion",
  ]);
  const tagged = resources.filter((r) => (r.type.startsWith("aws:") && !untaggable.has(r.type)) || r.type.startsWith("eks:index:"));
  t.ok(tagged.length > 15);
  for (const r of tagged) {
    t.match(r.inputs.tags, { team: "platform", "goldenpath:environment": "dev", "goldenpath:managed-by": "goldenpath" }, `${r.type} ${r.name}`);
  }
});

t.test("External Secrets IRSA: exactly the created app secrets plus the RDS master secret", async (t) => {
  const policy = JSON.parse(find("aws:iam/rolePolicy:RolePolicy", "external-secrets-irsa-policy").inputs.policy);
  t.equal(policy.Statement.length, 1);
  const s = policy.Statement[0];
  t.same(s.Action, ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]);
  const created = resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").map((r) => r.inputs.name).sort();
  t.same(created, ["goldenpath/dev/backstage/db", "goldenpath/dev/keycloak/db"]);
  const appArns = Object.values(resolved.appSecretArns as Record<string, string>);
  t.same([...s.Resource].sort(), [...appArns, resolved.dbMasterSecretArn as string].sort());
  t.notOk(JSON.stringify(s.Resource).includes("*"), "no wildcard");
  const trust = JSON.parse(find("aws:iam/role:Role", "external-secrets-irsa-role").inputs.assumeRolePolicy);
  t.same(trust.Statement[0].Condition.StringEquals, {
    [`${ISSUER}:sub`]: "system:serviceaccount:external-secrets:external-secrets",
    [`${ISSUER}:aud`]: "sts.amazonaws.com",
  });
  const lbTrust = JSON.parse(find("aws:iam/role:Role", "load-balancer-irsa-role").inputs.assumeRolePolicy);
  t.equal(lbTrust.Statement[0].Condition.StringEquals[`${ISSUER}:sub`], "system:serviceaccount:kube-system:aws-load-balancer-controller");
});

t.test("names come from names(spec); RDS ingress only from the cluster security group", async (t) => {
  t.equal(find("eks:index:Cluster", "cluster-eks").inputs.name, n.cluster);
  t.same(resources.filter((r) => r.type === "eks:index:ManagedNodeGroup").map((r) => [r.inputs.nodeGroupName, r.inputs.amiType]).sort(), [
    ["dev-general", "AL2023_x86_64_STANDARD"],
    ["dev-graviton", "AL2023_ARM_64_STANDARD"],
  ]);
  const sg = find("aws:ec2/securityGroup:SecurityGroup", "database-sg");
  t.same(sg.inputs.ingress.map((r: any) => [r.fromPort, r.toPort, r.securityGroups]), [[5432, 5432, [CLUSTER_SG]]]);
  t.equal(sg.inputs.vpcId, "network-vpc-id");
  t.same(find("aws:rds/subnetGroup:SubnetGroup", "database-subnets").inputs.subnetIds, ["network-private-0-id", "network-private-1-id"]);
});

t.test("a throwaway spec: no deletion protection, no final snapshot, force-deleted repositories, immediate secret deletion", async (t) => {
  const inst = find("aws:rds/instance:Instance", "database-instance");
  t.equal(inst.inputs.deletionProtection, false);
  t.equal(inst.inputs.skipFinalSnapshot, true);
  t.ok(resources.filter((r) => r.type === "aws:ecr/repository:Repository").every((r) => r.inputs.forceDelete === true));
  t.ok(resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").every((r) => r.inputs.recoveryWindowInDays === 0));
});

t.test("no generated password appears in any output or in any input not marked secret", async (t) => {
  t.equal(generated.length, 2);
  const plainOutputs = JSON.stringify(Object.fromEntries(Object.entries(resolved).filter(([k]) => !secretKeys.includes(k))));
  for (const pw of generated) {
    t.notOk(plainOutputs.includes(pw), "not in outputs");
    for (const r of resources) t.notOk(JSON.stringify(masked(r.inputs)).includes(pw), `not in ${r.type} ${r.name}`);
  }
});

t.test("only the invokes a plan model must answer", async (t) => {
  t.same([...new Set(invokes)].sort(), ["aws:index/getAvailabilityZones:getAvailabilityZones", "aws:index/getCallerIdentity:getCallerIdentity"]);
});
