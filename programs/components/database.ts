/**
 * RDS PostgreSQL for the platform's apps (DESIGN §4.7): TLS only (parameter
 * group with rds.force_ssl=1), encrypted, private, reachable only from the
 * cluster's security group on the database port, master password generated
 * and kept by RDS in Secrets Manager (never in Pulumi state), deletion
 * protection and a final snapshot where the environment asks for them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { type Tags, withTags } from "./tags.js";

/** RDS CA the instance's server certificate chains to; clients verify against its bundle. */
export const RDS_CA = "rds-ca-rsa2048-g1";

export interface DatabaseArgs {
  /** RDS instance identifier (`names(spec).rdsInstance`). */
  readonly identifier: string;
  /** Parameter group name (`names(spec).rdsParameterGroup`). */
  readonly parameterGroupName: string;
  /** DB subnet group name (`names(spec).rdsSubnetGroup`). */
  readonly subnetGroupName: string;
  /** PostgreSQL major or major.minor, e.g. `16` or `16.4`. */
  readonly engineVersion: string;
  readonly instanceClass: pulumi.Input<string>;
  /** GiB. */
  readonly allocatedStorage: pulumi.Input<number>;
  /** Storage autoscaling ceiling in GiB; 0 disables autoscaling. */
  readonly maxAllocatedStorage?: pulumi.Input<number>;
  readonly multiAz: pulumi.Input<boolean>;
  readonly deletionProtection: pulumi.Input<boolean>;
  /** Take a final snapshot (named `<identifier>-final`) when the instance is destroyed. */
  readonly finalSnapshot: boolean;
  readonly backupRetentionDays: pulumi.Input<number>;
  readonly port: number;
  /** VPC of the security group. */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets for the subnet group. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The only security groups allowed in, on `port` (the cluster's). */
  readonly allowedSecurityGroupIds: pulumi.Input<string>[];
  /** Master user name; its password is generated and rotated by RDS. */
  readonly masterUsername?: string;
  /** KMS key for storage encryption; the AWS-managed RDS key when unset. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Performance Insights (off by default: it costs, and dev rarely needs it). */
  readonly performanceInsights?: boolean;
  readonly tags?: Tags;
}

/** Parameter group family for an engine version: `16.4` → `postgres16`. */
export function parameterGroupFamily(engineVersion: string): string {
  const major = /^(\d+)(\.\d+)?$/.exec(engineVersion)?.[1];
  if (!major) throw new Error(`not a PostgreSQL version: ${engineVersion}`);
  return `postgres${major}`;
}

export class Database extends pulumi.ComponentResource {
  public readonly address: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly identifier: pulumi.Output<string>;
  public readonly masterUsername: pulumi.Output<string>;
  /** Secrets Manager ARN of the RDS-managed master credentials. */
  public readonly masterSecretArn: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:aws:Database", name, {}, opts);
    if (!/^(16|17)(\.\d+)?$/.test(args.engineVersion)) {
      throw new pulumi.ResourceError(`engine version ${args.engineVersion} is not PostgreSQL 16 or 17`, this);
    }
    if (args.allowedSecurityGroupIds.length === 0) {
      throw new pulumi.ResourceError("the database needs at least one allowed security group (the cluster's); it never opens to CIDRs", this);
    }
    const parent = { parent: this };

    const params = new aws.rds.ParameterGroup(`${name}-params`, {
      name: args.parameterGroupName,
      family: parameterGroupFamily(args.engineVersion),
      description: `${args.identifier}: TLS-only connections`,
      // Static parameter: takes effect at the next reboot; a new instance starts with it.
      parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }],
      tags: args.tags,
    }, parent);

    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, {
      name: args.subnetGroupName,
      description: `${args.identifier}: private subnets`,
      subnetIds: args.subnetIds,
      tags: args.tags,
    }, parent);

    // Inline ingress (rather than separate rule resources): a rule added by
    // hand changes this resource, so a drift check reports it.
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      name: `${args.identifier}-sg`,
      description: `${args.identifier}: PostgreSQL from the EKS cluster only`,
      vpcId: args.vpcId,
      ingress: [{
        description: "PostgreSQL from the cluster security group",
        protocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        securityGroups: args.allowedSecurityGroupIds,
      }],
      tags: withTags(args.tags, { Name: `${args.identifier}-sg` }),
    }, parent);

    const instance = new aws.rds.Instance(`${name}-instance`, {
      identifier: args.identifier,
      engine: "postgres",
      engineVersion: args.engineVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: args.instanceClass,
      allocatedStorage: args.allocatedStorage,
      maxAllocatedStorage: pulumi.output(args.maxAllocatedStorage ?? 0).apply((m) => (m > 0 ? m : undefined)),
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: args.kmsKeyArn,
      multiAz: args.multiAz,
      port: args.port,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [sg.id],
      publiclyAccessible: false,
      parameterGroupName: params.name,
      caCertIdentifier: RDS_CA,
      username: args.masterUsername ?? "postgres",
      // RDS generates the password and keeps it in Secrets Manager: it never
      // passes through Pulumi state or this program.
      manageMasterUserPassword: true,
      backupRetentionPeriod: args.backupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: args.deletionProtection,
      skipFinalSnapshot: !args.finalSnapshot,
      finalSnapshotIdentifier: args.finalSnapshot ? `${args.identifier}-final` : undefined,
      performanceInsightsEnabled: args.performanceInsights ?? false,
      tags: args.tags,
    }, parent);

    this.address = instance.address;
    this.port = instance.port;
    this.identifier = instance.identifier;
    this.masterUsername = instance.username;
    this.masterSecretArn = instance.masterUserSecrets.apply((s) => {
      const arn = s?.[0]?.secretArn;
      // An empty ARN here would silently drop the master secret from the
      // External Secrets policy; fail loudly instead.
      if (!arn) throw new Error(`RDS instance ${args.identifier} reported no master user secret although manageMasterUserPassword is set`);
      return arn;
    });
    this.securityGroupId = sg.id;
    this.registerOutputs({
      address: this.address,
      port: this.port,
      identifier: this.identifier,
      masterUsername: this.masterUsername,
      masterSecretArn: this.masterSecretArn,
      securityGroupId: this.securityGroupId,
    });
  }
}
