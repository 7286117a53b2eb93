import t from "tap";
import { InvalidImageReferenceError } from "../../../server/mirror/errors.js";
import {
  formatImageReference,
  isLoopbackHost,
  parseImageReference,
  registryApiHost,
} from "../../../server/mirror/reference.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

t.test("Docker Hub short names get docker.io, library/ and latest", async (t) => {
  t.same(parseImageReference("nginx"), { registry: "docker.io", repository: "library/nginx", tag: "latest" });
  t.equal(formatImageReference(parseImageReference("nginx")), "docker.io/library/nginx:latest");
  t.same(parseImageReference("bitnami/keycloak:26.1.1"), { registry: "docker.io", repository: "bitnami/keycloak", tag: "26.1.1" });
  t.equal(formatImageReference(parseImageReference("index.docker.io/library/redis:7")), "docker.io/library/redis:7");
});

t.test("a first component with a dot, colon or localhost is a registry", async (t) => {
  t.same(parseImageReference("quay.io/keycloak/keycloak:26.0.5"), { registry: "quay.io", repository: "keycloak/keycloak", tag: "26.0.5" });
  t.same(parseImageReference("127.0.0.1:5000/a/b:tag"), { registry: "127.0.0.1:5000", repository: "a/b", tag: "tag" });
  t.same(parseImageReference("localhost/app"), { registry: "localhost", repository: "app", tag: "latest" });
  // A port with no tag: the colon belongs to the host.
  t.same(parseImageReference("registry.local:5000/team/app"), { registry: "registry.local:5000", repository: "team/app", tag: "latest" });
});

t.test("digests, alone and with a tag", async (t) => {
  t.same(parseImageReference(`ghcr.io/org/app@${DIGEST}`), { registry: "ghcr.io", repository: "org/app", digest: DIGEST });
  const both = parseImageReference(`ghcr.io/org/app:1.2@${DIGEST}`);
  t.same(both, { registry: "ghcr.io", repository: "org/app", tag: "1.2", digest: DIGEST });
  t.equal(formatImageReference(both), `ghcr.io/org/app:1.2@${DIGEST}`);
});

t.test("invalid references are typed errors naming the problem", async (t) => {
  for (const [input, fragment] of [
    ["", "empty"],
    ["Nginx", "lowercase"],
    ["docker://nginx", "scheme"],
    ["nginx@sha256:abc", "digest"],
    ["quay.io/x/y:bad tag", "whitespace"],
  ] as const) {
    const err = (() => {
      try {
        parseImageReference(input);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    t.type(err, InvalidImageReferenceError, input);
    t.match((err as Error).message, fragment, input);
  }
});

t.test("Docker Hub's API host and loopback detection", async (t) => {
  t.equal(registryApiHost("docker.io"), "registry-1.docker.io");
  t.equal(registryApiHost("quay.io"), "quay.io");
  t.ok(isLoopbackHost("127.0.0.1:5000"));
  t.ok(isLoopbackHost("localhost:5000"));
  t.ok(isLoopbackHost("[::1]:5000"));
  t.notOk(isLoopbackHost("registry.example.com:5000"));
});
