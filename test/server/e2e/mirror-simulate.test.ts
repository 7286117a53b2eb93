/**
 * Issue 6, end to end: the service on the simulate engine, with
 * GOLDENPATH_SIMULATE_REGISTRY naming a real registry that stands in for ECR.
 * Images are built in a real source registry; the real layers run, so the
 * platform's Helm values must pin `<target>/<env>/<app>@sha256:<mirrored digest>`.
 */
import t from "tap";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { build, waitForOperation } from "../../helpers/app.js";
import { buildOciImage, pushImage, registrySkipReason, startRegistry, tempDir } from "../../helpers/registry.js";
import { RegistryClient } from "../../../server/mirror/registry-client.js";
import { anonymous } from "../../../server/mirror/credentials.js";
import { parseImageReference } from "../../../server/mirror/reference.js";

const skip = await registrySkipReason();
if (skip) t.comment(`skipping the mirror end-to-end test: ${skip}`);

t.setTimeout(600_000);

t.test("up mirrors images into the stand-in registry and the platform deploys them by digest", { skip: skip ?? false }, async (t) => {
  const source = await startRegistry(t);
  const target = await startRegistry(t);
  const dir = await tempDir(t);
  const keycloak = await buildOciImage(dir, "keycloak", "26.4.2", ["amd64", "arm64"]);
  const backstage = await buildOciImage(dir, "backstage", "1.45.0", ["amd64"]);
  const armOnly = await buildOciImage(dir, "armonly", "1.0.0", ["arm64"]);
  await pushImage(keycloak, source, "keycloak/keycloak");
  await pushImage(backstage, source, "backstage/backstage");
  await pushImage(armOnly, source, "laptop/keycloak");

  // The real layers (no GOLDENPATH_SIMULATE_PROGRAMS): the Helm values are the point.
  const h = await build(t, { env: { GOLDENPATH_SIMULATE_REGISTRY: target.host, GOLDENPATH_SIMULATE_PROGRAMS: "" } });
  const spec = {
    name: "mirror",
    aws: { region: "eu-west-2" },
    database: { deletionProtection: false, finalSnapshot: false },
    images: {
      keycloak: { source: `${source.host}/keycloak/keycloak:26.4.2` },
      backstage: { source: `${source.host}/backstage/backstage:1.45.0` },
    },
  };

  const pre = await h.call({ method: "POST", url: "/v1/environments", payload: spec });
  t.equal(pre.statusCode, 202);
  const op = await waitForOperation(h.call, pre.json().operation?.id ?? pre.json().id, undefined, 400_000);
  t.equal(op.status, "succeeded", JSON.stringify(op.error ?? {}));

  const kcDigest = keycloak.platforms.amd64.manifest;
  const bsDigest = backstage.platforms.amd64.manifest;
  const outputs = (await h.call({ method: "GET", url: "/v1/environments/mirror/outputs" })).json();
  t.equal(outputs.layers.platform.keycloakImage, `${target.host}/mirror/keycloak@${kcDigest}`, "Keycloak pinned to the amd64 manifest digest");
  t.equal(outputs.layers.platform.backstageImage, `${target.host}/mirror/backstage@${bsDigest}`);

  // The Helm release values in the (simulated) cloud hold the mirrored repository and digest.
  const platform = JSON.parse(await readFile(join(h.config.dataDir, "simulate", "mirror", "platform.json"), "utf8"));
  const releases = platform.resources.filter((r: { type: string }) => r.type === "kubernetes:helm.sh/v3:Release");
  const values = (name: string) => releases.find((r: { name: string }) => r.name.startsWith(name))?.recorded.inputs.values;
  t.same(values("keycloak")?.image?.repository, `${target.host}/mirror/keycloak`);
  t.equal(values("keycloak")?.image?.digest, kcDigest);
  t.equal(values("backstage")?.backstage?.image?.digest ?? values("backstage")?.image?.digest, bsDigest);

  // Only the amd64 platform was copied, and it is really in the target registry.
  const client = new RegistryClient({ credentials: anonymous });
  t.ok(await client.hasManifest(parseImageReference(`${target.host}/mirror/keycloak@${kcDigest}`)), "amd64 manifest in the target");
  t.notOk(await client.hasManifest(parseImageReference(`${target.host}/mirror/keycloak@${keycloak.platforms.arm64.manifest}`)), "arm64 not copied");
  const events = (await h.app.db.query("SELECT kind, data FROM operation_events WHERE operation_id = $1 ORDER BY seq", [op.id])).rows;
  t.ok(events.some((e) => e.kind === "mirror"), "mirror progress streamed as operation events");
  const mirrorPhase = op.phases.find((p: { name: string }) => p.name === "mirror");
  t.match(mirrorPhase.message, /mirrored and pinned/);

  // Preflight alone, on the stored spec: resolves the real images.
  const report = (await h.call({ method: "POST", url: "/v1/environments/mirror/preflight" })).json();
  t.equal(report.ok, true);
  t.equal(report.simulated, false);
  t.same(report.images.keycloak.platforms?.sort(), ["linux/amd64", "linux/arm64"]);

  // An arm64-only image for amd64 nodes fails in preflight, before anything is deployed.
  const bad = await h.call({
    method: "POST",
    url: "/v1/environments",
    payload: { ...spec, name: "laptop", images: { ...spec.images, keycloak: { source: `${source.host}/laptop/keycloak:1.0.0` } } },
  });
  const failed = await waitForOperation(h.call, bad.json().operation?.id ?? bad.json().id, undefined, 120_000);
  t.equal(failed.status, "failed");
  t.equal(failed.error.code, "PREFLIGHT_FAILED");
  t.match(failed.error.message, /laptop\/keycloak:1\.0\.0 has platforms linux\/arm64 but node groups general \(amd64\) need linux\/amd64/);
  t.notOk(failed.phases.some((p: { name: string; status: string }) => p.name === "foundation" && p.status === "succeeded"), "no layer ran");
});
