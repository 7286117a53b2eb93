/**
 * The platform layer (DESIGN §3): everything inside the EKS cluster plus the
 * PostgreSQL roles, built from the spec, the foundation's outputs and the
 * mirrored image digests. Order, enforced by dependencies: External Secrets
 * (store before every ExternalSecret) → database users → Keycloak and
 * Backstage → their Ingresses and DNS records.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as kubernetes from "@pulumi/kubernetes";
import { APPS, keycloakChart, type AppName, type EnvironmentSpec } from "../spec.js";
import type { LayerFactory, PlatformInputs, MirroredImage } from "./types.js";
import { environmentTags } from "../components/tags.js";
import { DB_SECRET_KEYS, ExternalSecrets, type SecretSync } from "../components/external-secrets.js";
import { DatabaseUsers, PROVISIONING_NAMESPACE, resolveProvisioner } from "../components/database-users.js";
import { Keycloak } from "../components/keycloak.js";
import { Backstage } from "../components/backstage.js";
import { PlatformIngress, type IngressRoute } from "../components/ingress.js";
import { imageRef } from "../components/values.js";

/** Kubernetes Secret an app reads its database credentials from (in its own namespace). */
export const dbSecretName = (app: string) => `${app}-db`;
/** Kubernetes Secret with the RDS master credentials (job provisioner only). */
export const MASTER_SECRET_NAME = "rds-master";

const HEALTH_PATHS: Record<AppName, string> = {
  keycloak: "/realms/master",
  backstage: "/.backstage/health/v1/readiness",
};

/** The mirrored image of every enabled app; a missing one means the mirror step did not run. */
export function requiredImages(spec: EnvironmentSpec, inputs: PlatformInputs): Partial<Record<AppName, MirroredImage>> {
  const out: Partial<Record<AppName, MirroredImage>> = {};
  for (const app of APPS) {
    if (!spec.apps[app].enabled) continue;
    const image = inputs.images[app];
    if (!image) {
      throw new Error(`no mirrored image for ${app} (${spec.images[app].source}): the mirror step must copy it into ECR before the platform layer runs`);
    }
    out[app] = image;
  }
  return out;
}

