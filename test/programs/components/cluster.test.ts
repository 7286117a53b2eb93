/**
 * Cluster component under Pulumi mocks.
 *
 * How to model `@pulumi/eks` v4 under mocks (for this test and the offline
 * plan's deterministic AWS model): `eks.Cluster` and `eks.ManagedNodeGroup`
 * are multi-language (remote) components. Under `setMocks` each registers as
 * ONE resource — type `eks:index:Cluster` / `eks:index:ManagedNodeGroup`, with
 * `custom: false` — and none of their inner AWS resources (aws.eks.Cluster,
 * OIDC provider, access entries, aws.eks.NodeGroup, launch templates) appear.
 * Their outputs are whatever `newResource` returns as `state`. The Cluster
 * component reads these, so the mock must return them:
 *   - `core`: { cluster: { name, endpoint, arn, … }, endpoint, … } — the
 *     component reads the cluster name from `core.cluster.name` and the API
 *     endpoint from `core.endpoint` (the real engine returns `core.cluster`
 *     as a resource reference to aws:eks/cluster:Cluster; a plain object is
 *     fine under mocks). `eksCluster` (same object) is optional.
 *   - `kubeconfigJson`: string (the component marks it secret); `kubeconfig`
 *     (object) optional. Real kubeconfigs use the exec plugin
 *     `aws eks get-token --cluster-name <name>`.
 *   - `oidcProviderArn`: arn:aws:iam::<acct>:oidc-provider/<issuer>
 *   - `oidcIssuer`: issuer WITHOUT https:// (oidc.eks.<region>.amazonaws.com/id/<ID>);
 *     `oidcProviderUrl` is the same with https:// (not read, but return it)
 *   - `clusterSecurityGroupId`: sg-… — with `skipDefaultSecurityGroups: true`
 *     this is the EKS-created cluster security group; `nodeSecurityGroupId` is
 *     the same id
 * `eks:index:ManagedNodeGroup` needs no outputs (`nodeGroup` optional).
 * Inputs of note: `serviceRole` (eks.Cluster) and `cluster` (ManagedNodeGroup)
 * are resource references; the mock sees them rehydrated as resource objects
 * (or as the URN string when the type's module is not registered).
 */
import t from "tap";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";

/** Wait until every resource registration in flight has reached the mocks. */
const settle = (): Promise<void> => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

type Captured = { type: string; name: string; custom: boolean; inputs: Record<string, any> };
const resources: Captured[] = [];
const ISSUER = "oidc.eks.eu-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
await pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      resources.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "aws:iam/role:Role") state.arn = `arn:aws:iam::123456789012:role/${args.inputs.name}`;
      if (args.type === "eks:index:Cluster") {
        const name = args.inputs.name;
        const endpoint = "https://EXAMPLE0123.gr7.eu-west-2.eks.amazonaws.com";
        state.core = { cluster: { name, endpoint, arn: `arn:aws:eks:eu-west-2:123456789012:cluster/${name}` }, endpoint };
        state.kubeconfigJson = JSON.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "aws", user: { exec: { command: "aws", args: ["eks", "get-token", "--cluster-name", name] } } }] });
        state.oidcProviderArn = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
        state.oidcProviderUrl = `https://${ISSUER}`;
        state.oidcIssuer = ISSUER;
        state.clusterSecurityGroupId = "sg-0eks0cluster0000001";
        state.nodeSecurityGroupId = "sg-0eks0cluster0000001";
      }
      return { id: args.custom === false ? "" : `${args.name}-id`, state };
    },
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "goldenpath",
  "dev-foundation",
  false,
);
const { Cluster, NODE_POLICIES } = await import("../../../programs/components/cluster.js");
const { names } = await import("../../../programs/spec.js");

const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
const n = names({ name: "dev", secretsPrefix: "goldenpath" });
const group = (name: string, architecture: "amd64" | "arm64", instanceTypes: string[]) => ({
  name,
  nodeGroupName: n.nodeGroup(name),
  roleName: n.nodeRole(name),
  architecture,
  instanceTypes,
  minSize: 1,
  desiredSize: 2,
  maxSize: 3,
  diskSize: 60,
  capacityType: "ON_DEMAND" as const,
});

const cluster = new Cluster("cluster", {
  clusterName: n.cluster,
  clusterRoleName: n.clusterRole,
  version: "1.33",
  vpcId: "vpc-0123456789abcdef0",
  privateSubnetIds: ["subnet-aaaaaaaa", "subnet-bbbbbbbb"],
  publicSubnetIds: ["subnet-cccccccc", "subnet-dddddddd"],
  endpointPublicAccessCidrs: ["203.0.113.0/24"],
  adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admin"],
  nodeGroups: [group("general", "amd64", ["t3.large"]), group("graviton", "arm64", ["m7g.large"])],
  tags: { "goldenpath:environment": "dev" },
});
const kubeconfigSecret = await pulumi.isSecret(cluster.kubeconfig);
const [clusterName, endpoint, kubeconfig, oidcArn, oidcUrl, sg, nodeRoleArns] = await Promise.all([
  resolve(cluster.clusterName), resolve(cluster.endpoint), resolve(cluster.kubeconfig), resolve(cluster.oidcProviderArn),
  resolve(cluster.oidcProviderUrl), resolve(cluster.clusterSecurityGroupId), resolve(cluster.nodeRoleArns),
]);
await settle();
const eksCluster = resources.find((r) => r.type === "eks:index:Cluster")!;
const nodeGroups = resources.filter((r) => r.type === "eks:index:ManagedNodeGroup");

