import t from "tap";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, platformInputs, spec, foundation, KEYCLOAK_DIGEST, BACKSTAGE_DIGEST, SECRET_MARKER, secretValue } from "../fixtures/platform-inputs.js";

const h = await installMocks();
const { platformLayer, requiredImages } = await import("../../../programs/layers/platform.js");

const environment = spec({ database: { provisioner: "auto" } });
const inputs = platformInputs({ databaseReachable: false });
// Run the layer the way the engine does: inside a root stack, so a stack
// transformation sees every resource's registration options.
const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
  pulumi.runtime.registerStackTransformation(h.capture);
  return platformLayer(environment, inputs)();
})) as Record<string, any>;
await h.settle();

const byName = (name: string) => h.captured.get(name)!;

t.test("providers: Kubernetes from the foundation kubeconfig (secret), AWS pinned to region and account", async (t) => {
  const k = h.one("pulumi:providers:kubernetes");
  t.equal(secretValue(k.inputs.kubeconfig).secret, true);
  const a = h.one("pulumi:providers:aws");
  t.equal(a.inputs.region, "eu-west-2");
  t.match(a.inputs.allowedAccountIds, "123456789012");
  const k8sTypes = h.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:"));
  t.ok(k8sTypes.length > 10);
  t.ok(k8sTypes.every((r) => r.provider?.includes("pulumi:providers:kubernetes::kubernetes")), "every Kubernetes resource uses the foundation's cluster");
});

t.test("the layer composes namespaces, ESO, database users, Keycloak, Backstage and the ingress", async (t) => {
  const names = h.byType("kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name).sort();
  t.same(names, ["backstage", "goldenpath-system", "keycloak"], "auto with RDS unreachable uses the job, which gets its namespace");
  t.same(h.byType("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort(), ["aws-load-balancer-controller", "backstage", "external-secrets", "keycloak"]);
  t.equal(h.byType("kubernetes:external-secrets.io/v1:ClusterSecretStore").length, 1);
  t.equal(h.byType("kubernetes:batch/v1:Job").length, 1);
  t.equal(h.byType("kubernetes:networking.k8s.io/v1:Ingress").length, 2);
  t.equal(h.byType("aws:route53/record:Record").length, 2);
  t.equal(outputs.databaseProvisioner, "job");
});

t.test("every ExternalSecret depends on the ClusterSecretStore", async (t) => {
  const store = byName("external-secrets-store").resource;
  const externals = [...h.captured.values()].filter((c) => c.type === "kubernetes:external-secrets.io/v1:ExternalSecret");
  t.equal(externals.length, 5, "two app secrets, the master and two provisioning copies");
  for (const e of externals) t.ok(e.dependsOn.includes(store), e.name);
});

t.test("the provisioning Job waits for its synced secrets; the apps wait for their secret and the database users", async (t) => {
  const job = byName("database-users-job");
  for (const id of ["provisioning-master", "provisioning-keycloak", "provisioning-backstage"]) {
    t.ok(job.dependsOn.includes(byName(`external-secrets-${id}`).resource), `Job waits for ${id}`);
  }
  for (const app of ["keycloak", "backstage"]) {
    const deps = byName(`${app}-release`).dependsOn;
    t.ok(deps.includes(byName(`external-secrets-${app}-db`).resource), `${app} waits for its ExternalSecret`);
    t.ok(deps.includes(byName("database-users").resource), `${app} waits for the database users`);
  }
});

t.test("outputs: URLs, namespaces, releases and image refs by digest, secret names only", async (t) => {
  t.equal(outputs.keycloakUrl, "https://auth.dev.example.com");
  t.equal(outputs.backstageUrl, "https://portal.dev.example.com");
  t.equal(outputs.keycloakImage, `${foundation.ecrRepositoryUrls.keycloak}@${KEYCLOAK_DIGEST}`);
  t.equal(outputs.backstageImage, `${foundation.ecrRepositoryUrls.backstage}@${BACKSTAGE_DIGEST}`);
  t.equal(outputs.keycloakAdminSecretName, "keycloak-admin");
  const resolved: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(outputs)) {
    resolved[k] = pulumi.Output.isInstance(v) ? await new Promise((r) => (v as pulumi.Output<unknown>).apply(r)) : v;
  }
  t.equal(resolved.keycloakReleaseStatus, "deployed");
  t.equal(resolved.keycloakNamespace, "keycloak");
  t.equal(resolved.clusterSecretStore, "aws-secrets-manager");
  t.notMatch(JSON.stringify(resolved), SECRET_MARKER, "no generated password, fetched secret or kubeconfig token in outputs");
});

t.test("deployed images are the ECR mirrors; a missing mirror stops the layer with a clear error", async (t) => {
  const kx = h.one("kubernetes:helm.sh/v3:Release", "keycloak-release");
  t.equal(kx.inputs.values.image.repository, foundation.ecrRepositoryUrls.keycloak);
  t.equal(kx.inputs.values.image.digest, KEYCLOAK_DIGEST);
  t.throws(() => requiredImages(environment, platformInputs({ images: { keycloak: inputs.images.keycloak } })), /no mirrored image for backstage .*mirror step/);
  const noBackstage = spec({ apps: { keycloak: { hostname: "auth.dev.example.com" }, backstage: { enabled: false } } });
  t.same(Object.keys(requiredImages(noBackstage, platformInputs({ images: { keycloak: inputs.images.keycloak } }))), ["keycloak"]);
});
