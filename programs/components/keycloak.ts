/**
 * Keycloak on the environment's RDS, behind the ALB (DESIGN §4.3).
 *
 * Default flavor `keycloakx`: the codecentric chart made for the official
 * `quay.io/keycloak/keycloak` image, configured through `KC_*` variables.
 * Flavor `bitnami`: the Bitnami chart, which only works with a Bitnami-layout
 * image (its scripts live in /opt/bitnami/scripts; the official image fails
 * with a misleading `exec format error`, as in the incident), and which needs
 * `global.security.allowInsecureImages` because the image is not pulled from
 * docker.io/bitnami. Either way the image is the ECR mirror, pinned by digest.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { stringify } from "yaml";
import type { ChartSource } from "../spec.js";
import { releaseChartArgs } from "./chart.js";
import { keycloakPairingError, type KeycloakFlavor } from "../image-rules.js";

export { keycloakPairingError, type KeycloakFlavor };
import { deepMerge, dependsOnWith, imageRef, plainEnv, secretEnv, splitImage, type EnvVar, type Values } from "./values.js";


/** Helm release name, and the chart's `fullnameOverride`, so Service names are predictable. */
export const KEYCLOAK_RELEASE = "keycloak";
/** Name of the generated Secret with the bootstrap admin's `username` and `password`. */
export const KEYCLOAK_ADMIN_SECRET = "keycloak-admin";

export interface KeycloakArgs {
  /** `keycloakx` (official image) or `bitnami` (Bitnami-layout image). */
  readonly flavor: KeycloakFlavor;
  /** Helm chart source. */
  readonly chart: ChartSource;
  /** Namespace to install into (must exist). */
  readonly namespace: pulumi.Input<string>;
  /** The spec's source image (before mirroring): decides the chart/image pairing. */
  readonly imageSource: string;
  /** The ECR mirror: repository URL and digest. */
  readonly image: { repository: string; digest: string };
  /** Public hostname (`KC_HOSTNAME`); without it Keycloak accepts any host. */
  readonly hostname?: string;
  /** Whether the public URL is https (an ACM certificate is set on the ALB). */
  readonly https: boolean;
  /** Pod replicas. */
  readonly replicas?: number;
  /** Database endpoint and the ESO-synced Secret with `username`/`password`. */
  readonly database: { host: pulumi.Input<string>; port: pulumi.Input<number>; name: string; secretName: string };
  /** Extra chart values merged over the generated ones. */
  readonly values?: Values;
}


function publicUrl(hostname: string | undefined, https: boolean): string | undefined {
  return hostname ? `${https ? "https" : "http"}://${hostname}` : undefined;
}

/** Values for codecentric keycloakx. `extraEnv` is a YAML string because the chart renders it with `tpl`. */
export function keycloakxValues(args: KeycloakArgs, adminSecret: string): Values {
  const url = publicUrl(args.hostname, args.https);
  const env: EnvVar[] = [
    plainEnv("KC_DB", "postgres"),
    plainEnv("KC_DB_URL_HOST", args.database.host),
    plainEnv("KC_DB_URL_PORT", pulumi.output(args.database.port).apply(String)),
    plainEnv("KC_DB_URL_DATABASE", args.database.name),
    // RDS enforces TLS (rds.force_ssl=1); require it from the client side too.
    plainEnv("KC_DB_URL_PROPERTIES", "?sslmode=require"),
    secretEnv("KC_DB_USERNAME", args.database.secretName, "username"),
    secretEnv("KC_DB_PASSWORD", args.database.secretName, "password"),
    secretEnv("KC_BOOTSTRAP_ADMIN_USERNAME", adminSecret, "username"),
    secretEnv("KC_BOOTSTRAP_ADMIN_PASSWORD", adminSecret, "password"),
    plainEnv("KC_PROXY_HEADERS", "xforwarded"),
    plainEnv("KC_HTTP_ENABLED", "true"),
    ...(url ? [plainEnv("KC_HOSTNAME", url)] : [plainEnv("KC_HOSTNAME_STRICT", "false")]),
    // Cluster discovery for the chart's `kubernetes` cache stack goes through the headless Service.
    plainEnv("JAVA_OPTS_APPEND", `-Djgroups.dns.query=${KEYCLOAK_RELEASE}-headless`),
  ];
  return {
    fullnameOverride: KEYCLOAK_RELEASE,
    replicas: args.replicas ?? 1,
    image: { repository: args.image.repository, digest: args.image.digest, pullPolicy: "IfNotPresent" },
    command: ["/opt/keycloak/bin/kc.sh"],
    args: ["start"],
    // All KC_DB* settings come from extraEnv (secrets by reference), so the chart's
    // `database` block stays empty; its `proxy` block would emit KC_PROXY, which
    // Keycloak 26 no longer has (KC_PROXY_HEADERS replaces it).
    proxy: { enabled: false },
    http: { relativePath: "/" },
    health: { enabled: true },
    metrics: { enabled: true },
    service: { type: "ClusterIP" },
    extraEnv: pulumi.output(env).apply((e) => stringify(e)),
  };
}

