/**
 * The way in (DESIGN §3): the AWS Load Balancer Controller (Helm, IRSA), one
 * `networking.k8s.io/v1` Ingress per app on its spec hostname (all apps share
 * one ALB through an ingress group), TLS from the spec's ACM certificate, and
 * Route53 alias records when the spec names a hosted zone.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as kubernetes from "@pulumi/kubernetes";
import type { ChartSource } from "../spec.js";
import { releaseChartArgs } from "./chart.js";
import { deepMerge, dependsOnWith, type Values } from "./values.js";
import { LOAD_BALANCER_SA } from "./irsa-role.js";

/** AWS Load Balancer Controller chart pinned by default (app v2.14.0). */
export const LOAD_BALANCER_CONTROLLER_CHART = { repo: "https://aws.github.io/eks-charts", name: "aws-load-balancer-controller", version: "1.14.0" } as const;

/** Service account of the controller: the subject the foundation's IRSA trust names. */
export { LOAD_BALANCER_SA };

/** One app exposed through the ALB. */
export interface IngressRoute {
  /** App name: names the child resources. */
  app: string;
  /** Namespace of the app's Service. */
  namespace: pulumi.Input<string>;
  /** Public hostname. */
  hostname: string;
  /** Service and port the ALB forwards to (pod IPs, target type ip). */
  serviceName: string;
  servicePort: number;
  /** Path the ALB health check requests on the pods. */
  healthCheckPath: string;
  /** Resources the route waits for (the app's release, so its Service exists). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export interface IngressArgs {
  /** EKS cluster name (the controller tags and discovers by it). */
  readonly clusterName: pulumi.Input<string>;
  /** AWS region. */
  readonly region: pulumi.Input<string>;
  /** VPC of the cluster (spares the controller an IMDS lookup). */
  readonly vpcId: pulumi.Input<string>;
  /** IRSA role of the controller (foundation `loadBalancerControllerRoleArn`). */
  readonly roleArn: pulumi.Input<string>;
  /** Chart source; defaults to `LOAD_BALANCER_CONTROLLER_CHART`. */
  readonly chart?: ChartSource;
  /** `internet-facing` or `internal` ALB. */
  readonly scheme: "internal" | "internet-facing";
  /** ACM certificate: HTTPS on 443 and a redirect from 80; without it HTTP only. */
  readonly certificateArn?: string;
  /** Route53 hosted zone for alias records of the hostnames. */
  readonly route53ZoneId?: string;
  /** Ingress group: apps in one group share one ALB. */
  readonly groupName: string;
  /** Apps to expose. */
  readonly routes: readonly IngressRoute[];
  /** Extra controller chart values. */
  readonly values?: Values;
}

/** Controller chart values. */
export function loadBalancerControllerValues(args: Pick<IngressArgs, "clusterName" | "region" | "vpcId" | "roleArn">): Values {
  return {
    clusterName: args.clusterName,
    region: args.region,
    vpcId: args.vpcId,
    replicaCount: 2,
    serviceAccount: {
      create: true,
      name: LOAD_BALANCER_SA.name,
      annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
    },
  };
}

/** The ALB annotations of one Ingress. */
export function albAnnotations(args: Pick<IngressArgs, "scheme" | "certificateArn" | "groupName">, healthCheckPath: string): Record<string, string> {
  const tls = Boolean(args.certificateArn);
  return {
    "alb.ingress.kubernetes.io/scheme": args.scheme,
    "alb.ingress.kubernetes.io/target-type": "ip",
    "alb.ingress.kubernetes.io/group.name": args.groupName,
    "alb.ingress.kubernetes.io/listen-ports": JSON.stringify(tls ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ HTTP: 80 }]),
    "alb.ingress.kubernetes.io/healthcheck-path": healthCheckPath,
    "alb.ingress.kubernetes.io/success-codes": "200-399",
    ...(tls
      ? {
          "alb.ingress.kubernetes.io/certificate-arn": args.certificateArn!,
          "alb.ingress.kubernetes.io/ssl-redirect": "443",
          "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        }
      : {}),
  };
}

export class PlatformIngress extends pulumi.ComponentResource {
  readonly release: kubernetes.helm.v3.Release;
  readonly ingresses: Record<string, kubernetes.networking.v1.Ingress> = {};
  /** ALB DNS name per app, from the Ingress status. */
  readonly loadBalancerHostnames: Record<string, pulumi.Output<string>> = {};
  readonly records: Record<string, aws.route53.Record> = {};

  constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:k8s:Ingress", name, {}, opts);
    const hosts = new Set<string>();
    for (const r of args.routes) {
      if (hosts.has(r.hostname)) throw new pulumi.ResourceError(`hostname ${r.hostname} is used by two apps`, this);
      hosts.add(r.hostname);
    }

    this.release = new kubernetes.helm.v3.Release(
      `${name}-controller`,
      {
        name: "aws-load-balancer-controller",
        namespace: LOAD_BALANCER_SA.namespace,
        ...releaseChartArgs(args.chart ?? LOAD_BALANCER_CONTROLLER_CHART),
        values: deepMerge(loadBalancerControllerValues(args), args.values),
        // Its admission webhook must answer before any Ingress is created.
        skipAwait: false,
        atomic: true,
      },
      { parent: this, dependsOn: dependsOnWith([], opts?.dependsOn) },
    );

    const zoneId = args.route53ZoneId
      ? aws.lb.getHostedZoneIdOutput({ loadBalancerType: "application", region: args.region }, { parent: this }).id
      : undefined;

    for (const r of args.routes) {
      const ingress = new kubernetes.networking.v1.Ingress(
        `${name}-${r.app}`,
        {
          metadata: { name: r.app, namespace: r.namespace, annotations: albAnnotations(args, r.healthCheckPath) },
          spec: {
            ingressClassName: "alb",
            rules: [
              {
                host: r.hostname,
                http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: r.serviceName, port: { number: r.servicePort } } } }] },
              },
            ],
          },
        },
        { parent: this, dependsOn: [this.release, ...(r.dependsOn ?? [])] },
      );
      this.ingresses[r.app] = ingress;
      const lbHost = ingress.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname ?? "");
      this.loadBalancerHostnames[r.app] = lbHost;
      if (args.route53ZoneId && zoneId) {
        this.records[r.app] = new aws.route53.Record(
          `${name}-${r.app}-dns`,
          {
            zoneId: args.route53ZoneId,
            name: r.hostname,
            type: "A",
            aliases: [{ name: lbHost, zoneId, evaluateTargetHealth: true }],
          },
          { parent: this },
        );
      }
    }

    this.registerOutputs({
      releaseName: this.release.name,
      releaseStatus: this.release.status.status,
      loadBalancerHostnames: this.loadBalancerHostnames,
    });
  }
}
