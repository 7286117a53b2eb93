/**
 * Copies one platform manifest and its blobs from a source registry to the
 * target with skopeo — a proven copier (retries, chunked uploads, cross-repo
 * blob mounts, ECR quirks) rather than hand-written blob uploads. The source
 * is addressed by the platform manifest's digest and `--preserve-digests`
 * forbids any format conversion, so the digest in the target is the source's.
 *
 * Credentials reach skopeo through authfiles written 0600 into a private temp
 * dir and removed afterwards — never on its command line, where `ps` would
 * show them — and are redacted from anything skopeo prints.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CredentialProvider, RegistryCredentials } from "./credentials.js";
import { MirrorCancelledError, MirrorCopyError } from "./errors.js";
import { formatImageReference, type ImageReference } from "./reference.js";

/** A progress event of the mirror, streamed as an operation event. */
export interface MirrorProgressEvent {
  readonly type: "mirror-progress";
  /** The source image, as the spec names it. */
  readonly image: string;
  /** `linux/amd64`, or `index` for the multi-platform index. */
  readonly platform: string;
  /** `start` → `blob`… → `config` → `manifest` → `done`; `skipped` when the target already has the digest. */
  readonly phase: "resolved" | "start" | "blob" | "config" | "manifest" | "done" | "skipped" | "index";
  /** Bytes of blobs handled so far in this copy (from the manifest's sizes). */
  readonly bytes?: number;
  /** Total bytes of this platform's blobs. */
  readonly totalBytes?: number;
  /** Layers handled so far. */
  readonly layers?: number;
  /** Total layers of this platform. */
  readonly totalLayers?: number;
  /** The digest concerned (blob, or manifest for done/skipped/index). */
  readonly digest?: string;
}

/** One platform copy. */
export interface CopyPlatformRequest {
  /** Label for events and errors: the source image as the spec names it. */
  readonly image: string;
  /** `linux/amd64` */
  readonly platform: string;
  /** Source repository, pinned to the platform manifest digest. */
  readonly source: ImageReference;
  /** Target repository with a tag or the same digest. */
  readonly target: ImageReference;
  /** Layers of the platform manifest, for progress accounting. */
  readonly layers: ReadonlyArray<{ readonly digest: string; readonly size: number }>;
  /** Config blob size, for progress accounting. */
  readonly configSize?: number;
}

/** Options of {@link SkopeoCopier}. */
export interface SkopeoCopierOptions {
  readonly sourceCredentials: CredentialProvider;
  readonly targetCredentials: CredentialProvider;
  /** True when a host is spoken to over plain http / without TLS verification. */
  readonly isInsecure: (registry: string) => boolean;
  /** skopeo binary (default `skopeo` on PATH). */
  readonly skopeoPath?: string;
  /** skopeo `--retry-times` (default 3). */
  readonly retryTimes?: number;
}

/** The boundary the mirror uses; tests may count calls through it. */
export interface Copier {
  copyPlatform(request: CopyPlatformRequest, onEvent: (event: MirrorProgressEvent) => void, signal?: AbortSignal): Promise<{ digest: string }>;
}

export class SkopeoCopier implements Copier {
  constructor(private readonly options: SkopeoCopierOptions) {}

