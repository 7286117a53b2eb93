/**
 * Backstage from the backstage/charts chart (DESIGN §4.4), fixing each of the
 * incident's crash loops by construction:
 * - `backend.auth.keys[0].secret` is `${BACKEND_SECRET}`, an env var from a
 *   generated Kubernetes Secret; no literal key is ever in values;
 * - the Kubernetes plugin is configured (`multiTenant` service locator and a
 *   config cluster locator for its own cluster, read-only service account);
 * - the database connection uses TLS and credentials from the ESO-synced Secret;
 * - `app.baseUrl`, `backend.baseUrl` and the CORS origin follow the hostname.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { ChartSource } from "../spec.js";
import { releaseChartArgs } from "./chart.js";
import { deepMerge, dependsOnWith, imageRef, secretEnv, splitImage, type Values } from "./values.js";

/** Helm release name and `fullnameOverride`: the Service is `backstage:7007`. */
export const BACKSTAGE_RELEASE = "backstage";
/** Generated Secret holding `BACKEND_SECRET` (the backend auth key). */
export const BACKSTAGE_AUTH_SECRET = "backstage-backend-auth";
/** Service account the Kubernetes plugin reads the cluster as, and its token Secret. */
export const BACKSTAGE_READER_SA = "backstage-kubernetes-reader";
export const BACKSTAGE_READER_TOKEN = "backstage-kubernetes-reader-token";
/** CA of the cluster, mounted into every pod with a service account token. */
const IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

export interface BackstageArgs {
  /** Helm chart source. */
  readonly chart: ChartSource;
  /** Namespace to install into (must exist). */
  readonly namespace: pulumi.Input<string>;
  /** The ECR mirror: repository URL and digest. */
  readonly image: { repository: string; digest: string };
  /** Public hostname; drives `app.baseUrl`, `backend.baseUrl` and CORS. */
  readonly hostname?: string;
  /** Whether the public URL is https (an ACM certificate is set on the ALB). */
  readonly https: boolean;
  /** Pod replicas. */
  readonly replicas?: number;
  /** Database endpoint settings and the ESO-synced Secret with host/port/username/password. */
  readonly database: {
    secretName: string;
    /** The app's own database (used when plugins share it as schemas). */
    name: string;
    /** The role may create databases: Backstage then makes one per plugin (its default). */
    createDb: boolean;
    /** PEM bundle of the RDS CA; with it the server certificate is verified. */
    caBundle?: pulumi.Input<string>;
  };
  /** The cluster the Kubernetes plugin shows (Backstage's own). */
  readonly cluster: { name: pulumi.Input<string>; endpoint: pulumi.Input<string> };
  /** Extra chart values merged over the generated ones. */
  readonly values?: Values;
}

/** The public base URL Backstage serves on. */
export function backstageBaseUrl(hostname: string | undefined, https: boolean): string {
  return hostname ? `${https ? "https" : "http"}://${hostname}` : "http://localhost:7007";
}

/** The chart values (typed, no secret values: every secret is a `${VAR}` or a secretKeyRef). */
export function backstageValues(args: BackstageArgs): Values {
  const baseUrl = backstageBaseUrl(args.hostname, args.https);
  const { registry, repository } = splitImage(args.image.repository);
  const ssl = args.database.caBundle
    ? { require: true, rejectUnauthorized: true, ca: args.database.caBundle }
    : // Without the RDS CA bundle the link is encrypted but the server is not
      // authenticated: Node's trust store does not hold the RDS CAs.
      { require: true, rejectUnauthorized: false };
  return {
    fullnameOverride: BACKSTAGE_RELEASE,
    backstage: {
      replicas: args.replicas ?? 1,
      image: { registry, repository, digest: args.image.digest, pullPolicy: "IfNotPresent" },
      extraEnvVarsSecrets: [BACKSTAGE_AUTH_SECRET],
      extraEnvVars: [
        secretEnv("POSTGRES_HOST", args.database.secretName, "host"),
        secretEnv("POSTGRES_PORT", args.database.secretName, "port"),
        secretEnv("POSTGRES_USER", args.database.secretName, "username"),
        secretEnv("POSTGRES_PASSWORD", args.database.secretName, "password"),
        secretEnv("KUBERNETES_SERVICE_ACCOUNT_TOKEN", BACKSTAGE_READER_TOKEN, "token"),
      ],
      appConfig: {
        app: { baseUrl },
        backend: {
          baseUrl,
          listen: { port: 7007 },
          cors: { origin: baseUrl, methods: ["GET", "HEAD", "PATCH", "POST", "PUT", "DELETE"], credentials: true },
          auth: { keys: [{ secret: "${BACKEND_SECRET}" }] },
          database: {
            client: "pg",
            connection: {
              host: "${POSTGRES_HOST}",
              port: "${POSTGRES_PORT}",
              user: "${POSTGRES_USER}",
              password: "${POSTGRES_PASSWORD}",
              ...(args.database.createDb ? {} : { database: args.database.name }),
              ssl,
            },
            // The default (a database per plugin) needs CREATEDB; without it plugins share one database as schemas.
            ...(args.database.createDb ? {} : { pluginDivisionMode: "schema" }),
          },
        },
        kubernetes: {
          serviceLocatorMethod: { type: "multiTenant" },
          clusterLocatorMethods: [
            {
              type: "config",
              clusters: [
                {
                  name: args.cluster.name,
                  url: args.cluster.endpoint,
                  authProvider: "serviceAccount",
                  serviceAccountToken: "${KUBERNETES_SERVICE_ACCOUNT_TOKEN}",
                  caFile: IN_CLUSTER_CA,
                  skipTLSVerify: false,
                  skipMetricsLookup: true,
                },
              ],
            },
          ],
        },
      },
    },
    postgresql: { enabled: false },
    service: { type: "ClusterIP" },
  };
}

