/**
 * Real registries for tests: Debian's `docker-registry` (distribution v2.8) on
 * a free 127.0.0.1 port with filesystem storage in a temp dir, optionally
 * behind htpasswd basic auth; plus tiny multi-platform test images written as
 * an OCI layout on disk and pushed with skopeo (no Docker engine needed).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { createHash, randomBytes } from "node:crypto";

const run = promisify(execFile);

export const REGISTRY_BIN = "/usr/bin/docker-registry";

/** Why the registry tests cannot run here, or undefined when they can. */
export async function registrySkipReason(): Promise<string | undefined> {
  for (const [bin, what] of [
    [REGISTRY_BIN, "docker-registry"],
    ["/usr/bin/skopeo", "skopeo"],
    ["/usr/bin/htpasswd", "htpasswd (apache2-utils)"],
  ] as const) {
    try {
      await access(bin);
    } catch {
      return `${what} not installed: run .ci/install-peers.sh`;
    }
  }
  return undefined;
}

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  /** Storage root, to look at what was written. */
  readonly storage: string;
  readonly credentials?: { username: string; password: string };
  /** Every blob digest stored in this registry (from its filesystem). */
  blobDigests(): Promise<string[]>;
  stop(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a registry and registers its stop on `t.teardown`. */
export async function startRegistry(t: Teardown, options: { auth?: { username: string; password: string } } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "gp-registry-"));
  const storage = join(dir, "storage");
  await mkdir(storage);
  const port = await freePort();
  let authBlock = "";
  if (options.auth) {
    const { stdout } = await run("htpasswd", ["-Bbn", options.auth.username, options.auth.password]);
    await writeFile(join(dir, "htpasswd"), stdout);
    authBlock = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${join(dir, "htpasswd")}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString("hex")}\n` +
    authBlock;
  await writeFile(join(dir, "config.yml"), config);

  const child: ChildProcess = spawn(REGISTRY_BIN, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    await rm(dir, { recursive: true, force: true });
  };
  t.teardown(stop);

  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited early: ${stderr}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      // 401 means it is up and wants auth; both are "answering".
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${host}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    host,
    storage,
    ...(options.auth ? { credentials: options.auth } : {}),
    async blobDigests() {
      const root = join(storage, "docker/registry/v2/blobs/sha256");
      const out: string[] = [];
      for (const prefix of await readdir(root).catch(() => [] as string[])) {
        for (const hex of await readdir(join(root, prefix))) out.push(`sha256:${hex}`);
      }
      return out;
    },
    stop,
  };
}

// ---- test images as an OCI layout ----

/** What the builder wrote: digests of every part, per architecture. */
export interface BuiltImage {
  readonly layoutDir: string;
  readonly tag: string;
  /** Index digest when multi-arch, else undefined. */
  readonly indexDigest?: string;
  readonly platforms: Record<string, { manifest: string; config: string; layer: string }>;
}

function sha(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** One-file ustar archive, gzipped: a real layer, tiny and deterministic. */
function tarGz(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\u000000", 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return gzipSync(Buffer.concat([header, data, pad, Buffer.alloc(1024)]), { level: 9 });
}

/**
 * Writes an OCI layout with one image per architecture; with several, an
 * index lists them (the shape of a real multi-arch image).
 */
export async function buildOciImage(parent: string, name: string, tag: string, architectures: readonly string[]): Promise<BuiltImage> {
  const layoutDir = join(parent, name);
  const blobs = join(layoutDir, "blobs/sha256");
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer): Promise<string> => {
    const digest = sha(data);
    await writeFile(join(blobs, digest.slice(7)), data);
    return digest;
  };
  const platforms: BuiltImage["platforms"] = {};
  const entries: Array<{ mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } }> = [];
  for (const architecture of architectures) {
    const layerBytes = tarGz("hello.txt", `image ${name}:${tag} for linux/${architecture}\n`);
    const layer = await put(layerBytes);
    const diffId = sha(gunzipSync(layerBytes));
    const configBytes = Buffer.from(JSON.stringify({
      architecture,
      os: "linux",
      config: { Cmd: ["/hello.txt"] },
      rootfs: { type: "layers", diff_ids: [diffId] },
    }));
    const config = await put(configBytes);
    const manifestBytes = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: configBytes.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: layerBytes.length }],
    }));
    const manifest = await put(manifestBytes);
    platforms[architecture] = { manifest, config, layer };
    entries.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: manifest, size: manifestBytes.length, platform: { os: "linux", architecture } });
  }
  let top: { mediaType: string; digest: string; size: number };
  let indexDigest: string | undefined;
  if (entries.length > 1) {
    const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries }));
    indexDigest = await put(indexBytes);
    top = { mediaType: "application/vnd.oci.image.index.v1+json", digest: indexDigest, size: indexBytes.length };
  } else {
    const { mediaType, digest, size } = entries[0];
    top = { mediaType, digest, size };
  }
  await writeFile(join(layoutDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(layoutDir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": tag } }],
  }));
  return { layoutDir, tag, ...(indexDigest ? { indexDigest } : {}), platforms };
}

/** Pushes a built image to `registry/repository:tag` with skopeo, keeping every digest unless `dockerFormat`. */
export async function pushImage(image: BuiltImage, registry: TestRegistry, repository: string, options: { dockerFormat?: boolean } = {}): Promise<void> {
  // Docker format converts the manifests (new digests: read them back from the registry).
  const args = ["copy", "--all", ...(options.dockerFormat ? ["--format", "v2s2"] : ["--preserve-digests"]), "--dest-tls-verify=false", "--retry-times", "0"];
  if (registry.credentials) args.push("--dest-creds", `${registry.credentials.username}:${registry.credentials.password}`);
  args.push(`oci:${image.layoutDir}:${image.tag}`, `docker://${registry.host}/${repository}:${image.tag}`);
  await run("skopeo", args, { env: { ...process.env, HOME: tmpdir() } });
}

/** A temp dir removed on teardown. */
export async function tempDir(t: Teardown, prefix = "gp-mirror-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
