/**
 * The contract between the two layers and everything that runs them (the
 * offline plan, the simulate engine, the pulumi engine, the `Pulumi.yaml`
 * entry point). An environment is two stacks, `<env>-foundation` and
 * `<env>-platform`; the platform layer takes the foundation's outputs and the
 * mirrored image digests as plain inputs (DESIGN §3).
 */
import type { AppName, EnvironmentSpec } from "../spec.js";

export const LAYERS = ["foundation", "platform"] as const;
export type LayerName = (typeof LAYERS)[number];

/** Pulumi stack name of an environment's layer. */
export function stackName(environment: string, layer: LayerName): string {
  return `${environment}-${layer}`;
}

/** An inline program: what `LocalWorkspace` and `runtime.setMocks` both run. */
export type LayerProgram = () => Promise<Record<string, unknown>>;

/**
 * The foundation's outputs, flat (automation-api-examples style). Values are
 * plain once resolved; `kubeconfig` is a secret output.
 */
export interface FoundationOutputs {
  region: string;
  accountId: string;
  vpcId: string;
  privateSubnetIds: string[];
  publicSubnetIds: string[];
  clusterName: string;
  clusterEndpoint: string;
  /** Secret: kubeconfig whose exec plugin is `aws eks get-token`. */
  kubeconfig: string;
  oidcProviderArn: string;
  /** OIDC issuer host/path without `https://` (for IRSA trust conditions). */
  oidcProviderUrl: string;
  clusterSecurityGroupId: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  ecrRegistry: string;
  /** Repository URL per app: `<registry>/<env>/<app>`. */
  ecrRepositoryUrls: Record<string, string>;
  dbAddress: string;
  dbPort: number;
  dbInstanceIdentifier: string;
  /** Secrets Manager ARN of the RDS-managed master credentials (`rds!db-…`). */
  dbMasterSecretArn: string;
  dbMasterUsername: string;
  /** Secrets Manager secret name per app: `<prefix>/<env>/<app>/db`. */
  appSecretNames: Record<string, string>;
  appSecretArns: Record<string, string>;
  externalSecretsRoleArn: string;
  loadBalancerControllerRoleArn: string;
}

/** An image copied into the environment's ECR by the mirror step. */
export interface MirroredImage {
  /** Full repository URL: `<account>.dkr.ecr.<region>.amazonaws.com/<env>/<app>`. */
  repository: string;
  /** `sha256:…` of the platform manifest (one architecture) or of the index (several). */
  digest: string;
}

export interface FoundationInputs {
  /** nothing yet: the foundation derives everything from the spec. */
}

export interface PlatformInputs {
  foundation: FoundationOutputs;
  images: Partial<Record<AppName, MirroredImage>>;
  /**
   * For `database.provisioner: auto`: whether RDS answered on its port from the
   * machine running Pulumi (the runner probes; programs stay pure). True picks
   * the @pulumi/postgresql provider, false the in-cluster Job.
   */
  databaseReachable?: boolean;
}

export interface LayerInputs {
  foundation: FoundationInputs;
  platform: PlatformInputs;
}

export type LayerFactory<L extends LayerName> = (spec: EnvironmentSpec, inputs: LayerInputs[L]) => LayerProgram;
