/**
 * Small layer programs for the service's end-to-end tests, run by the real
 * `SimulateEngine` through its `programModule` seam. Resources are declared
 * with their real type tokens but as bare `CustomResource`s, so the child
 * process loads only `@pulumi/pulumi` (the provider SDKs take seconds to
 * import) while the simulate engine's cloud model still answers with
 * realistic ids, endpoints and a generated database password.
 *
 * Which spec field reaches which resource is chosen so tests can predict a
 * diff: `database.instanceClass` reaches only the RDS instance.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentSpec } from "../../programs/spec.js";
import type { PlatformInputs } from "../../programs/layers/types.js";

class Res extends pulumi.CustomResource {
  [key: string]: any;
  constructor(type: string, name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super(type, name, props, opts);
  }
}

export function foundationLayer(spec: EnvironmentSpec) {
  return async () => {
    const vpc = new Res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16", vpcId: undefined, arn: undefined });
    const cluster = new Res("aws:eks/cluster:Cluster", "cluster", { name: `${spec.name}-eks`, version: spec.cluster.version, endpoint: undefined, arn: undefined });
    const password = new Res("random:index/randomPassword:RandomPassword", "db-password", { length: 24, special: false, result: undefined }, { additionalSecretOutputs: ["result"] });
    const db = new Res("aws:rds/instance:Instance", "db", {
      identifier: `${spec.name}-postgres`,
      engine: "postgres",
      instanceClass: spec.database.instanceClass,
      password: password.result,
      address: undefined,
      port: undefined,
    });
    const secrets = spec.database.applications.map((a) => new Res("aws:secretsmanager/secret:Secret", `${a.name}-db`, { name: `${spec.secretsPrefix}/${spec.name}/${a.name}/db`, arn: undefined }));
    return {
      region: spec.aws.region,
      accountId: "123456789012",
      vpcId: vpc.id,
      clusterName: cluster.name,
      clusterEndpoint: cluster.endpoint,
      ecrRegistry: `123456789012.dkr.ecr.${spec.aws.region}.amazonaws.com`,
      dbAddress: db.address,
      appSecretNames: Object.fromEntries(spec.database.applications.map((a, i) => [a.name, secrets[i].name])),
      kubeconfig: pulumi.secret(pulumi.interpolate`{"server":"${cluster.endpoint}","password":"${password.result}"}`),
    };
  };
}

export function platformLayer(spec: EnvironmentSpec, inputs: PlatformInputs) {
  return async () => {
    const store = new Res("kubernetes:external-secrets.io/v1:ClusterSecretStore", "aws-secrets", { metadata: { name: "aws-secrets" }, region: spec.aws.region });
    const apps = Object.entries(inputs.images).map(
      ([app, image]) => new Res("kubernetes:apps/v1:Deployment", app, { metadata: { name: app, namespace: app }, image: `${image!.repository}@${image!.digest}` }, { dependsOn: [store] }),
    );
    return {
      apps: apps.length,
      keycloakUrl: spec.apps.keycloak.hostname ? `https://${spec.apps.keycloak.hostname}` : `http://keycloak.${spec.name}.internal`,
      clusterName: inputs.foundation.clusterName,
    };
  };
}