export const platformLayer: LayerFactory<"platform"> = (spec, inputs) => async () => {
  const f = inputs.foundation;
  const images = requiredImages(spec, inputs);
  const enabled = APPS.filter((app) => spec.apps[app].enabled);
  const https = Boolean(spec.ingress.certificateArn);
  const provisioner = resolveProvisioner(spec.database.provisioner, inputs.databaseReachable);
  const applications = spec.database.applications;

  const awsProvider = new aws.Provider("aws", {
    region: spec.aws.region as aws.Region,
    allowedAccountIds: spec.aws.allowedAccountIds,
    defaultTags: { tags: environmentTags(spec) },
  });
  const k8s = new kubernetes.Provider("kubernetes", { kubeconfig: pulumi.secret(f.kubeconfig) });
  const providers = { aws: awsProvider, kubernetes: k8s };

  const labels = { "app.kubernetes.io/managed-by": "goldenpath", "goldenpath.io/environment": spec.name };
  const namespaces: Record<string, kubernetes.core.v1.Namespace> = {};
  for (const ns of [...enabled, ...(provisioner === "job" ? [PROVISIONING_NAMESPACE] : [])]) {
    namespaces[ns] = new kubernetes.core.v1.Namespace(`namespace-${ns}`, { metadata: { name: ns, labels } }, { provider: k8s });
  }
  const nsName = (ns: string) => namespaces[ns].metadata.name;

  // Each enabled app gets its credentials in its namespace; the job provisioner
  // also needs every app's credentials and the master's next to the Job.
  const syncs: SecretSync[] = [];
  for (const a of applications) {
    if (spec.apps[a.name].enabled) {
      syncs.push({ id: dbSecretName(a.name), namespace: nsName(a.name), target: dbSecretName(a.name), remoteKey: f.appSecretNames[a.name], keys: DB_SECRET_KEYS, kind: "app-db" });
    }
  }
  if (provisioner === "job") {
    const ns = nsName(PROVISIONING_NAMESPACE);
    syncs.push({ id: "provisioning-master", namespace: ns, target: MASTER_SECRET_NAME, remoteKey: f.dbMasterSecretArn, keys: ["username", "password"], kind: "rds-master" });
    for (const a of applications) {
      syncs.push({ id: `provisioning-${a.name}`, namespace: ns, target: dbSecretName(a.name), remoteKey: f.appSecretNames[a.name], keys: DB_SECRET_KEYS, kind: "app-db" });
    }
  }
  const externalSecrets = new ExternalSecrets("external-secrets", { region: f.region, roleArn: f.externalSecretsRoleArn, syncs }, { providers });

  const databaseUsers = new DatabaseUsers(
    "database-users",
    {
      provisioner,
      applications,
      host: f.dbAddress,
      port: f.dbPort,
      masterUsername: f.dbMasterUsername,
      masterSecretArn: f.dbMasterSecretArn,
      appSecretArns: f.appSecretArns,
      ...(provisioner === "job"
        ? {
            namespace: nsName(PROVISIONING_NAMESPACE),
            masterSecretName: MASTER_SECRET_NAME,
            appSecretNames: Object.fromEntries(applications.map((a) => [a.name, dbSecretName(a.name)])),
          }
        : {}),
    },
    {
      providers,
      dependsOn: provisioner === "job" ? syncs.filter((s) => s.id.startsWith("provisioning-")).map((s) => externalSecrets.externalSecrets[s.id]) : [],
    },
  );

  const dbOf = (app: AppName) => {
    const a = applications.find((x) => x.name === app);
    if (!a) throw new Error(`${app} is enabled but database.applications has no entry for it`);
    return a;
  };
  const appDeps = (app: AppName) => [externalSecrets.externalSecrets[dbSecretName(app)], databaseUsers];

  const routes: IngressRoute[] = [];
  const outputs: Record<string, unknown> = {
    environment: spec.name,
    databaseProvisioner: provisioner,
    databaseRoles: applications.map((a) => a.user),
    clusterSecretStore: externalSecrets.store.metadata.name,
    externalSecretsRelease: externalSecrets.release.status.name,
    externalSecretsReleaseStatus: externalSecrets.release.status.status,
  };
  if (databaseUsers.jobName) outputs.databaseUsersJob = databaseUsers.jobName;

  if (spec.apps.keycloak.enabled) {
    const app = spec.apps.keycloak;
    const db = dbOf("keycloak");
    const keycloak = new Keycloak(
      "keycloak",
      {
        flavor: app.flavor,
        chart: keycloakChart(app),
        namespace: nsName("keycloak"),
        imageSource: spec.images.keycloak.source,
        image: images.keycloak!,
        hostname: app.hostname,
        https,
        replicas: app.replicas,
        database: { host: f.dbAddress, port: f.dbPort, name: db.database, secretName: dbSecretName("keycloak") },
        values: app.values,
      },
      { providers, dependsOn: appDeps("keycloak") },
    );
    if (app.hostname) {
      routes.push({ app: "keycloak", namespace: nsName("keycloak"), hostname: app.hostname, serviceName: keycloak.serviceName, servicePort: keycloak.servicePort, healthCheckPath: HEALTH_PATHS.keycloak, dependsOn: [keycloak.release] });
    }
    Object.assign(outputs, {
      keycloakNamespace: nsName("keycloak"),
      keycloakRelease: keycloak.release.status.name,
      keycloakReleaseStatus: keycloak.release.status.status,
      keycloakImage: keycloak.imageRef,
      keycloakAdminSecretName: keycloak.adminSecretName,
      ...(keycloak.url ? { keycloakUrl: keycloak.url } : {}),
    });
  }

  if (spec.apps.backstage.enabled) {
    const app = spec.apps.backstage;
    const db = dbOf("backstage");
    const backstage = new Backstage(
      "backstage",
      {
        chart: app.chart,
        namespace: nsName("backstage"),
        image: images.backstage!,
        hostname: app.hostname,
        https,
        replicas: app.replicas,
        database: { secretName: dbSecretName("backstage"), name: db.database, createDb: db.createDb },
        cluster: { name: f.clusterName, endpoint: f.clusterEndpoint },
        values: app.values,
      },
      { providers, dependsOn: appDeps("backstage") },
    );
    if (app.hostname) {
      routes.push({ app: "backstage", namespace: nsName("backstage"), hostname: app.hostname, serviceName: backstage.serviceName, servicePort: backstage.servicePort, healthCheckPath: HEALTH_PATHS.backstage, dependsOn: [backstage.release] });
    }
    Object.assign(outputs, {
      backstageNamespace: nsName("backstage"),
      backstageRelease: backstage.release.status.name,
      backstageReleaseStatus: backstage.release.status.status,
      backstageImage: backstage.imageRef,
      backstageUrl: backstage.url,
    });
  }

  const ingress = new PlatformIngress(
    "ingress",
    {
      clusterName: f.clusterName,
      region: f.region,
      vpcId: f.vpcId,
      roleArn: f.loadBalancerControllerRoleArn,
      scheme: spec.ingress.scheme,
      certificateArn: spec.ingress.certificateArn,
      route53ZoneId: spec.ingress.route53ZoneId,
      groupName: `goldenpath-${spec.name}`,
      routes,
    },
    { providers },
  );
  outputs.loadBalancerControllerRelease = ingress.release.status.name;
  outputs.loadBalancerControllerReleaseStatus = ingress.release.status.status;
  for (const [app, host] of Object.entries(ingress.loadBalancerHostnames)) outputs[`${app}LoadBalancer`] = host;

  // Every deployed image must be the ECR mirror by digest; a mismatch is a bug here, not a user error.
  for (const app of enabled) {
    const expected = imageRef(images[app]!.repository, images[app]!.digest);
    if (outputs[`${app}Image`] !== expected) throw new Error(`${app} deploys ${String(outputs[`${app}Image`])}, not its mirror ${expected}`);
  }
  return outputs;
};
