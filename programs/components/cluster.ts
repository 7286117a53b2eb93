/**
 * The EKS cluster (DESIGN §3.1): `@pulumi/eks` v4 with API authentication
 * (access entries, no aws-auth ConfigMap), an IAM OIDC provider for IRSA, no
 * default node group, and one managed node group per spec node group whose
 * `amiType` follows its architecture (the incident's `exec format error`).
 *
 * Security groups: `skipDefaultSecurityGroups` leaves only the security group
 * EKS itself creates for the cluster. Managed node groups attach it to every
 * node, and the control plane uses it too, so "the cluster's security group"
 * is one id (`clusterSecurityGroupId`) and the database's ingress rule from it
 * covers every pod on every node.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import { AMI_TYPES, type Architecture } from "../spec.js";
import type { Tags } from "./tags.js";

/** A managed node group, with its derived AWS names. */
export interface ClusterNodeGroupArgs {
  /** Spec name of the group (a Kubernetes label value and the child resources' role). */
  readonly name: string;
  /** EKS node group name (`names(spec).nodeGroup`). */
  readonly nodeGroupName: string;
  /** IAM role name of the group's nodes (`names(spec).nodeRole`). */
  readonly roleName: string;
  /** CPU architecture; picks the AL2023 AMI type. */
  readonly architecture: Architecture;
  readonly instanceTypes: string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Root volume GiB. */
  readonly diskSize: number;
  readonly capacityType: "ON_DEMAND" | "SPOT";
}

export interface ClusterArgs {
  /** EKS cluster name (`names(spec).cluster`). */
  readonly clusterName: string;
  /** IAM role name of the control plane (`names(spec).clusterRole`). */
  readonly clusterRoleName: string;
  /** Kubernetes version of the control plane and node groups. */
  readonly version: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  /** Subnets for nodes and the control plane's network interfaces. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnets for internet-facing load balancers. */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** CIDRs allowed to reach the public API endpoint; empty makes the endpoint private only. */
  readonly endpointPublicAccessCidrs: string[];
  /** IAM principals granted cluster admin through access entries. */
  readonly adminPrincipalArns: string[];
  readonly nodeGroups: ClusterNodeGroupArgs[];
  /** AWS partition for managed policy ARNs (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition?: pulumi.Input<string>;
  readonly tags?: Tags;
}

/** AWS-managed policies every EKS worker node role needs. */
export const NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"] as const;

const assumeBy = (service: string, actions: string[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }] });

