import t from "tap";
import { parse } from "yaml";
import { installMocks, foundation, KEYCLOAK_DIGEST, SECRET_MARKER, promiseOf, secretValue } from "../fixtures/platform-inputs.js";

const h = await installMocks();
const { Keycloak, KEYCLOAK_ADMIN_SECRET } = await import("../../../programs/components/keycloak.js");
const { KEYCLOAKX_CHART } = await import("../../../programs/spec.js");

const BITNAMI_CHART = { oci: "oci://registry-1.docker.io/bitnamicharts/keycloak", version: "24.7.1" };
const base = {
  namespace: "keycloak",
  image: { repository: foundation.ecrRepositoryUrls.keycloak, digest: KEYCLOAK_DIGEST },
  hostname: "auth.dev.example.com",
  https: true,
  database: { host: foundation.dbAddress, port: foundation.dbPort, name: "keycloak", secretName: "keycloak-db" },
};

const kx = new Keycloak("kx", { ...base, flavor: "keycloakx", chart: KEYCLOAKX_CHART, imageSource: "quay.io/keycloak/keycloak:26.4.2", values: { resources: { requests: { cpu: "500m" } } } }, { transformations: [h.capture] });
const bn = new Keycloak("bn", { ...base, namespace: "keycloak-b", flavor: "bitnami", chart: BITNAMI_CHART, imageSource: "public.ecr.aws/bitnami/keycloak:26.3.1" }, { transformations: [h.capture] });
await h.settle();
await Promise.all([promiseOf(kx.urn), promiseOf(bn.urn)]);
const release = (name: string) => h.one("kubernetes:helm.sh/v3:Release", `${name}-release`);

t.test("keycloakx deploys the official image from ECR by digest with IfNotPresent", async (t) => {
  const v = release("kx").inputs.values;
  t.equal(release("kx").inputs.chart, "keycloakx");
  t.equal(release("kx").inputs.repositoryOpts.repo, KEYCLOAKX_CHART.repo);
  t.same(v.image, { repository: foundation.ecrRepositoryUrls.keycloak, digest: KEYCLOAK_DIGEST, pullPolicy: "IfNotPresent" });
  t.equal(kx.imageRef, `${foundation.ecrRepositoryUrls.keycloak}@${KEYCLOAK_DIGEST}`);
  t.same([...v.command, ...v.args], ["/opt/keycloak/bin/kc.sh", "start"]);
  t.same(v.resources, { requests: { cpu: "500m" } }, "user values are merged in");
});

t.test("keycloakx: KC_DB* with TLS, credentials and bootstrap admin by secretKeyRef, proxy headers and hostname", async (t) => {
  const env: any[] = parse(release("kx").inputs.values.extraEnv);
  const e = Object.fromEntries(env.map((x) => [x.name, x]));
  t.equal(e.KC_DB.value, "postgres");
  t.equal(e.KC_DB_URL_HOST.value, foundation.dbAddress);
  t.equal(e.KC_DB_URL_PORT.value, "5432");
  t.equal(e.KC_DB_URL_DATABASE.value, "keycloak");
  t.match(e.KC_DB_URL_PROPERTIES.value, /sslmode=require/);
  t.same(e.KC_DB_USERNAME.valueFrom.secretKeyRef, { name: "keycloak-db", key: "username" });
  t.same(e.KC_DB_PASSWORD.valueFrom.secretKeyRef, { name: "keycloak-db", key: "password" });
  t.same(e.KC_BOOTSTRAP_ADMIN_USERNAME.valueFrom.secretKeyRef, { name: KEYCLOAK_ADMIN_SECRET, key: "username" });
  t.same(e.KC_BOOTSTRAP_ADMIN_PASSWORD.valueFrom.secretKeyRef, { name: KEYCLOAK_ADMIN_SECRET, key: "password" });
  t.equal(e.KC_PROXY_HEADERS.value, "xforwarded");
  t.equal(e.KC_HTTP_ENABLED.value, "true");
  t.equal(e.KC_HOSTNAME.value, "https://auth.dev.example.com");
  t.equal(release("kx").inputs.values.health.enabled, true);
  t.equal(release("kx").inputs.values.proxy.enabled, false, "no KC_PROXY (removed in Keycloak 26)");
});

t.test("the bootstrap admin password is generated into a Secret and never into values", async (t) => {
  const secret = h.one("kubernetes:core/v1:Secret", "kx-admin");
  t.equal(secret.inputs.metadata.name, KEYCLOAK_ADMIN_SECRET);
  const data = secretValue(secret.inputs.stringData);
  t.equal(data.secret, true, "stringData is a secret input");
  t.same(data.value, { username: "admin", password: `generated-kx-admin-password-${SECRET_MARKER}` });
  t.notMatch(JSON.stringify(release("kx").inputs), SECRET_MARKER);
  t.ok(h.captured.get("kx-release")!.dependsOn.some((r) => r === h.captured.get("kx-admin")!.resource), "the release waits for the admin Secret");
});

t.test("bitnami flavor with a Bitnami image: ECR registry/repository/digest and allowInsecureImages", async (t) => {
  const r = release("bn");
  const v = r.inputs.values;
  t.equal(r.inputs.chart, BITNAMI_CHART.oci);
  t.equal(v.global.security.allowInsecureImages, true);
  t.same(v.image, { registry: foundation.ecrRegistry, repository: "dev/keycloak", digest: KEYCLOAK_DIGEST, pullPolicy: "IfNotPresent" });
  t.equal(v.postgresql.enabled, false);
  t.equal(v.externalDatabase.existingSecret, "keycloak-db");
  t.equal(v.externalDatabase.existingSecretPasswordKey, "password");
  t.equal(v.auth.existingSecret, KEYCLOAK_ADMIN_SECRET);
  t.equal(v.proxyHeaders, "xforwarded");
});

t.test("bitnami chart with the official image is refused (the incident's exec format error)", async (t) => {
  t.throws(
    () => new Keycloak("bad1", { ...base, flavor: "bitnami", chart: BITNAMI_CHART, imageSource: "quay.io/keycloak/keycloak:26.4.2" }),
    /Bitnami Keycloak chart needs a Bitnami-layout image.*\/opt\/bitnami\/scripts/s,
  );
});

t.test("keycloakx with a Bitnami image, or bitnami flavor left on the keycloakx chart, is refused", async (t) => {
  t.throws(() => new Keycloak("bad2", { ...base, flavor: "keycloakx", chart: KEYCLOAKX_CHART, imageSource: "bitnamilegacy/keycloak:26.1.1" }), /keycloakx chart runs the official Keycloak image/);
  t.throws(() => new Keycloak("bad3", { ...base, flavor: "bitnami", chart: KEYCLOAKX_CHART, imageSource: "bitnami/keycloak:26.1.1" }), /flavor bitnami needs apps.keycloak.chart/);
  t.throws(() => new Keycloak("bad4", { ...base, flavor: "keycloakx", chart: KEYCLOAKX_CHART, imageSource: "quay.io/keycloak/keycloak:26.4.2", image: { repository: "r", digest: "latest" } }), /not a sha256 digest/);
});
