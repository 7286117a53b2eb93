import t, { type Test } from "tap";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseAuthChallenges, tokenUrl } from "../../../server/mirror/auth-challenge.js";
import { StaticCredentials } from "../../../server/mirror/credentials.js";
import { ImageNotFoundError, RegistryAuthError, RegistryUnreachableError } from "../../../server/mirror/errors.js";
import { MediaType } from "../../../server/mirror/media-types.js";
import { parseImageReference } from "../../../server/mirror/reference.js";
import { RegistryClient, formatPlatform } from "../../../server/mirror/registry-client.js";
import { buildOciImage, pushImage, registrySkipReason, startRegistry, tempDir } from "../../helpers/registry.js";

t.test("Bearer challenges parse realm, service and a scope with commas", async (t) => {
  const [hub] = parseAuthChallenges(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"',
  );
  t.same(hub, {
    scheme: "bearer",
    params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/nginx:pull,push" },
  });
  const url = tokenUrl(hub, "unused");
  t.equal(url?.toString(), "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull%2Cpush");
  const [ghcr] = parseAuthChallenges('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:org/app:pull"');
  t.equal(ghcr.params.service, "ghcr.io");
  const both = parseAuthChallenges('Basic realm="Registry Realm", Bearer realm="https://quay.io/v2/auth",service="quay.io"');
  t.same(both.map((c) => c.scheme), ["basic", "bearer"]);
  t.equal(tokenUrl(both[1], "repository:keycloak/keycloak:pull")?.searchParams.get("scope"), "repository:keycloak/keycloak:pull", "falls back to our scope");
  t.same(parseAuthChallenges(undefined), []);
});

const skip = await registrySkipReason();
if (skip) t.comment(`skipping registry tests: ${skip}`);

t.test("against a real docker-registry", { skip: skip ?? false }, async (t) => {
  const source = await startRegistry(t);
  const dir = await tempDir(t);
  const multi = await buildOciImage(dir, "multi", "1.0", ["amd64", "arm64"]);
  const armOnly = await buildOciImage(dir, "armonly", "2.0", ["arm64"]);
  await pushImage(multi, source, "team/multi");
  await pushImage(armOnly, source, "team/armonly");
  const client = new RegistryClient();

  t.test("a tag resolves to its index and platforms", async (t) => {
    const resolved = await client.resolve(parseImageReference(`${source.host}/team/multi:1.0`));
    t.equal(resolved.kind, "index");
    t.equal(resolved.mediaType, MediaType.ociIndex);
    t.equal(resolved.digest, multi.indexDigest);
    t.same(resolved.manifests.map((m) => formatPlatform(m.platform)), ["linux/amd64", "linux/arm64"]);
    t.same(resolved.manifests.map((m) => m.digest), [multi.platforms.amd64.manifest, multi.platforms.arm64.manifest]);
  });

  t.test("a digest resolves, and a single manifest reads its platform from the config blob", async (t) => {
    const byDigest = await client.resolve(parseImageReference(`${source.host}/team/multi@${multi.platforms.arm64.manifest}`));
    t.equal(byDigest.kind, "manifest");
    t.equal(byDigest.digest, multi.platforms.arm64.manifest);
    t.same(byDigest.manifests.map((m) => m.platform), [{ os: "linux", architecture: "arm64" }]);
    const single = await client.resolve(parseImageReference(`${source.host}/team/armonly:2.0`));
    t.equal(single.digest, armOnly.platforms.arm64.manifest);
    t.same(single.manifests.map((m) => formatPlatform(m.platform)), ["linux/arm64"]);
  });

  t.test("hasManifest answers by digest", async (t) => {
    t.ok(await client.hasManifest(parseImageReference(`${source.host}/team/multi@${multi.platforms.amd64.manifest}`)));
    t.notOk(await client.hasManifest(parseImageReference(`${source.host}/team/armonly@${multi.platforms.amd64.manifest}`)));
  });

  t.test("a missing tag is an ImageNotFoundError with the registry's answer", async (t) => {
    const err = await client.resolve(parseImageReference(`${source.host}/team/multi:9.9`)).catch((e: unknown) => e);
    t.type(err, ImageNotFoundError);
    const nf = err as ImageNotFoundError;
    t.equal(nf.registryCode, "MANIFEST_UNKNOWN");
    t.equal(nf.code, "IMAGE_NOT_FOUND");
    t.match(nf.message, `image ${source.host}/team/multi:9.9 not found: the registry answered MANIFEST_UNKNOWN`);
    t.notMatch(nf.message, /\n\s+at /, "no stack trace in the message");
    const repo = await client.resolve(parseImageReference(`${source.host}/team/nothing:1`)).catch((e: unknown) => e);
    t.type(repo, ImageNotFoundError, "an unknown repository is not found too");
    t.match((repo as ImageNotFoundError).registryCode, /^(NAME|MANIFEST)_UNKNOWN$/);
  });

  t.test("an unreachable registry is typed and names the image", async (t) => {
    await source.stop();
    const err = await client.resolve(parseImageReference(`${source.host}/team/multi:1.0`)).catch((e: unknown) => e);
    t.type(err, RegistryUnreachableError);
    t.match((err as Error).message, new RegExp(`registry ${source.host} could not serve ${source.host}/team/multi:1.0: connection refused`));
  });
});