export class Cluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  /** Secret: kubeconfig JSON whose exec plugin is `aws eks get-token`. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly oidcProviderArn: pulumi.Output<string>;
  /** OIDC issuer without `https://`. */
  public readonly oidcProviderUrl: pulumi.Output<string>;
  /** The EKS-created cluster security group, attached to the control plane and every managed node. */
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  /** Node IAM role ARN per node group. */
  public readonly nodeRoleArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:aws:Cluster", name, {}, opts);
    this.validate(args);
    const partition = pulumi.output(args.partition ?? "aws");
    const managed = (policy: string) => pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;

    const clusterRole = new aws.iam.Role(`${name}-cluster-role`, {
      name: args.clusterRoleName,
      assumeRolePolicy: assumeBy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
      tags: args.tags,
    }, { parent: this });
    const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, {
      role: clusterRole.name,
      policyArn: managed("AmazonEKSClusterPolicy"),
    }, { parent: this });

    const accessEntries: Record<string, eks.types.input.AccessEntryArgs> = {};
    args.adminPrincipalArns.forEach((principalArn, i) => {
      accessEntries[`admin-${i}`] = {
        principalArn,
        accessPolicies: {
          admin: {
            policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
            accessScope: { type: "cluster" },
          },
        },
      };
    });

    const publicEndpoint = args.endpointPublicAccessCidrs.length > 0;
    const cluster = new eks.Cluster(`${name}-eks`, {
      name: args.clusterName,
      version: args.version,
      authenticationMode: eks.AuthenticationMode.Api,
      accessEntries,
      createOidcProvider: true,
      skipDefaultNodeGroup: true,
      skipDefaultSecurityGroups: true,
      serviceRole: clusterRole,
      vpcId: args.vpcId,
      privateSubnetIds: args.privateSubnetIds,
      publicSubnetIds: args.publicSubnetIds,
      endpointPrivateAccess: true,
      endpointPublicAccess: publicEndpoint,
      publicAccessCidrs: publicEndpoint ? args.endpointPublicAccessCidrs : undefined,
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      tags: args.tags,
    }, { parent: this, dependsOn: [clusterPolicy] });

    const nodeRoleArns: Record<string, pulumi.Output<string>> = {};
    for (const g of args.nodeGroups) {
      const role = new aws.iam.Role(`${name}-${g.name}-node-role`, {
        name: g.roleName,
        assumeRolePolicy: assumeBy("ec2.amazonaws.com", ["sts:AssumeRole"]),
        tags: args.tags,
      }, { parent: this });
      // Nodes that boot before these attachments exist never join the cluster.
      const attachments = NODE_POLICIES.map((p) =>
        new aws.iam.RolePolicyAttachment(`${name}-${g.name}-${p}`, { role: role.name, policyArn: managed(p) }, { parent: this }),
      );
      new eks.ManagedNodeGroup(`${name}-${g.name}`, {
        cluster,
        nodeGroupName: g.nodeGroupName,
        version: args.version,
        // The ARN is released only once the policies are attached: a remote
        // component's children do not all honour the component's dependsOn.
        nodeRoleArn: pulumi.all([role.arn, ...attachments.map((a) => a.id)]).apply(([arn]) => arn),
        amiType: AMI_TYPES[g.architecture],
        instanceTypes: g.instanceTypes,
        capacityType: g.capacityType,
        diskSize: g.diskSize,
        scalingConfig: { minSize: g.minSize, desiredSize: g.desiredSize, maxSize: g.maxSize },
        subnetIds: args.privateSubnetIds,
        labels: { "goldenpath.io/node-group": g.name },
        tags: args.tags,
      }, { parent: this, dependsOn: attachments });
      nodeRoleArns[g.name] = role.arn;
    }

    // Read through `core` (CoreData: `cluster` is the aws.eks.Cluster, `endpoint`
    // a string), the one output both the real provider and the mock models fill.
    this.clusterName = cluster.core.apply((c) => c.cluster.name);
    this.endpoint = cluster.core.apply((c) => c.endpoint);
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.oidcProviderUrl = cluster.oidcIssuer.apply((u) => u.replace(/^https:\/\//, ""));
    this.clusterSecurityGroupId = cluster.clusterSecurityGroupId;
    this.nodeRoleArns = pulumi.output(nodeRoleArns);
    this.registerOutputs({
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      kubeconfig: this.kubeconfig,
      oidcProviderArn: this.oidcProviderArn,
      oidcProviderUrl: this.oidcProviderUrl,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      nodeRoleArns: this.nodeRoleArns,
    });
  }

  private validate(args: ClusterArgs) {
    if (args.nodeGroups.length === 0) throw new pulumi.ResourceError("the cluster needs at least one node group", this);
    const seen = new Set<string>();
    for (const g of args.nodeGroups) {
      if (seen.has(g.name)) throw new pulumi.ResourceError(`node group ${g.name} appears twice`, this);
      seen.add(g.name);
      if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize && g.maxSize >= 1)) {
        throw new pulumi.ResourceError(`node group ${g.name}: sizes must satisfy minSize ≤ desiredSize ≤ maxSize, maxSize ≥ 1`, this);
      }
      if (!AMI_TYPES[g.architecture]) throw new pulumi.ResourceError(`node group ${g.name}: unknown architecture ${g.architecture}`, this);
    }
  }
}