t.test("EKS cluster: API authentication, OIDC provider, no default node group, explicit role", async (t) => {
  t.equal(eksCluster.custom, false, "eks.Cluster is a (remote) component");
  t.equal(eksCluster.inputs.name, "dev-eks");
  t.equal(eksCluster.inputs.version, "1.33");
  t.equal(eksCluster.inputs.authenticationMode, "API");
  t.equal(eksCluster.inputs.createOidcProvider, true);
  t.equal(eksCluster.inputs.skipDefaultNodeGroup, true);
  t.equal(eksCluster.inputs.skipDefaultSecurityGroups, true);
  t.same(eksCluster.inputs.privateSubnetIds, ["subnet-aaaaaaaa", "subnet-bbbbbbbb"]);
  t.same(eksCluster.inputs.publicSubnetIds, ["subnet-cccccccc", "subnet-dddddddd"]);
  t.same(eksCluster.inputs.publicAccessCidrs, ["203.0.113.0/24"]);
  t.equal(eksCluster.inputs.endpointPrivateAccess, true);
  t.ok(eksCluster.inputs.serviceRole, "cluster role passed explicitly");
  const role = resources.find((r) => r.type === "aws:iam/role:Role" && r.name === "cluster-cluster-role")!;
  t.equal(role.inputs.name, "dev-eks-cluster-role");
  t.equal(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service, "eks.amazonaws.com");
  t.ok(resources.some((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.policyArn === "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"));
});

t.test("admin principals get cluster-admin access entries", async (t) => {
  t.same(eksCluster.inputs.accessEntries, {
    "admin-0": {
      principalArn: "arn:aws:iam::123456789012:role/platform-admin",
      accessPolicies: { admin: { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } } },
    },
  });
});

t.test("one managed node group per spec group, amiType from its architecture", async (t) => {
  t.equal(nodeGroups.length, 2);
  const byName = Object.fromEntries(nodeGroups.map((g) => [g.inputs.nodeGroupName, g]));
  t.equal(byName["dev-general"].inputs.amiType, "AL2023_x86_64_STANDARD");
  t.equal(byName["dev-graviton"].inputs.amiType, "AL2023_ARM_64_STANDARD", "arm64 group gets the ARM AMI");
  const g = byName["dev-graviton"].inputs;
  t.same(g.instanceTypes, ["m7g.large"]);
  t.same(g.scalingConfig, { minSize: 1, desiredSize: 2, maxSize: 3 });
  t.equal(g.diskSize, 60);
  t.equal(g.capacityType, "ON_DEMAND");
  t.equal(g.version, "1.33");
  t.same(g.subnetIds, ["subnet-aaaaaaaa", "subnet-bbbbbbbb"], "nodes in private subnets");
  t.equal(g.nodeRoleArn, "arn:aws:iam::123456789012:role/dev-graviton-node-role");
  t.ok(g.cluster, "attached to the cluster");
});

t.test("each node role is named from the spec and has the worker, CNI and ECR-read policies", async (t) => {
  for (const gname of ["general", "graviton"]) {
    const role = resources.find((r) => r.type === "aws:iam/role:Role" && r.name === `cluster-${gname}-node-role`)!;
    t.equal(role.inputs.name, n.nodeRole(gname));
    t.equal(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service, "ec2.amazonaws.com");
    const attached = resources
      .filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role === n.nodeRole(gname))
      .map((r) => r.inputs.policyArn)
      .sort();
    t.same(attached, NODE_POLICIES.map((p) => `arn:aws:iam::aws:policy/${p}`).sort());
  }
  t.same(nodeRoleArns, {
    general: "arn:aws:iam::123456789012:role/dev-general-node-role",
    graviton: "arn:aws:iam::123456789012:role/dev-graviton-node-role",
  });
});

t.test("outputs: name, endpoint, OIDC, cluster security group, secret kubeconfig with aws eks get-token", async (t) => {
  t.equal(clusterName, "dev-eks");
  t.equal(endpoint, "https://EXAMPLE0123.gr7.eu-west-2.eks.amazonaws.com");
  t.equal(oidcArn, `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`);
  t.equal(oidcUrl, ISSUER, "issuer without https://");
  t.equal(sg, "sg-0eks0cluster0000001");
  t.equal(kubeconfigSecret, true, "kubeconfig is a secret output");
  t.match(kubeconfig, /"get-token"/);
});

t.test("every taggable resource is tagged", async (t) => {
  for (const r of resources.filter((x) => x.type === "aws:iam/role:Role" || x.type.startsWith("eks:index:"))) {
    t.equal(r.inputs.tags?.["goldenpath:environment"], "dev", `${r.type} ${r.name}`);
  }
});

t.test("private-only endpoint when no public CIDRs; invalid node groups rejected", async (t) => {
  const base = { clusterName: "p-eks", clusterRoleName: "p-role", version: "1.33", vpcId: "vpc-1", privateSubnetIds: ["s1"], publicSubnetIds: ["s2"], adminPrincipalArns: [] };
  new Cluster("private", { ...base, endpointPublicAccessCidrs: [], nodeGroups: [group("general", "amd64", ["t3.large"])] });
  await settle();
  const c = resources.find((r) => r.type === "eks:index:Cluster" && r.name === "private-eks")!;
  t.equal(c.inputs.endpointPublicAccess, false);
  t.notOk(c.inputs.publicAccessCidrs);
  t.throws(() => new Cluster("none", { ...base, endpointPublicAccessCidrs: [], nodeGroups: [] }), /at least one node group/);
  t.throws(() => new Cluster("sizes", { ...base, endpointPublicAccessCidrs: [], nodeGroups: [{ ...group("g", "amd64", ["t3.large"]), minSize: 3, desiredSize: 2 }] }), /minSize/);
});
