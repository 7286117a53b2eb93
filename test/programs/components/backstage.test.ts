import t from "tap";
import { installMocks, foundation, BACKSTAGE_DIGEST, SECRET_MARKER, promiseOf, secretValue } from "../fixtures/platform-inputs.js";

const h = await installMocks();
const { Backstage, BACKSTAGE_AUTH_SECRET, BACKSTAGE_READER_TOKEN, backstageValues } = await import("../../../programs/components/backstage.js");
const { BACKSTAGE_CHART } = await import("../../../programs/spec.js");

const base = {
  chart: BACKSTAGE_CHART,
  namespace: "backstage",
  image: { repository: foundation.ecrRepositoryUrls.backstage, digest: BACKSTAGE_DIGEST },
  hostname: "portal.dev.example.com",
  https: true,
  database: { secretName: "backstage-db", name: "backstage", createDb: true },
  cluster: { name: foundation.clusterName, endpoint: foundation.clusterEndpoint },
};
const bs = new Backstage("bs", base, { transformations: [h.capture] });
await h.settle();
await promiseOf(bs.urn);
const values = () => h.one("kubernetes:helm.sh/v3:Release").inputs.values;

t.test("the image is the ECR mirror by digest, registry and repository split for the chart", async (t) => {
  t.same(values().backstage.image, { registry: foundation.ecrRegistry, repository: "dev/backstage", digest: BACKSTAGE_DIGEST, pullPolicy: "IfNotPresent" });
  t.equal(bs.imageRef, `${foundation.ecrRepositoryUrls.backstage}@${BACKSTAGE_DIGEST}`);
  t.equal(values().postgresql.enabled, false);
});

t.test("backend.auth key is ${BACKEND_SECRET} from a generated Secret, never a literal", async (t) => {
  const v = values();
  t.same(v.backstage.appConfig.backend.auth.keys, [{ secret: "${BACKEND_SECRET}" }]);
  t.same(v.backstage.extraEnvVarsSecrets, [BACKSTAGE_AUTH_SECRET]);
  const secret = h.one("kubernetes:core/v1:Secret", "bs-backend-auth");
  const data = secretValue(secret.inputs.stringData);
  t.equal(data.secret, true);
  t.same(data.value, { BACKEND_SECRET: `generated-bs-backend-key-${SECRET_MARKER}` });
  t.notMatch(JSON.stringify(h.one("kubernetes:helm.sh/v3:Release").inputs), SECRET_MARKER);
  const key = h.one("random:index/randomPassword:RandomPassword");
  t.ok(key.inputs.length >= 32);
});

t.test("the Kubernetes plugin is configured: multiTenant, config locator for its own cluster, token by env", async (t) => {
  const k = values().backstage.appConfig.kubernetes;
  t.same(k.serviceLocatorMethod, { type: "multiTenant" });
  t.equal(k.clusterLocatorMethods[0].type, "config");
  const c = k.clusterLocatorMethods[0].clusters[0];
  t.equal(c.name, foundation.clusterName);
  t.equal(c.url, foundation.clusterEndpoint);
  t.equal(c.authProvider, "serviceAccount");
  t.equal(c.serviceAccountToken, "${KUBERNETES_SERVICE_ACCOUNT_TOKEN}");
  t.equal(c.skipTLSVerify, false);
  const env = values().backstage.extraEnvVars.find((e: any) => e.name === "KUBERNETES_SERVICE_ACCOUNT_TOKEN");
  t.same(env.valueFrom.secretKeyRef, { name: BACKSTAGE_READER_TOKEN, key: "token" });
  const token = h.one("kubernetes:core/v1:Secret", "bs-reader-token");
  t.equal(token.inputs.type, "kubernetes.io/service-account-token");
  const role = h.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
  const verbs = new Set(role.inputs.rules.flatMap((r: any) => r.verbs));
  t.same([...verbs].sort(), ["get", "list", "watch"], "read-only");
});

t.test("database over TLS with credentials from the synced secret; database per plugin allowed by CREATEDB", async (t) => {
  const db = values().backstage.appConfig.backend.database;
  t.equal(db.client, "pg");
  t.equal(db.connection.password, "${POSTGRES_PASSWORD}");
  t.equal(db.connection.ssl.require, true);
  t.equal(db.pluginDivisionMode, undefined, "default: one database per plugin");
  const env = Object.fromEntries(values().backstage.extraEnvVars.map((e: any) => [e.name, e]));
  for (const [name, key] of [["POSTGRES_HOST", "host"], ["POSTGRES_PORT", "port"], ["POSTGRES_USER", "username"], ["POSTGRES_PASSWORD", "password"]]) {
    t.same(env[name].valueFrom.secretKeyRef, { name: "backstage-db", key });
  }
  const withCa = backstageValues({ ...base, database: { ...base.database, createDb: false, caBundle: "-----BEGIN CERTIFICATE-----" } }) as any;
  t.same(withCa.backstage.appConfig.backend.database.connection.ssl, { require: true, rejectUnauthorized: true, ca: "-----BEGIN CERTIFICATE-----" });
  t.equal(withCa.backstage.appConfig.backend.database.pluginDivisionMode, "schema", "without CREATEDB plugins share the app database");
  t.equal(withCa.backstage.appConfig.backend.database.connection.database, "backstage");
});

t.test("app.baseUrl, backend.baseUrl and CORS origin follow the hostname (https with a certificate)", async (t) => {
  const cfg = values().backstage.appConfig;
  t.equal(cfg.app.baseUrl, "https://portal.dev.example.com");
  t.equal(cfg.backend.baseUrl, "https://portal.dev.example.com");
  t.equal(cfg.backend.cors.origin, "https://portal.dev.example.com");
  const plain = backstageValues({ ...base, https: false }) as any;
  t.equal(plain.backstage.appConfig.app.baseUrl, "http://portal.dev.example.com");
});
