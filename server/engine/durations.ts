/**
 * How long AWS (and Kubernetes, Helm, PostgreSQL) take to create, update and
 * delete each resource type the layers use, in seconds. The simulate engine
 * sleeps these figures times `GOLDENPATH_SIMULATE_TIME_SCALE` inside each
 * resource step, so an `up` takes as long as its dependency graph's critical
 * path; the critical-path benchmark (bench/) computes the same chain from the
 * plan with these figures.
 *
 * Figures are typical, not worst case. Sources:
 *  [eks]   aws/containers-roadmap#1227: EKS control plane creation averaged
 *          15 min, since reduced; ~10 min is typical in 2024–2025 (eksctl and
 *          Pulumi EKS examples report 10–12 min). Terraform aws provider
 *          default timeouts: create 30m, update 60m, delete 15m.
 *  [ng]    EKS managed node groups: "a few minutes" (EKS user guide, Create a
 *          managed node group); ~4 min observed to ACTIVE; rolling updates
 *          replace nodes one by one (longer); delete drains (~5 min).
 *  [rds]   RDS CreateDBInstance to `available`: ~8 min single-AZ, ~15 min
 *          Multi-AZ (standby provisioned and synced; RDS user guide, Multi-AZ
 *          deployments). Modify with apply-immediately: a few minutes;
 *          delete with final snapshot: ~6 min.
 *  [nat]   NAT gateway `pending` → `available`: 1–2 min (VPC user guide);
 *          delete ~1 min.
 *  [helm]  Helm releases wait for their workloads (`--wait`): 1–3 min
 *          (Keycloak's JVM start and DB migration ~3 min, controllers ~1 min).
 *  [iam]   IAM, ECR, Secrets Manager, EC2 networking primitives: API calls
 *          that return in seconds (eventual consistency adds a few).
 *  [r53]   Route 53 changes reach INSYNC in ~60 s (Route 53 developer guide).
 */
import type { StepOp } from "./port.js";

/** Seconds for one step of a type. */
export interface TypeDurations {
  create: number;
  update: number;
  delete: number;
}

const seconds = (create: number, update = Math.max(1, Math.round(create / 2)), del = create): TypeDurations => ({ create, update, delete: del });

/** Per resource type token. Components and provider resources take no time. */
export const DURATIONS: Record<string, TypeDurations> = {
  // networking [iam] [nat]
  "aws:ec2/vpc:Vpc": seconds(3, 2, 2),
  "aws:ec2/subnet:Subnet": seconds(2, 1, 2),
  "aws:ec2/internetGateway:InternetGateway": seconds(2, 1, 5),
  "aws:ec2/eip:Eip": seconds(2, 1, 2),
  "aws:ec2/natGateway:NatGateway": seconds(120, 5, 60),
  "aws:ec2/routeTable:RouteTable": seconds(2, 1, 2),
  "aws:ec2/routeTableAssociation:RouteTableAssociation": seconds(1, 1, 1),
  "aws:ec2/route:Route": seconds(1, 1, 1),
  "aws:ec2/securityGroup:SecurityGroup": seconds(3, 2, 5),
  "aws:ec2/securityGroupRule:SecurityGroupRule": seconds(1, 1, 1),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": seconds(1, 1, 1),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": seconds(1, 1, 1),
  // EKS [eks] [ng]
  "aws:eks/cluster:Cluster": seconds(600, 180, 300),
  "eks:index:Cluster": seconds(660, 180, 300), // the pulumi-eks component: control plane plus its aws-auth/addons
  "aws:eks/nodeGroup:NodeGroup": seconds(240, 300, 300),
  "eks:index:ManagedNodeGroup": seconds(240, 300, 300),
  "aws:eks/addon:Addon": seconds(60, 30, 30),
  "aws:eks/accessEntry:AccessEntry": seconds(2, 1, 2),
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": seconds(2, 1, 2),
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": seconds(2, 1, 1),
  // IAM, ECR, Secrets Manager [iam]
  "aws:iam/role:Role": seconds(3, 2, 2),
  "aws:iam/policy:Policy": seconds(2, 1, 2),
  "aws:iam/rolePolicy:RolePolicy": seconds(2, 1, 1),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": seconds(2, 1, 1),
  "aws:ecr/repository:Repository": seconds(2, 1, 2),
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": seconds(1, 1, 1),
  "aws:secretsmanager/secret:Secret": seconds(2, 1, 2),
  "aws:secretsmanager/secretVersion:SecretVersion": seconds(1, 1, 1),
  // RDS [rds]
  "aws:rds/instance:Instance": seconds(480, 240, 360),
  "aws:rds/parameterGroup:ParameterGroup": seconds(5, 2, 2),
  "aws:rds/subnetGroup:SubnetGroup": seconds(3, 2, 2),
  // DNS [r53]
  "aws:route53/record:Record": seconds(60, 60, 60),
  // Kubernetes, Helm [helm]
  "kubernetes:helm.sh/v3:Release": seconds(120, 90, 30),
  "kubernetes:batch/v1:Job": seconds(30, 30, 5),
  "kubernetes:core/v1:Namespace": seconds(1, 1, 10),
  "kubernetes:core/v1:Secret": seconds(1, 1, 1),
  "kubernetes:core/v1:ServiceAccount": seconds(1, 1, 1),
  "kubernetes:core/v1:ConfigMap": seconds(1, 1, 1),
  "kubernetes:networking.k8s.io/v1:Ingress": seconds(2, 1, 2),
  // PostgreSQL roles, databases, grants: single SQL statements
  "postgresql:index/role:Role": seconds(1, 1, 1),
  "postgresql:index/database:Database": seconds(2, 1, 2),
  "postgresql:index/grant:Grant": seconds(1, 1, 1),
  // @pulumi/random: local, instant
  "random:index/randomPassword:RandomPassword": seconds(0, 0, 0),
  "random:index/randomString:RandomString": seconds(0, 0, 0),
  "random:index/randomId:RandomId": seconds(0, 0, 0),
  "random:index/randomUuid:RandomUuid": seconds(0, 0, 0),
};