export class Backstage extends pulumi.ComponentResource {
  readonly release: kubernetes.helm.v3.Release;
  readonly imageRef: string;
  readonly url: string;
  readonly serviceName = BACKSTAGE_RELEASE;
  readonly servicePort = 7007;
  /** Name of the Secret with the backend auth key (the value is never an output). */
  readonly authSecretName = BACKSTAGE_AUTH_SECRET;

  constructor(name: string, args: BackstageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:k8s:Backstage", name, {}, opts);
    if (!/^sha256:[a-f0-9]{64}$/.test(args.image.digest)) {
      throw new pulumi.ResourceError(`backstage image digest ${args.image.digest} is not a sha256 digest; run the mirror step first`, this);
    }
    this.imageRef = imageRef(args.image.repository, args.image.digest);
    this.url = backstageBaseUrl(args.hostname, args.https);

    // 48 alphanumerics ≈ 285 bits, above the 32 random bytes Backstage recommends.
    const key = new random.RandomPassword(`${name}-backend-key`, { length: 48, special: false }, { parent: this });
    const authSecret = new kubernetes.core.v1.Secret(
      `${name}-backend-auth`,
      { metadata: { name: BACKSTAGE_AUTH_SECRET, namespace: args.namespace }, type: "Opaque", stringData: { BACKEND_SECRET: key.result } },
      { parent: this, additionalSecretOutputs: ["stringData", "data"] },
    );

    const reader = this.kubernetesReader(name, args.namespace);

    this.release = new kubernetes.helm.v3.Release(
      `${name}-release`,
      {
        name: BACKSTAGE_RELEASE,
        namespace: args.namespace,
        ...releaseChartArgs(args.chart),
        values: deepMerge(backstageValues(args), args.values),
        timeout: 900,
      },
      { parent: this, dependsOn: dependsOnWith([authSecret, ...reader], opts?.dependsOn) },
    );

    this.registerOutputs({
      releaseName: this.release.name,
      releaseStatus: this.release.status.status,
      imageRef: this.imageRef,
      url: this.url,
      authSecretName: this.authSecretName,
    });
  }

  /** Read-only access for the Kubernetes plugin: service account, ClusterRole, binding, token Secret. */
  private kubernetesReader(name: string, namespace: pulumi.Input<string>): pulumi.Resource[] {
    const sa = new kubernetes.core.v1.ServiceAccount(
      `${name}-reader-sa`,
      { metadata: { name: BACKSTAGE_READER_SA, namespace }, automountServiceAccountToken: false },
      { parent: this },
    );
    const role = new kubernetes.rbac.v1.ClusterRole(
      `${name}-reader-role`,
      {
        metadata: { name: BACKSTAGE_READER_SA },
        rules: [
          { apiGroups: [""], resources: ["pods", "pods/log", "services", "configmaps", "limitranges", "resourcequotas"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets", "daemonsets"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: ["get", "list"] },
        ],
      },
      { parent: this },
    );
    const binding = new kubernetes.rbac.v1.ClusterRoleBinding(
      `${name}-reader-binding`,
      {
        metadata: { name: BACKSTAGE_READER_SA },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
      },
      { parent: this },
    );
    const token = new kubernetes.core.v1.Secret(
      `${name}-reader-token`,
      {
        metadata: {
          name: BACKSTAGE_READER_TOKEN,
          namespace,
          // Kubernetes fills in the token; wait for it so Backstage starts with one.
          annotations: { "kubernetes.io/service-account.name": BACKSTAGE_READER_SA, "pulumi.com/waitFor": "jsonpath={.data.token}" },
        },
        type: "kubernetes.io/service-account-token",
      },
      { parent: this, dependsOn: [sa] },
    );
    return [binding, token];
  }
}