t.test("basic auth: required, refused without or with wrong credentials, works with them", { skip: skip ?? false }, async (t) => {
  const auth = { username: "mirror", password: "s3cret-pa55" };
  const registry = await startRegistry(t, { auth });
  const dir = await tempDir(t);
  const image = await buildOciImage(dir, "app", "1.0", ["amd64"]);
  await pushImage(image, registry, "team/app");
  const ref = parseImageReference(`${registry.host}/team/app:1.0`);

  const none = await new RegistryClient().resolve(ref).catch((e: unknown) => e);
  t.type(none, RegistryAuthError);
  t.match((none as Error).message, /needs credentials and none are configured/);

  const wrong = await new RegistryClient({ credentials: new StaticCredentials({ [registry.host]: { username: "mirror", password: "wrong-guess" } }) })
    .resolve(ref)
    .catch((e: unknown) => e);
  t.type(wrong, RegistryAuthError);
  t.notMatch((wrong as Error).message, /wrong-guess/, "the password is not in the message");

  const ok = await new RegistryClient({ credentials: new StaticCredentials({ [registry.host]: auth }) }).resolve(ref);
  t.equal(ok.digest, image.platforms.amd64.manifest);
});

/**
 * A registry front that speaks Bearer like Docker Hub: 401 with a challenge
 * naming a token realm on the same tiny server, which hands out a token only
 * with the right basic credentials; valid requests are proxied to the real registry.
 */
async function bearerFront(t: Test, upstream: string, creds: { username: string; password: string }): Promise<{ host: string; tokenRequests: string[] }> {
  const token = "tok-" + Math.random().toString(36).slice(2);
  const tokenRequests: string[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    const host = req.headers.host;
    if (url.pathname === "/token") {
      tokenRequests.push(url.search);
      const expected = "Basic " + Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
      if (req.headers.authorization !== expected || url.searchParams.get("service") !== "test-registry") {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repo = url.pathname.split("/").slice(2, -2).join("/");
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="repository:${repo}:pull"`,
        "content-type": "application/json",
      });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    const answer = await fetch(`http://${upstream}${req.url}`, { method: req.method, headers: { accept: String(req.headers.accept ?? "*/*") } });
    const headers: Record<string, string> = {};
    answer.headers.forEach((v, k) => (headers[k] = v));
    delete headers["content-encoding"];
    delete headers["transfer-encoding"];
    res.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, tokenRequests };
}

t.test("bearer auth: the client follows the challenge to the token realm", { skip: skip ?? false }, async (t) => {
  const registry = await startRegistry(t);
  const dir = await tempDir(t);
  const image = await buildOciImage(dir, "multi", "1.0", ["amd64", "arm64"]);
  await pushImage(image, registry, "team/multi");
  const creds = { username: "robot", password: "robot-token-value" };
  const front = await bearerFront(t, registry.host, creds);
  const ref = parseImageReference(`${front.host}/team/multi:1.0`);

  const anonymousErr = await new RegistryClient().resolve(ref).catch((e: unknown) => e);
  t.type(anonymousErr, RegistryAuthError);
  t.match((anonymousErr as Error).message, /token service refused anonymous access/);

  const client = new RegistryClient({ credentials: new StaticCredentials({ [front.host]: creds }) });
  const resolved = await client.resolve(ref);
  t.equal(resolved.digest, image.indexDigest);
  t.match(front.tokenRequests.at(-1), /scope=repository%3Ateam%2Fmulti%3Apull/, "the scope from the challenge is sent");
  const before = front.tokenRequests.length;
  await client.resolve(parseImageReference(`${front.host}/team/multi@${image.platforms.amd64.manifest}`));
  t.equal(front.tokenRequests.length, before, "the token is cached per host and scope");
});