/** Custom resources not in the table: a quick API call. */
const UNKNOWN_TYPE = seconds(2, 1, 1);

/** Helm releases that take longer than the default (by chart, when the input names it). */
const SLOW_CHARTS: Record<string, number> = { keycloakx: 180, keycloak: 180, backstage: 150 };

/**
 * Modelled seconds of one step. `inputs` refine the figure where AWS does:
 * Multi-AZ RDS provisions a standby; Keycloak's chart waits for its JVM.
 */
export function stepSeconds(type: string, op: StepOp, inputs: Record<string, unknown> = {}, custom = true): number {
  if (!custom || type.startsWith("pulumi:providers:") || type.startsWith("pulumi:pulumi:")) return 0;
  if (op === "same" || op === "read" || op === "refresh" || op === "discard") return 0;
  const d = DURATIONS[type] ?? (type.startsWith("kubernetes:") ? seconds(1, 1, 1) : UNKNOWN_TYPE);
  let s = op === "delete" ? d.delete : op === "update" ? d.update : d.create; // replace and import create anew
  if (type === "aws:rds/instance:Instance" && inputs.multiAz === true) {
    s = op === "delete" ? s : op === "update" ? s * 1.5 : 900; // [rds] Multi-AZ ≈ 15 min
  }
  if (type === "kubernetes:helm.sh/v3:Release" && op !== "delete") {
    const chart = typeof inputs.chart === "string" ? inputs.chart.split("/").pop()! : "";
    if (SLOW_CHARTS[chart]) s = op === "update" ? Math.round(SLOW_CHARTS[chart] * 0.75) : SLOW_CHARTS[chart];
  }
  return s;
}

/** Milliseconds to sleep for one step at this time scale (0 = instant). */
export function stepMillis(type: string, op: StepOp, inputs: Record<string, unknown>, timeScale: number, custom = true): number {
  if (!(timeScale > 0)) return 0;
  return stepSeconds(type, op, inputs, custom) * 1000 * timeScale;
}

/** A node of a resource graph, as the plan or the simulated cloud records it. */
export interface TimedNode {
  urn: string;
  type: string;
  dependsOn: readonly string[];
  parent?: string | null;
  provider?: string | null;
  inputs?: Record<string, unknown>;
  custom?: boolean;
}

/**
 * The longest chain of create durations through the graph (dependsOn, parent
 * and provider edges; the SDK waits on all three before registering), and the
 * serial sum of all durations: the bounds an `up`'s wall time sits between.
 */
export function criticalPath(nodes: readonly TimedNode[]): { seconds: number; chain: string[]; serialSeconds: number } {
  const byUrn = new Map(nodes.map((n) => [n.urn, n]));
  const memo = new Map<string, { seconds: number; chain: string[] }>();
  const own = (n: TimedNode) => stepSeconds(n.type, "create", n.inputs ?? {}, n.custom ?? true);
  const longest = (n: TimedNode, seen: Set<string>): { seconds: number; chain: string[] } => {
    const hit = memo.get(n.urn);
    if (hit) return hit;
    let best = { seconds: 0, chain: [] as string[] };
    seen.add(n.urn);
    for (const d of new Set([...n.dependsOn, n.parent, n.provider])) {
      const dep = d ? byUrn.get(d) : undefined;
      if (!dep || seen.has(dep.urn)) continue;
      const sub = longest(dep, seen);
      if (sub.seconds > best.seconds || (sub.seconds === best.seconds && sub.chain.length > best.chain.length)) best = sub;
    }
    seen.delete(n.urn);
    const result = { seconds: best.seconds + own(n), chain: [...best.chain, n.urn] };
    memo.set(n.urn, result);
    return result;
  };
  let top = { seconds: 0, chain: [] as string[] };
  for (const n of nodes) {
    const r = longest(n, new Set());
    if (r.seconds > top.seconds) top = r;
  }
  return { ...top, serialSeconds: nodes.reduce((sum, n) => sum + own(n), 0) };
}
