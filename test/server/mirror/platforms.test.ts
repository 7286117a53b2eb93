import t from "tap";
import { matchPlatforms, pickPlatform } from "../../../server/mirror/platforms.js";
import type { PlatformManifest } from "../../../server/mirror/registry-client.js";

const m = (architecture: string, variant?: string, os = "linux"): PlatformManifest => ({
  digest: `sha256:${(architecture + (variant ?? "") + os).padEnd(64, "0").slice(0, 64).replace(/[^a-f0-9]/g, "0")}`,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  size: 500,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});

t.test("the message names the image, what it has, and which node groups need what", async (t) => {
  const match = matchPlatforms({ image: "quay.io/x/y:1", manifests: [m("arm64")] }, [{ name: "general", architecture: "amd64" }]);
  t.equal(match.message, "image quay.io/x/y:1 has platforms linux/arm64 but node groups general (amd64) need linux/amd64");
  t.same(match.missing, [{ architecture: "amd64", platform: "linux/amd64", nodeGroups: ["general"] }]);
  t.ok(match.found.arm64 === undefined && match.found.amd64 === undefined);
});

t.test("several missing architectures are each named with their node groups", async (t) => {
  const match = matchPlatforms({ image: "ghcr.io/o/a:2", manifests: [m("s390x")] }, [
    { name: "web", architecture: "amd64" },
    { name: "graviton", architecture: "arm64" },
  ]);
  t.equal(match.message, "image ghcr.io/o/a:2 has platforms linux/s390x but node groups web (amd64) need linux/amd64 and node groups graviton (arm64) need linux/arm64");
});

t.test("all present: no message, one manifest per architecture", async (t) => {
  const amd = m("amd64");
  const arm = m("arm64", "v8");
  const match = matchPlatforms({ image: "i", manifests: [amd, arm, m("arm", "v7"), m("amd64", undefined, "windows")] }, [
    { name: "a", architecture: "amd64" },
    { name: "b", architecture: "arm64" },
  ]);
  t.equal(match.message, undefined);
  t.equal(match.found.amd64, amd);
  t.equal(match.found.arm64, arm);
  t.same(match.available, ["linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64"]);
});

t.test("the baseline amd64 is preferred, and amd64/v3 alone does not count", async (t) => {
  const base = m("amd64");
  t.equal(pickPlatform([m("amd64", "v3"), base], "amd64"), base);
  t.equal(pickPlatform([m("amd64", "v3")], "amd64"), undefined);
  t.equal(pickPlatform([m("amd64", undefined, "windows")], "amd64"), undefined, "windows images do not run on linux nodes");
});
