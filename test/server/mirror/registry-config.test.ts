import t from "tap";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatImageReference, parseImageReference } from "../../../server/mirror/reference.js";
import {
  applyRegistryMirrors,
  loadDockerConfig,
  parseDockerConfig,
  parseRegistryMirrors,
} from "../../../server/mirror/registry-config.js";

t.test("the mirrors setting rewrites sources to the pull-through cache", async (t) => {
  const mirrors = parseRegistryMirrors("docker.io=mirror.example.com/dockerhub, quay.io=cache.internal:5000");
  t.same(mirrors, [
    { registry: "docker.io", mirrorRegistry: "mirror.example.com", mirrorPrefix: "dockerhub" },
    { registry: "quay.io", mirrorRegistry: "cache.internal:5000", mirrorPrefix: "" },
  ]);
  const rewrite = (s: string): string => formatImageReference(applyRegistryMirrors(parseImageReference(s), mirrors));
  t.equal(rewrite("nginx:1.27"), "mirror.example.com/dockerhub/library/nginx:1.27");
  t.equal(rewrite("bitnamilegacy/keycloak:26.1.1"), "mirror.example.com/dockerhub/bitnamilegacy/keycloak:26.1.1");
  t.equal(rewrite("quay.io/keycloak/keycloak:26.0.5"), "cache.internal:5000/keycloak/keycloak:26.0.5");
  t.equal(rewrite("ghcr.io/org/app:1"), "ghcr.io/org/app:1", "registries without a mirror are untouched");
  t.same(parseRegistryMirrors(undefined), []);
  t.same(parseRegistryMirrors("  "), []);
});

t.test("a malformed mirrors setting names the entry", async (t) => {
  t.throws(() => parseRegistryMirrors("docker.io"), { name: "RegistryMirrorsSettingError", code: "INVALID_REGISTRY_MIRRORS", message: /"docker\.io" must be/ });
  t.throws(() => parseRegistryMirrors("docker.io=mirror.example.com,docker.io=other.example.com"), /given twice/);
  t.throws(() => parseRegistryMirrors("docker.io=bad_host!/x"), /"docker\.io=bad_host!\/x"/);
});

t.test("credentials come from a Docker config.json, keyed by normalised host", async (t) => {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const creds = parseDockerConfig({
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:hub:pass") },
      "ghcr.io": { auth: b64("gh:token") },
      "registry.local:5000": { username: "u", password: "p" },
    },
    credHelpers: { "123456789012.dkr.ecr.eu-west-2.amazonaws.com": "ecr-login" },
  });
  t.same(await creds.credentialsFor("docker.io"), { username: "hubuser", password: "hub:pass" }, "password may contain colons");
  t.same(await creds.credentialsFor("registry-1.docker.io"), { username: "hubuser", password: "hub:pass" });
  t.same(await creds.credentialsFor("ghcr.io"), { username: "gh", password: "token" });
  t.same(await creds.credentialsFor("registry.local:5000"), { username: "u", password: "p" });
  t.equal(await creds.credentialsFor("quay.io"), undefined);
  t.same(creds.helperHosts, ["123456789012.dkr.ecr.eu-west-2.amazonaws.com"]);
});

t.test("config.json errors never echo its content", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "gp-dockercfg-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "config.json");
  await writeFile(path, '{"auths": {"x.io": {"auth": "c2VjcmV0LXZhbHVl"}');
  const err = await loadDockerConfig(path).then(() => undefined, (e: Error) => e);
  t.match(err?.message, /not valid JSON/);
  t.notMatch(err?.message, /c2VjcmV0/, "the auth value is not echoed");
  await writeFile(path, JSON.stringify({ auths: { "x.io": { auth: Buffer.from("u:s3cret").toString("base64") } } }));
  t.same(await (await loadDockerConfig(path)).credentialsFor("x.io"), { username: "u", password: "s3cret" });
  await t.rejects(loadDockerConfig(join(dir, "missing.json")), /ENOENT/);
});
