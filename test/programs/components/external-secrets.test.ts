import t from "tap";
import { installMocks, foundation, promiseOf } from "../fixtures/platform-inputs.js";

const h = await installMocks();
const { ExternalSecrets, CLUSTER_SECRET_STORE, DB_SECRET_KEYS, EXTERNAL_SECRETS_CHART } = await import("../../../programs/components/external-secrets.js");
const { EXTERNAL_SECRETS_SA } = await import("../../../programs/components/irsa-role.js");

const es = new ExternalSecrets(
  "es",
  {
    region: foundation.region,
    roleArn: foundation.externalSecretsRoleArn,
    syncs: [
      { id: "keycloak-db", namespace: "keycloak", target: "keycloak-db", remoteKey: foundation.appSecretNames.keycloak, keys: DB_SECRET_KEYS, kind: "app-db" },
      { id: "backstage-db", namespace: "backstage", target: "backstage-db", remoteKey: foundation.appSecretNames.backstage, keys: DB_SECRET_KEYS, kind: "app-db" },
      { id: "provisioning-master", namespace: "goldenpath-system", target: "rds-master", remoteKey: foundation.dbMasterSecretArn, keys: ["username", "password"], kind: "rds-master" },
    ],
  },
  { transformations: [h.capture] },
);
await h.settle();
await promiseOf(es.urn);

t.test("the ESO release runs as the IRSA service account and installs its CRDs, at a pinned version", async (t) => {
  const r = h.one("kubernetes:helm.sh/v3:Release");
  t.equal(r.inputs.namespace, EXTERNAL_SECRETS_SA.namespace);
  t.equal(r.inputs.chart, "external-secrets");
  t.equal(r.inputs.version, EXTERNAL_SECRETS_CHART.version);
  t.equal(r.inputs.repositoryOpts.repo, "https://charts.external-secrets.io");
  t.equal(r.inputs.values.installCRDs, true);
  t.equal(r.inputs.values.serviceAccount.name, EXTERNAL_SECRETS_SA.name);
  t.equal(r.inputs.values.serviceAccount.annotations["eks.amazonaws.com/role-arn"], foundation.externalSecretsRoleArn);
});

t.test("the ClusterSecretStore is external-secrets.io/v1, AWS Secrets Manager in the region, JWT auth of the ESO service account", async (t) => {
  const store = h.byType("kubernetes:external-secrets.io/v1:ClusterSecretStore");
  t.equal(store.length, 1);
  const spec = store[0].inputs.spec.provider.aws;
  t.equal(store[0].inputs.apiVersion, "external-secrets.io/v1");
  t.equal(store[0].inputs.metadata.name, CLUSTER_SECRET_STORE);
  t.equal(spec.service, "SecretsManager");
  t.equal(spec.region, "eu-west-2");
  t.same(spec.auth.jwt.serviceAccountRef, { name: "external-secrets", namespace: "external-secrets" });
});

t.test("only the namespaces goldenpath syncs into may use the store (the role can read the RDS master secret)", async (t) => {
  const store = h.byType("kubernetes:external-secrets.io/v1:ClusterSecretStore")[0];
  const synced = [...new Set(h.byType("kubernetes:external-secrets.io/v1:ExternalSecret").map((e) => e.inputs.metadata.namespace as string))].sort();
  t.ok(synced.length > 0);
  t.same(store.inputs.spec.conditions, [{ namespaces: synced }]);
});

t.test("the store depends on the release, and every ExternalSecret depends on the store", async (t) => {
  const store = h.captured.get("es-store")!;
  t.ok(store.dependsOn.includes(es.release), "store waits for the CRDs/webhook");
  const externals = [...h.captured.values()].filter((c) => c.type === "kubernetes:external-secrets.io/v1:ExternalSecret");
  t.equal(externals.length, 3);
  for (const e of externals) t.ok(e.dependsOn.includes(es.store), `${e.name} depends on the ClusterSecretStore`);
});

t.test("each app ExternalSecret syncs exactly host, port, username, password from the app secret name", async (t) => {
  for (const app of ["keycloak", "backstage"]) {
    const e = h.one("kubernetes:external-secrets.io/v1:ExternalSecret", `es-${app}-db`);
    t.equal(e.inputs.apiVersion, "external-secrets.io/v1");
    t.equal(e.inputs.metadata.namespace, app);
    t.same(e.inputs.spec.secretStoreRef, { kind: "ClusterSecretStore", name: CLUSTER_SECRET_STORE });
    t.equal(e.inputs.spec.target.name, `${app}-db`);
    t.same(e.inputs.spec.data.map((d: any) => d.secretKey).sort(), ["host", "password", "port", "username"]);
    for (const d of e.inputs.spec.data) {
      t.equal(d.remoteRef.key, foundation.appSecretNames[app]);
      t.equal(d.remoteRef.property, d.secretKey);
    }
    t.equal(e.inputs.metadata.labels["goldenpath.io/secret-kind"], "app-db");
  }
});

t.test("the RDS master secret syncs by ARN into the provisioning namespace", async (t) => {
  const e = h.one("kubernetes:external-secrets.io/v1:ExternalSecret", "es-provisioning-master");
  t.equal(e.inputs.metadata.namespace, "goldenpath-system");
  t.same(e.inputs.spec.data.map((d: any) => d.remoteRef.key), [foundation.dbMasterSecretArn, foundation.dbMasterSecretArn]);
  t.equal(e.inputs.metadata.labels["goldenpath.io/secret-kind"], "rds-master");
});

t.test("duplicate sync ids are rejected up front", async (t) => {
  const sync = { id: "x", namespace: "n", target: "x", remoteKey: "k", keys: ["password"] };
  t.throws(() => new ExternalSecrets("dup", { region: "eu-west-2", roleArn: "r", syncs: [sync, sync] }), /duplicate secret sync id x/);
});
