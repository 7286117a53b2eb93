/**
 * IAM Roles for Service Accounts: an IAM role that exactly one Kubernetes
 * ServiceAccount can assume through the cluster's OIDC provider, with one
 * inline least-privilege policy.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Tags } from "./tags.js";

/** A Kubernetes ServiceAccount, by namespace and name. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** External Secrets Operator's controller; the platform layer installs it under this name. */
export const EXTERNAL_SECRETS_SA: ServiceAccountRef = { namespace: "external-secrets", name: "external-secrets" };
/** AWS Load Balancer Controller; the platform layer installs it under this name. */
export const LOAD_BALANCER_SA: ServiceAccountRef = { namespace: "kube-system", name: "aws-load-balancer-controller" };

/** An IAM policy document (what `JSON.stringify` turns into the policy text). */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Record<string, unknown>[];
}

export interface IrsaRoleArgs {
  /** IAM role name (from `names(spec)`). */
  readonly roleName: pulumi.Input<string>;
  /** ARN of the cluster's IAM OIDC provider. */
  readonly oidcProviderArn: pulumi.Input<string>;
  /** OIDC issuer, with or without `https://` (e.g. `oidc.eks.eu-west-2.amazonaws.com/id/ABC`). */
  readonly oidcProviderUrl: pulumi.Input<string>;
  /** The only ServiceAccount allowed to assume the role. */
  readonly serviceAccount: ServiceAccountRef;
  /** The role's inline policy. */
  readonly policy: pulumi.Input<PolicyDocument>;
  /** Tags for the role. */
  readonly tags?: Tags;
}

/** Trust policy letting only `system:serviceaccount:<ns>:<sa>` assume a role via web identity. */
export function irsaTrustPolicy(oidcProviderArn: string, oidcProviderUrl: string, sa: ServiceAccountRef): PolicyDocument {
  const issuer = oidcProviderUrl.replace(/^https:\/\//, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  };
}

export class IrsaRole extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: IrsaRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:aws:IrsaRole", name, {}, opts);
    const sa = args.serviceAccount;
    const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    if (!label.test(sa.namespace) || !label.test(sa.name)) {
      throw new pulumi.ResourceError(`service account ${sa.namespace}/${sa.name} is not a pair of DNS labels`, this);
    }
    const role = new aws.iam.Role(`${name}-role`, {
      name: args.roleName,
      description: `IRSA for ${sa.namespace}/${sa.name}`,
      assumeRolePolicy: pulumi
        .all([args.oidcProviderArn, args.oidcProviderUrl])
        .apply(([arn, url]) => JSON.stringify(irsaTrustPolicy(arn, url, sa))),
      tags: args.tags,
    }, { parent: this });
    new aws.iam.RolePolicy(`${name}-policy`, {
      role: role.name,
      policy: pulumi.output(args.policy).apply((p) => JSON.stringify(p)),
    }, { parent: this });
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}

/**
 * External Secrets' policy: read exactly the given secrets. Exact ARNs (with
 * their random 6-character suffix) rather than a name pattern, so the policy
 * cannot drift from the secrets that exist (the incident's sync failure).
 */
export function secretsReadPolicy(secretArns: string[]): PolicyDocument {
  const arns = [...new Set(secretArns)].sort();
  const bad = arns.filter((a) => !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^*?]+$/.test(a));
  if (arns.length === 0 || bad.length > 0) {
    throw new Error(`secretsReadPolicy needs exact Secrets Manager ARNs; got ${arns.length === 0 ? "none" : bad.join(", ")}`);
  }
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadEnvironmentSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: arns }],
  };
}