  async copyPlatform(request: CopyPlatformRequest, onEvent: (event: MirrorProgressEvent) => void, signal?: AbortSignal): Promise<{ digest: string }> {
    const { image, platform, source, target } = request;
    if (signal?.aborted) throw new MirrorCancelledError(image);
    const srcCreds = await this.options.sourceCredentials.credentialsFor(source.registry, signal);
    const dstCreds = await this.options.targetCredentials.credentialsFor(target.registry, signal);
    const secrets = [srcCreds, dstCreds].filter((c): c is RegistryCredentials => c !== undefined);

    const dir = await mkdtemp(join(tmpdir(), "gp-skopeo-"));
    try {
      const args = ["copy", "--preserve-digests", "--retry-times", String(this.options.retryTimes ?? 3), "--digestfile", join(dir, "digest")];
      args.push(...(await authArgs(dir, "src", source.registry, srcCreds)));
      args.push(...(await authArgs(dir, "dest", target.registry, dstCreds)));
      if (this.options.isInsecure(source.registry)) args.push("--src-tls-verify=false");
      if (this.options.isInsecure(target.registry)) args.push("--dest-tls-verify=false");
      args.push(`docker://${formatImageReference(source)}`, `docker://${formatImageReference(target)}`);

      const totalLayers = request.layers.length;
      const totalBytes = request.layers.reduce((n, l) => n + l.size, 0) + (request.configSize ?? 0);
      const sizes = new Map(request.layers.map((l) => [l.digest, l.size]));
      let bytes = 0;
      let layers = 0;
      onEvent({ type: "mirror-progress", image, platform, phase: "start", bytes: 0, totalBytes, layers: 0, totalLayers, digest: source.digest });
      const onLine = (line: string): void => {
        const blob = /^Copying blob (sha256:[a-f0-9]{64})/.exec(line);
        if (blob) {
          layers++;
          bytes += sizes.get(blob[1]) ?? 0;
          onEvent({ type: "mirror-progress", image, platform, phase: "blob", bytes, totalBytes, layers, totalLayers, digest: blob[1] });
          return;
        }
        const config = /^Copying config (sha256:[a-f0-9]{64})/.exec(line);
        if (config) {
          bytes += request.configSize ?? 0;
          onEvent({ type: "mirror-progress", image, platform, phase: "config", bytes, totalBytes, layers, totalLayers, digest: config[1] });
          return;
        }
        if (line.startsWith("Writing manifest")) onEvent({ type: "mirror-progress", image, platform, phase: "manifest", bytes, totalBytes, layers, totalLayers });
      };

      const { code, stderr } = await runSkopeo(this.options.skopeoPath ?? "skopeo", args, dir, image, onLine, signal);
      if (signal?.aborted) throw new MirrorCancelledError(image);
      if (code !== 0) throw new MirrorCopyError(image, `skopeo exited ${code} copying ${platform}: ${redact(lastError(stderr), secrets)}`);
      const digest = (await readFile(join(dir, "digest"), "utf8")).trim();
      if (source.digest && digest !== source.digest) {
        throw new MirrorCopyError(image, `the target stored ${platform} as ${digest}, not the source digest ${source.digest}`);
      }
      onEvent({ type: "mirror-progress", image, platform, phase: "done", bytes: totalBytes, totalBytes, layers: totalLayers, totalLayers, digest });
      return { digest };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Writes a 0600 authfile for one side of the copy, or asks skopeo to go anonymous. */
async function authArgs(dir: string, side: "src" | "dest", registry: string, creds: RegistryCredentials | undefined): Promise<string[]> {
  // Without credentials, skopeo would read ~/.docker/config.json and friends;
  // anonymous is explicit so a copy never depends on the host's stray state.
  if (!creds) return [`--${side}-no-creds`];
  const file = join(dir, `${side}-auth.json`);
  const auth = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
  await writeFile(file, JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
  return [`--${side}-authfile`, file];
}

function runSkopeo(bin: string, args: string[], home: string, image: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      // A private, throw-away HOME keeps skopeo off the service user's docker and
      // containers config (stray credentials, registries.conf rewrites).
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C" },
      ...(signal ? { signal } : {}),
    });
    let buffered = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.search(/[\r\n]/)) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) onLine(line);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-8000);
    });
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (err.name === "AbortError") resolve({ code: -1, stderr });
      else if (err.code === "ENOENT") reject(new MirrorCopyError(image, `${bin} is not installed (Debian/Ubuntu: apt-get install skopeo)`));
      else reject(err);
    });
    child.once("close", (code) => {
      if (buffered.trim()) onLine(buffered.trim());
      resolve({ code: code ?? -1, stderr });
    });
  });
}

/** skopeo's fatal line is logfmt `time=… level=fatal msg="…"`; keep the message. */
function lastError(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? "no error output";
  const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  return (msg ? msg[1].replace(/\\"/g, '"') : last).slice(0, 1000);
}

/** Removes every credential form (password, user:password, base64 of it) from text. */
export function redact(text: string, secrets: readonly RegistryCredentials[]): string {
  let out = text;
  for (const { username, password } of secrets) {
    const forms = [Buffer.from(`${username}:${password}`).toString("base64"), `${username}:${password}`, password];
    for (const form of forms) if (form.length >= 4) out = out.split(form).join("[redacted]");
  }
  return out;
}
