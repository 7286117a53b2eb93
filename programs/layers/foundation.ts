/**
 * The foundation layer (DESIGN §3.1): VPC, EKS, ECR, RDS, application secrets
 * and the IRSA roles the platform layer's controllers assume. Everything comes
 * from the spec; the AWS provider is explicit (region, allowed accounts,
 * default tags), so nothing depends on the machine's AWS config beyond
 * credentials.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { names, type EnvironmentSpec } from "../spec.js";
import type { FoundationOutputs, LayerFactory } from "./types.js";
import { environmentTags } from "../components/tags.js";
import { Network } from "../components/network.js";
import { Cluster } from "../components/cluster.js";
import { Registry } from "../components/registry.js";
import { Database } from "../components/database.js";
import { AppSecrets } from "../components/app-secrets.js";
import { EXTERNAL_SECRETS_SA, IrsaRole, LOAD_BALANCER_SA, secretsReadPolicy } from "../components/irsa-role.js";
import { loadBalancerControllerPolicy } from "../components/load-balancer-policy.js";

/** The layer's outputs before resolution: every FoundationOutputs key, nothing else. */
export type FoundationProgramOutputs = { [K in keyof FoundationOutputs]: pulumi.Input<FoundationOutputs[K]> };

/** DNS suffix of a partition's service endpoints (ECR registry hosts). */
function dnsSuffix(partition: string): string {
  return partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

export function foundationProgram(spec: EnvironmentSpec): FoundationProgramOutputs {
  const n = names(spec);
  const tags = environmentTags(spec);
  const provider = new aws.Provider("aws", {
    region: spec.aws.region,
    allowedAccountIds: spec.aws.allowedAccountIds,
    defaultTags: { tags },
  });
  const opts = { provider };

  const identity = aws.getCallerIdentityOutput({}, opts);
  // The caller's ARN carries the partition; one invoke instead of two.
  const partition = identity.arn.apply((arn) => arn.split(":")[1]);

  const net = spec.network;
  const network = new Network("network", {
    clusterName: n.cluster,
    ...("vpcId" in net
      ? { existingVpc: { vpcId: net.vpcId, privateSubnetIds: net.privateSubnetIds, publicSubnetIds: net.publicSubnetIds } }
      : { newVpc: { cidr: net.cidr, azCount: net.azCount, natGateways: net.natGateways } }),
    tags,
  }, opts);

  const cluster = new Cluster("cluster", {
    clusterName: n.cluster,
    clusterRoleName: n.clusterRole,
    version: spec.cluster.version,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    endpointPublicAccessCidrs: spec.cluster.endpointPublicAccessCidrs,
    adminPrincipalArns: spec.cluster.adminPrincipalArns,
    nodeGroups: spec.cluster.nodeGroups.map((g) => ({ ...g, nodeGroupName: n.nodeGroup(g.name), roleName: n.nodeRole(g.name) })),
    partition,
    tags,
  }, opts);

  const db = spec.database;
  // A throwaway environment (no deletion protection) is one you destroy and
  // re-create: let its repositories and secrets go at once.
  const throwaway = !db.deletionProtection;
  const apps = db.applications.map((a) => a.name);

  const registry = new Registry("registry", {
    repositories: Object.fromEntries(apps.map((app) => [app, n.ecrRepository(app)])),
    forceDelete: throwaway,
    tags,
  }, opts);

  const database = new Database("database", {
    identifier: n.rdsInstance,
    parameterGroupName: n.rdsParameterGroup,
    subnetGroupName: n.rdsSubnetGroup,
    engineVersion: db.engineVersion,
    instanceClass: db.instanceClass,
    allocatedStorage: db.allocatedStorage,
    maxAllocatedStorage: db.maxAllocatedStorage,
    multiAz: db.multiAz,
    deletionProtection: db.deletionProtection,
    finalSnapshot: db.finalSnapshot,
    backupRetentionDays: db.backupRetentionDays,
    port: db.port,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    allowedSecurityGroupIds: [cluster.clusterSecurityGroupId],
    tags,
  }, opts);

  const secrets = new AppSecrets("app-secrets", {
    applications: db.applications.map((a) => ({ app: a.name, secretName: n.secret(a.name), username: a.user, database: a.database })),
    host: database.address,
    port: database.port,
    recoveryWindowInDays: throwaway ? 0 : 7,
    tags,
  }, opts);

  // Exactly the secrets this layer created, plus the RDS master secret the
  // in-cluster database-users Job reads: nothing matched by pattern.
  const externalSecrets = new IrsaRole("external-secrets-irsa", {
    roleName: n.externalSecretsRole,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcProviderUrl: cluster.oidcProviderUrl,
    serviceAccount: EXTERNAL_SECRETS_SA,
    policy: pulumi.all([secrets.secretArns, database.masterSecretArn]).apply(([arns, master]) => secretsReadPolicy([...Object.values(arns), master])),
    tags,
  }, opts);

  const loadBalancer = new IrsaRole("load-balancer-irsa", {
    roleName: n.loadBalancerRole,
    oidcProviderArn: cluster.oidcProviderArn,
    oidcProviderUrl: cluster.oidcProviderUrl,
    serviceAccount: LOAD_BALANCER_SA,
    policy: partition.apply(loadBalancerControllerPolicy),
    tags,
  }, opts);

  return {
    region: spec.aws.region,
    accountId: identity.accountId,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    publicSubnetIds: network.publicSubnetIds,
    clusterName: cluster.clusterName,
    clusterEndpoint: cluster.endpoint,
    kubeconfig: pulumi.secret(cluster.kubeconfig),
    oidcProviderArn: cluster.oidcProviderArn,
    oidcProviderUrl: cluster.oidcProviderUrl,
    clusterSecurityGroupId: cluster.clusterSecurityGroupId,
    ecrRegistry: pulumi.interpolate`${identity.accountId}.dkr.ecr.${spec.aws.region}.${partition.apply(dnsSuffix)}`,
    ecrRepositoryUrls: registry.repositoryUrls,
    dbAddress: database.address,
    dbPort: database.port,
    dbInstanceIdentifier: database.identifier,
    dbMasterSecretArn: database.masterSecretArn,
    dbMasterUsername: database.masterUsername,
    appSecretNames: secrets.secretNames,
    appSecretArns: secrets.secretArns,
    externalSecretsRoleArn: externalSecrets.roleArn,
    loadBalancerControllerRoleArn: loadBalancer.roleArn,
  };
}

export const foundationLayer: LayerFactory<"foundation"> = (spec) => async () => foundationProgram(spec);
