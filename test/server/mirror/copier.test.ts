import t from "tap";
import { SkopeoCopier, redact, type MirrorProgressEvent } from "../../../server/mirror/copier.js";
import { StaticCredentials } from "../../../server/mirror/credentials.js";
import { MirrorCancelledError, MirrorCopyError } from "../../../server/mirror/errors.js";
import { parseImageReference } from "../../../server/mirror/reference.js";
import { buildOciImage, pushImage, registrySkipReason, startRegistry, tempDir } from "../../helpers/registry.js";

t.test("redact removes the password, user:password and its base64", async (t) => {
  const creds = [{ username: "robot", password: "hunter22" }];
  const b64 = Buffer.from("robot:hunter22").toString("base64");
  t.equal(redact(`auth ${b64} and robot:hunter22 and hunter22`, creds), "auth [redacted] and [redacted] and [redacted]");
});

const skip = await registrySkipReason();
if (skip) t.comment(`skipping copier tests: ${skip}`);

t.test("skopeo copier against real registries", { skip: skip ?? false }, async (t) => {
  const source = await startRegistry(t);
  const auth = { username: "pusher", password: "correct-horse-9" };
  const target = await startRegistry(t, { auth });
  const dir = await tempDir(t);
  const image = await buildOciImage(dir, "app", "1.0", ["amd64", "arm64"]);
  await pushImage(image, source, "team/app");
  const digest = image.platforms.arm64.manifest;
  const request = {
    image: `${source.host}/team/app:1.0`,
    platform: "linux/arm64",
    source: parseImageReference(`${source.host}/team/app@${digest}`),
    target: parseImageReference(`${target.host}/copy/app:1.0-arm64`),
    layers: [{ digest: image.platforms.arm64.layer, size: 100 }],
  };

  t.test("wrong target credentials fail with skopeo's answer, redacted", async (t) => {
    const copier = new SkopeoCopier({
      sourceCredentials: new StaticCredentials({}),
      targetCredentials: new StaticCredentials({ [target.host]: { username: "pusher", password: "not-the-password" } }),
      isInsecure: () => true,
    });
    const err = await copier.copyPlatform(request, () => {}).catch((e: unknown) => e);
    t.type(err, MirrorCopyError);
    t.match((err as Error).message, /unauthorized|authentication required/i);
    t.match((err as Error).message, `copying ${request.image} failed: skopeo exited 1 copying linux/arm64`);
    t.notMatch((err as Error).message, /not-the-password/);
  });

  t.test("a copy by platform digest lands with that digest and streams progress", async (t) => {
    const copier = new SkopeoCopier({
      sourceCredentials: new StaticCredentials({}),
      targetCredentials: new StaticCredentials({ [target.host]: auth }),
      isInsecure: () => true,
    });
    const events: MirrorProgressEvent[] = [];
    const result = await copier.copyPlatform(request, (e) => events.push(e));
    t.equal(result.digest, digest);
    t.ok((await target.blobDigests()).includes(image.platforms.arm64.layer));
    t.same(events.at(-1), { type: "mirror-progress", image: request.image, platform: "linux/arm64", phase: "done", bytes: 100, totalBytes: 100, layers: 1, totalLayers: 1, digest });
  });

  t.test("an aborted signal cancels the copy", async (t) => {
    const copier = new SkopeoCopier({ sourceCredentials: new StaticCredentials({}), targetCredentials: new StaticCredentials({ [target.host]: auth }), isInsecure: () => true });
    const controller = new AbortController();
    const pending = copier.copyPlatform({ ...request, target: parseImageReference(`${target.host}/copy/other:1`) }, () => {}, controller.signal);
    controller.abort();
    await t.rejects(pending, MirrorCancelledError);
  });

  t.test("a missing skopeo binary is a clear error", async (t) => {
    const copier = new SkopeoCopier({ sourceCredentials: new StaticCredentials({}), targetCredentials: new StaticCredentials({}), isInsecure: () => true, skopeoPath: "/nonexistent/skopeo" });
    await t.rejects(copier.copyPlatform(request, () => {}), { name: "MirrorCopyError", message: /is not installed/ });
  });
});
