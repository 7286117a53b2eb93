import t from "tap";
import { SkopeoCopier, type Copier, type MirrorProgressEvent } from "../../../server/mirror/copier.js";
import { StaticCredentials } from "../../../server/mirror/credentials.js";
import { ImageNotFoundError, PlatformMissingError } from "../../../server/mirror/errors.js";
import { MediaType } from "../../../server/mirror/media-types.js";
import { mirrorImages, type MirrorImagesOptions } from "../../../server/mirror/mirror.js";
import { runPreflight } from "../../../server/mirror/preflight.js";
import { parseImageReference } from "../../../server/mirror/reference.js";
import { RegistryClient, formatPlatform } from "../../../server/mirror/registry-client.js";
import { parseRegistryMirrors } from "../../../server/mirror/registry-config.js";
import { buildOciImage, pushImage, registrySkipReason, startRegistry, tempDir } from "../../helpers/registry.js";

const skip = await registrySkipReason();
if (skip) t.comment(`skipping mirror tests: ${skip}`);

t.test("mirror and preflight against real registries", { skip: skip ?? false }, async (t) => {
  const source = await startRegistry(t);
  const targetAuth = { username: "ecr-standin", password: "target-pa55word" };
  const target = await startRegistry(t, { auth: targetAuth });
  const dir = await tempDir(t);
  const multi = await buildOciImage(dir, "multi", "1.0", ["amd64", "arm64"]);
  const armOnly = await buildOciImage(dir, "armonly", "2.0", ["arm64"]);
  await pushImage(multi, source, "team/multi");
  await pushImage(multi, source, "hub/team/multi"); // the "pull-through cache" copy
  await pushImage(armOnly, source, "team/armonly");

  const credentials = new StaticCredentials({ [target.host]: targetAuth });
  /** Counts skopeo runs, so "copies nothing" means no copier call at all. */
  const counting = (): Copier & { calls: string[] } => {
    const real = new SkopeoCopier({ sourceCredentials: new StaticCredentials({}), targetCredentials: credentials, isInsecure: () => true });
    const calls: string[] = [];
    return {
      calls,
      copyPlatform: (request, onEvent, signal) => {
        calls.push(request.platform);
        return real.copyPlatform(request, onEvent, signal);
      },
    };
  };
  const base = (over: Partial<MirrorImagesOptions>): MirrorImagesOptions => ({
    images: {},
    nodeGroups: [{ name: "general", architecture: "amd64" }],
    target: { registry: target.host, repositoryFor: (app) => `dev/${app}` },
    credentials,
    ...over,
  });
  const targetClient = new RegistryClient({ credentials });

  t.test("amd64 mirror copies only the amd64 manifest and blobs, keeping its digest", async (t) => {
    const copier = counting();
    const events: MirrorProgressEvent[] = [];
    const result = await mirrorImages(base({ images: { keycloak: `${source.host}/team/multi:1.0` }, copier, onEvent: (e) => events.push(e) }));
    const kc = result.keycloak;
    t.equal(kc.digest, multi.platforms.amd64.manifest, "target digest is the source platform manifest digest");
    t.same(kc.platforms, { amd64: multi.platforms.amd64.manifest });
    t.equal(kc.repository, `${target.host}/dev/keycloak`);
    t.equal(kc.reference, `${target.host}/dev/keycloak@${multi.platforms.amd64.manifest}`);
    t.equal(kc.sourceDigest, multi.indexDigest);
    t.equal(kc.copied, true);
    t.same(copier.calls, ["linux/amd64"]);

    const blobs = await target.blobDigests();
    for (const d of Object.values(multi.platforms.amd64)) t.ok(blobs.includes(d), `amd64 ${d.slice(0, 19)} present`);
    for (const d of Object.values(multi.platforms.arm64)) t.notOk(blobs.includes(d), `arm64 ${d.slice(0, 19)} absent`);
    t.notOk(blobs.includes(multi.indexDigest!), "the source index is not copied");

    const stored = await targetClient.resolve(parseImageReference(`${target.host}/dev/keycloak:${kc.tag}`));
    t.equal(stored.digest, multi.platforms.amd64.manifest, "the tag points at the platform manifest");

    const phases = events.filter((e) => e.platform === "linux/amd64").map((e) => e.phase);
    t.same(phases.filter((p) => p !== "blob" && p !== "config"), ["start", "manifest", "done"]);
    t.ok(phases.includes("blob"), "a blob event was streamed");
    const done = events.find((e) => e.phase === "done");
    t.equal(done?.layers, 1);
    t.ok((done?.bytes ?? 0) > 0 && done?.bytes === done?.totalBytes, "bytes add up to the total");
    t.notMatch(JSON.stringify(events), /target-pa55word|ZWNyLXN0YW5kaW46/, "no credentials in events");
  });

  t.test("a second mirror of the same image copies nothing", async (t) => {
    const copier = counting();
    const events: MirrorProgressEvent[] = [];
    const result = await mirrorImages(base({ images: { keycloak: `${source.host}/team/multi:1.0` }, copier, onEvent: (e) => events.push(e) }));
    t.equal(result.keycloak.copied, false);
    t.equal(result.keycloak.digest, multi.platforms.amd64.manifest);
    t.same(copier.calls, [], "skopeo never ran");
    t.ok(events.some((e) => e.phase === "skipped" && e.digest === multi.platforms.amd64.manifest));
  });

  t.test("both architectures push an index referencing exactly both manifests", async (t) => {
    const copier = counting();
    const result = await mirrorImages(base({
      images: { backstage: `${source.host}/team/multi:1.0` },
      nodeGroups: [{ name: "general", architecture: "amd64" }, { name: "graviton", architecture: "arm64" }],
      copier,
    }));
    const bs = result.backstage;
    t.same(copier.calls.sort(), ["linux/amd64", "linux/arm64"]);
    t.same(bs.platforms, { amd64: multi.platforms.amd64.manifest, arm64: multi.platforms.arm64.manifest });
    const index = await targetClient.resolve(parseImageReference(`${bs.reference.replace(/@.*/, "")}@${bs.digest}`));
    t.equal(index.kind, "index");
    t.equal(index.mediaType, MediaType.ociIndex);
    t.same(index.manifests.map((m) => [formatPlatform(m.platform), m.digest]), [
      ["linux/amd64", multi.platforms.amd64.manifest],
      ["linux/arm64", multi.platforms.arm64.manifest],
    ]);
    const byTag = await targetClient.resolve(parseImageReference(`${target.host}/dev/backstage:${bs.tag}`));
    t.equal(byTag.digest, bs.digest, "the tag points at the index");

    const again = counting();
    const second = await mirrorImages(base({
      images: { backstage: `${source.host}/team/multi:1.0` },
      nodeGroups: [{ name: "general", architecture: "amd64" }, { name: "graviton", architecture: "arm64" }],
      copier: again,
    }));
    t.equal(second.backstage.copied, false, "index and manifests already there");
    t.same(again.calls, []);
  });

  t.test("an arm64-only image fails for amd64 node groups, naming image, platforms and node groups, and copies nothing", async (t) => {
    const copier = counting();
    const before = await target.blobDigests();
    const image = `${source.host}/team/armonly:2.0`;
    const expected = `image ${image} has platforms linux/arm64 but node groups general (amd64), batch (amd64) need linux/amd64`;
    const err = await mirrorImages(base({
      images: { ok: `${source.host}/team/multi:1.0`, broken: image },
      nodeGroups: [{ name: "general", architecture: "amd64" }, { name: "batch", architecture: "amd64" }],
      target: { registry: target.host, repositoryFor: (app) => `fresh/${app}` },
      copier,
    })).catch((e: unknown) => e);
    t.type(err, PlatformMissingError);
    t.equal((err as Error).message, expected);
    t.same(copier.calls, [], "nothing copied, not even the valid image");
    t.same((await target.blobDigests()).sort(), before.sort(), "target unchanged");

    const preflight = await runPreflight({
      images: { keycloak: { source: image } },
      nodeGroups: [{ name: "general", architecture: "amd64" }, { name: "batch", architecture: "amd64" }],
    });
    t.equal(preflight.ok, false);
    t.same(preflight.findings.map((f) => [f.rule, f.severity, f.image, f.message]), [["image-platform", "error", image, expected]]);
    t.same(preflight.images.keycloak.platforms, ["linux/arm64"]);
  });

  t.test("a missing tag fails with the registry's answer as a typed error", async (t) => {
    const image = `${source.host}/team/multi:does-not-exist`;
    const err = await mirrorImages(base({ images: { keycloak: image }, copier: counting() })).catch((e: unknown) => e);
    t.type(err, ImageNotFoundError);
    t.equal((err as ImageNotFoundError).registryCode, "MANIFEST_UNKNOWN");
    t.match((err as Error).message, `image ${image} not found: the registry answered MANIFEST_UNKNOWN`);

    const preflight = await runPreflight({ images: { keycloak: { source: image } }, nodeGroups: [{ name: "general", architecture: "amd64" }] });
    t.same(preflight.findings.map((f) => [f.rule, f.severity]), [["image-resolves", "error"]]);
    t.match(preflight.findings[0].message, /MANIFEST_UNKNOWN/);
  });

  t.test("Docker-format images keep their family: the pushed index is a Docker manifest list", async (t) => {
    await pushImage(multi, source, "team/docker", { dockerFormat: true });
    const src = await new RegistryClient().resolve(parseImageReference(`${source.host}/team/docker:1.0`));
    t.equal(src.mediaType, MediaType.dockerManifestList);
    const result = await mirrorImages(base({
      images: { app: `${source.host}/team/docker:1.0` },
      nodeGroups: [{ name: "general", architecture: "amd64" }, { name: "graviton", architecture: "arm64" }],
      target: { registry: target.host, repositoryFor: () => "docker/app" },
    }));
    const index = await targetClient.resolve(parseImageReference(`${target.host}/docker/app@${result.app.digest}`));
    t.equal(index.mediaType, MediaType.dockerManifestList);
    t.same(index.manifests.map((m) => [m.mediaType, m.digest]), src.manifests.map((m) => [MediaType.dockerManifest, m.digest]));
  });

  t.test("a registry mirror setting pulls through the cache and records both names", async (t) => {
    const mirrors = parseRegistryMirrors(`docker.io=${source.host}/hub`);
    const result = await mirrorImages(base({
      images: { app: "team/multi:1.0" },
      mirrors,
      target: { registry: target.host, repositoryFor: () => "cached/app" },
    }));
    t.equal(result.app.source, "docker.io/team/multi:1.0");
    t.equal(result.app.pulledFrom, `${source.host}/hub/team/multi:1.0`);
    t.equal(result.app.digest, multi.platforms.amd64.manifest);
    const preflight = await runPreflight({ images: { app: { source: "team/multi:1.0" } }, nodeGroups: [{ name: "g", architecture: "arm64" }] }, { mirrors });
    t.equal(preflight.ok, true);
    t.equal(preflight.images.app.digest, multi.indexDigest);
  });
});