/** Values for the Bitnami keycloak chart. */
export function bitnamiValues(args: KeycloakArgs, adminSecret: string): Values {
  const url = publicUrl(args.hostname, args.https);
  const { registry, repository } = splitImage(args.image.repository);
  return {
    fullnameOverride: KEYCLOAK_RELEASE,
    // The image is the environment's ECR mirror, not docker.io/bitnami: the chart
    // refuses such images unless told they are intended.
    global: { security: { allowInsecureImages: true } },
    image: { registry, repository, digest: args.image.digest, pullPolicy: "IfNotPresent" },
    replicaCount: args.replicas ?? 1,
    auth: { adminUser: "admin", existingSecret: adminSecret, passwordSecretKey: "password" },
    production: true,
    proxyHeaders: "xforwarded",
    httpRelativePath: "/",
    postgresql: { enabled: false },
    externalDatabase: {
      host: args.database.host,
      port: args.database.port,
      database: args.database.name,
      existingSecret: args.database.secretName,
      existingSecretUserKey: "username",
      existingSecretPasswordKey: "password",
    },
    extraEnvVars: [
      plainEnv("KEYCLOAK_JDBC_PARAMS", "sslmode=require"),
      ...(url ? [plainEnv("KC_HOSTNAME", url)] : [plainEnv("KC_HOSTNAME_STRICT", "false")]),
    ],
    service: { type: "ClusterIP" },
  };
}

export class Keycloak extends pulumi.ComponentResource {
  readonly release: kubernetes.helm.v3.Release;
  /** The deployed image reference (`<ecr repo>@sha256:…`). */
  readonly imageRef: string;
  /** Name of the Secret with the bootstrap admin credentials (the value is never an output). */
  readonly adminSecretName = KEYCLOAK_ADMIN_SECRET;
  /** Service the Ingress routes to. */
  readonly serviceName: string;
  readonly servicePort = 80;
  readonly url?: string;

  constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:k8s:Keycloak", name, {}, opts);
    const pairing = keycloakPairingError(args.flavor, args.chart, args.imageSource);
    if (pairing) throw new pulumi.ResourceError(pairing, this);
    if (!/^sha256:[a-f0-9]{64}$/.test(args.image.digest)) {
      throw new pulumi.ResourceError(`keycloak image digest ${args.image.digest} is not a sha256 digest; run the mirror step first`, this);
    }
    this.imageRef = imageRef(args.image.repository, args.image.digest);
    this.serviceName = args.flavor === "keycloakx" ? `${KEYCLOAK_RELEASE}-http` : KEYCLOAK_RELEASE;
    this.url = publicUrl(args.hostname, args.https);

    const password = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this });
    const adminSecret = new kubernetes.core.v1.Secret(
      `${name}-admin`,
      {
        metadata: { name: KEYCLOAK_ADMIN_SECRET, namespace: args.namespace },
        type: "Opaque",
        stringData: { username: "admin", password: password.result },
      },
      { parent: this, additionalSecretOutputs: ["stringData", "data"] },
    );

    const generated = args.flavor === "keycloakx" ? keycloakxValues(args, KEYCLOAK_ADMIN_SECRET) : bitnamiValues(args, KEYCLOAK_ADMIN_SECRET);
    this.release = new kubernetes.helm.v3.Release(
      `${name}-release`,
      {
        name: KEYCLOAK_RELEASE,
        namespace: args.namespace,
        ...releaseChartArgs(args.chart),
        values: deepMerge(generated, args.values),
        timeout: 900,
      },
      { parent: this, dependsOn: dependsOnWith([adminSecret], opts?.dependsOn) },
    );

    this.registerOutputs({
      releaseName: this.release.name,
      releaseStatus: this.release.status.status,
      imageRef: this.imageRef,
      adminSecretName: this.adminSecretName,
      url: this.url,
    });
  }
}
