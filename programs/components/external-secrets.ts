/**
 * External Secrets Operator and what it syncs: the ESO Helm release (its
 * service account assumes the foundation's IRSA role), one
 * `ClusterSecretStore` for AWS Secrets Manager, and one `ExternalSecret` per
 * Kubernetes Secret the platform needs. The incident's missing piece was the
 * store: here every ExternalSecret depends on it, and the store depends on
 * the release that installs the CRDs (DESIGN §4.5).
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { ChartSource } from "../spec.js";
import { releaseChartArgs } from "./chart.js";
import { deepMerge, dependsOnWith, type Values } from "./values.js";
import { EXTERNAL_SECRETS_SA } from "./irsa-role.js";

/** ESO chart pinned by default: 0.17+ serves only `external-secrets.io/v1`. */
export const EXTERNAL_SECRETS_CHART = { repo: "https://charts.external-secrets.io", name: "external-secrets", version: "0.20.4" } as const;

/**
 * The service account ESO runs as: the subject the foundation's IRSA trust
 * policy names, so both sides share one constant.
 */
export { EXTERNAL_SECRETS_SA };

/** The API version every ESO object is created with (v1beta1 stopped being served in 0.17). */
export const EXTERNAL_SECRETS_API = "external-secrets.io/v1";

/** Name of the cluster-wide store for AWS Secrets Manager. */
export const CLUSTER_SECRET_STORE = "aws-secrets-manager";

/** The keys of every application database secret, remote and in Kubernetes alike. */
export const DB_SECRET_KEYS = ["host", "port", "username", "password"] as const;

/** One Kubernetes Secret synced from one Secrets Manager secret. */
export interface SecretSync {
  /** Stable id used in the child resource name (`<component>-<id>`). */
  id: string;
  /** Namespace the Kubernetes Secret is created in. */
  namespace: pulumi.Input<string>;
  /** Name of the Kubernetes Secret (the ExternalSecret has the same name). */
  target: string;
  /** Secrets Manager secret name or ARN (`remoteRef.key`). */
  remoteKey: pulumi.Input<string>;
  /** JSON properties of the remote secret; each becomes the Kubernetes key of the same name. */
  keys: readonly string[];
  /** What the secret is (`app-db`, `rds-master`): the `goldenpath.io/secret-kind` label, for policy rules. */
  kind?: string;
}

export interface ExternalSecretsArgs {
  /** AWS region of Secrets Manager. */
  readonly region: pulumi.Input<string>;
  /** IRSA role ESO's service account assumes (foundation `externalSecretsRoleArn`). */
  readonly roleArn: pulumi.Input<string>;
  /** Chart source; defaults to `EXTERNAL_SECRETS_CHART`. */
  readonly chart?: ChartSource;
  /** Secrets to sync into the cluster. */
  readonly syncs: readonly SecretSync[];
  /** How often ESO re-reads Secrets Manager (rotations propagate within it). */
  readonly refreshInterval?: string;
  /** Extra chart values merged over the generated ones. */
  readonly values?: Values;
}

/** The typed values of the ESO chart that matter here. */
export function externalSecretsValues(roleArn: pulumi.Input<string>): Values {
  return {
    installCRDs: true,
    serviceAccount: {
      create: true,
      name: EXTERNAL_SECRETS_SA.name,
      annotations: { "eks.amazonaws.com/role-arn": roleArn },
    },
  };
}

export class ExternalSecrets extends pulumi.ComponentResource {
  readonly release: kubernetes.helm.v3.Release;
  readonly store: kubernetes.apiextensions.CustomResource;
  /** ExternalSecrets by sync id. */
  readonly externalSecrets: Record<string, kubernetes.apiextensions.CustomResource> = {};
  /** Kubernetes Secret names by sync id (each `<namespace>/<name>` once synced). */
  readonly secretNames: Record<string, string> = {};

  constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:k8s:ExternalSecrets", name, {}, opts);

    const ids = new Set<string>();
    for (const s of args.syncs) {
      if (ids.has(s.id)) throw new pulumi.ResourceError(`duplicate secret sync id ${s.id}`, this);
      ids.add(s.id);
      if (s.keys.length === 0) throw new pulumi.ResourceError(`secret sync ${s.id} copies no keys`, this);
    }

    this.release = new kubernetes.helm.v3.Release(
      `${name}-release`,
      {
        name: "external-secrets",
        namespace: EXTERNAL_SECRETS_SA.namespace,
        createNamespace: true,
        ...releaseChartArgs(args.chart ?? EXTERNAL_SECRETS_CHART),
        values: deepMerge(externalSecretsValues(args.roleArn), args.values),
        // The store is validated by ESO's webhook: the release must be fully up first.
        skipAwait: false,
        atomic: true,
      },
      { parent: this, dependsOn: dependsOnWith([], opts?.dependsOn) },
    );

    this.store = new kubernetes.apiextensions.CustomResource(
      `${name}-store`,
      {
        apiVersion: EXTERNAL_SECRETS_API,
        kind: "ClusterSecretStore",
        metadata: {
          name: CLUSTER_SECRET_STORE,
          // Wait until ESO has validated the store, so a broken role or region fails here.
          annotations: { "pulumi.com/waitFor": "condition=Ready" },
        },
        spec: {
          // Only the namespaces goldenpath syncs into may use the store: the role
          // can read the RDS master secret (for the users Job), and no other
          // namespace's ExternalSecret should be able to ask for it.
          conditions: [{ namespaces: pulumi.all(args.syncs.map((s) => s.namespace)).apply((ns) => [...new Set(ns)].sort()) }],
          provider: {
            aws: {
              service: "SecretsManager",
              region: args.region,
              auth: { jwt: { serviceAccountRef: { name: EXTERNAL_SECRETS_SA.name, namespace: EXTERNAL_SECRETS_SA.namespace } } },
            },
          },
        },
      },
      { parent: this, dependsOn: [this.release] },
    );

    for (const s of args.syncs) {
      this.externalSecrets[s.id] = new kubernetes.apiextensions.CustomResource(
        `${name}-${s.id}`,
        {
          apiVersion: EXTERNAL_SECRETS_API,
          kind: "ExternalSecret",
          metadata: {
            name: s.target,
            namespace: s.namespace,
            labels: { "app.kubernetes.io/managed-by": "goldenpath", ...(s.kind ? { "goldenpath.io/secret-kind": s.kind } : {}) },
            // Consumers (charts, the provisioning Job) need the Secret itself: wait for the sync.
            annotations: { "pulumi.com/waitFor": "condition=Ready" },
          },
          spec: {
            refreshInterval: args.refreshInterval ?? "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: CLUSTER_SECRET_STORE },
            target: { name: s.target, creationPolicy: "Owner", deletionPolicy: "Retain" },
            data: s.keys.map((key) => ({ secretKey: key, remoteRef: { key: s.remoteKey, property: key } })),
          },
        },
        { parent: this, dependsOn: [this.store] },
      );
      this.secretNames[s.id] = s.target;
    }

    this.registerOutputs({
      releaseName: this.release.name,
      releaseStatus: this.release.status.status,
      storeName: CLUSTER_SECRET_STORE,
      secretNames: this.secretNames,
    });
  }
}
