import t from "tap";
import { chartName, describeChart, releaseChartArgs } from "../../../programs/components/chart.js";
import { deepMerge, isBitnamiLayoutImage, splitImage } from "../../../programs/components/values.js";
import { BACKSTAGE_CHART, KEYCLOAKX_CHART } from "../../../programs/spec.js";

t.test("a repository chart becomes repositoryOpts.repo + chart name + pinned version", async (t) => {
  t.same(releaseChartArgs(KEYCLOAKX_CHART), { chart: "keycloakx", version: KEYCLOAKX_CHART.version, repositoryOpts: { repo: KEYCLOAKX_CHART.repo } });
  t.same(releaseChartArgs(BACKSTAGE_CHART).repositoryOpts, { repo: "https://backstage.github.io/charts" });
});

t.test("an oci:// chart is passed whole as the chart, with its version and no repositoryOpts", async (t) => {
  const args = releaseChartArgs({ oci: "oci://registry-1.docker.io/bitnamicharts/keycloak", version: "24.7.1" });
  t.same(args, { chart: "oci://registry-1.docker.io/bitnamicharts/keycloak", version: "24.7.1" });
  t.equal(chartName({ oci: "oci://registry-1.docker.io/bitnamicharts/keycloak", version: "24.7.1" }), "keycloak");
});

t.test("a local chart path is the chart, without a version", async (t) => {
  t.same(releaseChartArgs({ path: "./charts/backstage" }), { chart: "./charts/backstage" });
  t.equal(chartName({ path: "/tmp/backstage-2.5.1.tgz" }), "backstage");
  t.equal(describeChart({ path: "./charts/backstage" }), "./charts/backstage");
});

t.test("user values merge over generated values; arrays and outputs are replaced, null deletes", async (t) => {
  const base = { image: { repository: "r", digest: "d", pullPolicy: "IfNotPresent" }, args: ["start"], drop: { a: 1 } };
  const merged = deepMerge(base, { image: { pullPolicy: "Always" }, args: ["start-dev"], drop: null });
  t.same(merged, { image: { repository: "r", digest: "d", pullPolicy: "Always" }, args: ["start-dev"] });
  t.same(base.image.pullPolicy, "IfNotPresent", "the generated values are not mutated");
});

t.test("image references split into registry/repository/tag/digest, Docker Hub included", async (t) => {
  t.same(splitImage("123456789012.dkr.ecr.eu-west-2.amazonaws.com/dev/keycloak"), { registry: "123456789012.dkr.ecr.eu-west-2.amazonaws.com", repository: "dev/keycloak" });
  t.same(splitImage("bitnami/keycloak:26.1.1"), { registry: "docker.io", repository: "bitnami/keycloak", tag: "26.1.1" });
  t.same(splitImage("postgres:16"), { registry: "docker.io", repository: "library/postgres", tag: "16" });
});

t.test("Bitnami-layout images are recognised by owner, official ones are not", async (t) => {
  for (const s of ["bitnami/keycloak:26.1.1", "docker.io/bitnamilegacy/keycloak:26.1.1", "public.ecr.aws/bitnami/keycloak:26.1.1"]) t.ok(isBitnamiLayoutImage(s), s);
  for (const s of ["quay.io/keycloak/keycloak:26.4.2", "ghcr.io/backstage/backstage:1.45.0", "docker.io/library/keycloak:1"]) t.notOk(isBitnamiLayoutImage(s), s);
});
