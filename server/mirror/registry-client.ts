/**
 * A client for the OCI distribution API over plain HTTP(S) with Node's fetch:
 * resolve a reference to its manifest or index, read platforms, check that a
 * digest exists, and put one small manifest (the filtered index the copier
 * assembles). Blobs are never uploaded here; skopeo does that.
 *
 * Auth follows the registry's `WWW-Authenticate` challenge: Bearer (Docker
 * Hub, GHCR, Quay, ECR Public) fetches a token from the realm, anonymously or
 * with basic credentials; Basic sends credentials directly (a plain
 * `docker-registry` with htpasswd). Tokens are cached per host and scope.
 */
import { createHash } from "node:crypto";
import { parseAuthChallenges, tokenUrl, type AuthChallenge } from "./auth-challenge.js";
import { anonymous, type CredentialProvider, type RegistryCredentials } from "./credentials.js";
import { ImageNotFoundError, MirrorCancelledError, RegistryAuthError, RegistryProtocolError, RegistryUnreachableError } from "./errors.js";
import { describeNetworkCode, registryError } from "./registry-errors.js";
import { MANIFEST_ACCEPT, MediaType, isIndexMediaType, isManifestMediaType } from "./media-types.js";
import { formatImageReference, isLoopbackHost, manifestReference, normaliseRegistry, registryApiHost, type ImageReference } from "./reference.js";

/** An OS/architecture pair as the OCI spec names them (`linux`/`arm64`/`v8`). */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** One platform's manifest: what an index entry points at. */
export interface PlatformManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly platform: Platform;
}

/** A reference resolved against its registry. */
export interface ResolvedImage {
  /** The reference that was asked for. */
  readonly reference: ImageReference;
  /** Printable form of `reference`, for messages. */
  readonly image: string;
  /** Digest of the top-level manifest or index. */
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly kind: "index" | "manifest";
  /** The platform manifests: index entries (attestations dropped), or the single manifest itself. */
  readonly manifests: readonly PlatformManifest[];
}

/** A manifest as fetched: exact bytes, their digest and parsed JSON. */
export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly body: Buffer;
  readonly json: ManifestJson;
}

/** The fields of manifests and indexes we read. */
export interface ManifestJson {
  readonly schemaVersion?: number;
  readonly mediaType?: string;
  readonly config?: { readonly digest: string; readonly mediaType?: string; readonly size?: number };
  readonly layers?: ReadonlyArray<{ readonly digest: string; readonly size: number; readonly mediaType?: string }>;
  readonly manifests?: ReadonlyArray<{
    readonly digest: string;
    readonly mediaType: string;
    readonly size: number;
    readonly platform?: Platform & { readonly "os.version"?: string };
    readonly annotations?: Readonly<Record<string, string>>;
  }>;
}

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Hosts spoken to over plain http (loopback hosts always are). */
  readonly insecureHosts?: readonly string[];
  /** Credentials per registry; anonymous when absent. */
  readonly credentials?: CredentialProvider;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
}

/** Formats a platform as `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

export function sha256Digest(body: Uint8Array): string {
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

type Action = "pull" | "push,pull";

export class RegistryClient {
  private readonly insecure: Set<string>;
  private readonly credentials: CredentialProvider;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  /** Bearer tokens by `host|scope`. */
  private readonly tokens = new Map<string, string>();
  /** Hosts that asked for Basic auth, so later requests send it up front. */
  private readonly basicHosts = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.insecure = new Set((options.insecureHosts ?? []).map(normaliseRegistry));
    this.credentials = options.credentials ?? anonymous;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? "goldenpath-mirror";
  }

  /** True when the registry is spoken to over plain http (and skopeo must skip TLS verification). */
  isInsecure(registry: string): boolean {
    return this.insecure.has(normaliseRegistry(registry)) || isLoopbackHost(registry);
  }

  /** Resolves a reference to its digest and platform manifests (reading the config blob of a single manifest). */
  async resolve(ref: ImageReference, signal?: AbortSignal): Promise<ResolvedImage> {
    const fetched = await this.getManifest(ref, signal);
    const image = formatImageReference(ref);
    if (isIndexMediaType(fetched.mediaType)) {
      const manifests = (fetched.json.manifests ?? [])
        .filter((m) => m.platform && m.platform.os !== "unknown" && !m.annotations?.["vnd.docker.reference.type"])
        .map((m) => ({
          digest: m.digest,
          mediaType: m.mediaType,
          size: m.size,
          platform: { os: m.platform!.os, architecture: m.platform!.architecture, ...(m.platform!.variant ? { variant: m.platform!.variant } : {}) },
        }));
      return { reference: ref, image, digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.body.length, kind: "index", manifests };
    }
    const platform = await this.readPlatform(ref, fetched, signal);
    return {
      reference: ref,
      image,
      digest: fetched.digest,
      mediaType: fetched.mediaType,
      size: fetched.body.length,
      kind: "manifest",
      manifests: [{ digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.body.length, platform }],
    };
  }

  /** Fetches a manifest or index by tag or digest, verifying a pinned digest. */
  async getManifest(ref: ImageReference, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.request(ref, "GET", `manifests/${manifestReference(ref)}`, { accept: MANIFEST_ACCEPT }, "pull", signal);
    const body = Buffer.from(await res.arrayBuffer());
    const image = formatImageReference(ref);
    const digest = sha256Digest(body);
    if (ref.digest && ref.digest.startsWith("sha256:") && ref.digest !== digest) {
      throw new RegistryProtocolError(image, `the registry served content with digest ${digest}, not the pinned ${ref.digest}`);
    }
    let json: ManifestJson;
    try {
      json = JSON.parse(body.toString("utf8")) as ManifestJson;
    } catch {
      throw new RegistryProtocolError(image, "the registry answered a manifest that is not JSON");
    }
    const mediaType = json.mediaType ?? res.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    if (mediaType === MediaType.dockerManifestV1Signed || json.schemaVersion === 1) {
      throw new RegistryProtocolError(image, "the image only has a Docker schema 1 manifest, which cannot be mirrored; rebuild or re-push it");
    }
    if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType)) {
      throw new RegistryProtocolError(image, `unsupported manifest media type "${mediaType}"`);
    }
    return { digest, mediaType, body, json };
  }

  /** True when the manifest (by digest or tag) exists in the repository. */
  async hasManifest(ref: ImageReference, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.request(ref, "HEAD", `manifests/${manifestReference(ref)}`, { accept: MANIFEST_ACCEPT }, "pull", signal);
      return true;
    } catch (err) {
      if (err instanceof ImageNotFoundError) return false;
      throw err;
    }
  }

  /** Puts one manifest (used for the filtered index); returns its digest. `ref` names the tag or digest to put it at. */
  async putManifest(ref: ImageReference, mediaType: string, body: Buffer, signal?: AbortSignal): Promise<string> {
    await this.request(ref, "PUT", `manifests/${manifestReference(ref)}`, { "content-type": mediaType }, "push,pull", signal, body);
    return sha256Digest(body);
  }

  /** Reads a small JSON blob (an image config). */
  async getJsonBlob<T>(ref: ImageReference, digest: string, signal?: AbortSignal): Promise<T> {
    const res = await this.request(ref, "GET", `blobs/${digest}`, {}, "pull", signal);
    const body = Buffer.from(await res.arrayBuffer());
    if (digest.startsWith("sha256:") && sha256Digest(body) !== digest) {
      throw new RegistryProtocolError(formatImageReference(ref), `blob ${digest} does not match its digest`);
    }
    return JSON.parse(body.toString("utf8")) as T;
  }

  private async readPlatform(ref: ImageReference, fetched: FetchedManifest, signal?: AbortSignal): Promise<Platform> {
    const config = fetched.json.config;
    const image = formatImageReference(ref);
    if (!config?.digest) throw new RegistryProtocolError(image, "the manifest has no config blob");
    const json = await this.getJsonBlob<{ os?: string; architecture?: string; variant?: string }>(ref, config.digest, signal);
    if (!json.os || !json.architecture) throw new RegistryProtocolError(image, "the image config names no os/architecture");
    return { os: json.os, architecture: json.architecture, ...(json.variant ? { variant: json.variant } : {}) };
  }

  private baseUrl(registry: string): string {
    return `${this.isInsecure(registry) ? "http" : "https"}://${registryApiHost(registry)}`;
  }

  /** One API request with the challenge/response dance; maps failures to typed errors. */
  private async request(
    ref: ImageReference,
    method: string,
    path: string,
    headers: Record<string, string>,
    action: Action,
    signal: AbortSignal | undefined,
    body?: Buffer,
  ): Promise<Response> {
    const image = formatImageReference(ref);
    const host = ref.registry;
    const url = `${this.baseUrl(host)}/v2/${ref.repository}/${path}`;
    const scope = `repository:${ref.repository}:${action}`;
    const send = async (auth: string | undefined): Promise<Response> =>
      this.fetch(image, host, url, {
        method,
        headers: { "user-agent": this.userAgent, ...headers, ...(auth ? { authorization: auth } : {}) },
        ...(body ? { body: new Uint8Array(body) } : {}),
      }, signal);

    let res = await send(await this.cachedAuth(host, scope, signal));
    if (res.status === 401) {
      await res.body?.cancel();
      const auth = await this.answerChallenge(image, host, scope, parseAuthChallenges(res.headers.get("www-authenticate")), signal);
      res = await send(auth);
    }
    if (res.ok) return res;
    throw await registryError(image, host, res);
  }

  private async cachedAuth(host: string, scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const token = this.tokens.get(`${host}|${scope}`);
    if (token) return `Bearer ${token}`;
    if (this.basicHosts.has(host)) {
      const creds = await this.credentials.credentialsFor(host, signal);
      if (creds) return basic(creds);
    }
    return undefined;
  }

  private async answerChallenge(image: string, host: string, scope: string, challenges: AuthChallenge[], signal?: AbortSignal): Promise<string> {
    const creds = await this.credentials.credentialsFor(host, signal);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer) {
      const url = tokenUrl(bearer, scope);
      if (!url) throw new RegistryAuthError(image, host, 401, "the registry's Bearer challenge names no usable token realm");
      const res = await this.fetch(image, host, url.toString(), {
        headers: { "user-agent": this.userAgent, ...(creds ? { authorization: basic(creds) } : {}) },
      }, signal);
      if (!res.ok) {
        await res.body?.cancel();
        throw new RegistryAuthError(image, host, res.status, `the token service refused ${creds ? "the configured credentials" : "anonymous access"}`);
      }
      const json = (await res.json()) as { token?: string; access_token?: string };
      const token = json.token ?? json.access_token;
      if (!token) throw new RegistryAuthError(image, host, 401, "the token service answered no token");
      this.tokens.set(`${host}|${scope}`, token);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      if (!creds) throw new RegistryAuthError(image, host, 401, "the registry needs credentials and none are configured for it");
      this.basicHosts.add(host);
      return basic(creds);
    }
    throw new RegistryAuthError(image, host, 401, "the registry asked for an authentication scheme this client does not speak");
  }

  private async fetch(image: string, host: string, url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    if (signal?.aborted) throw new MirrorCancelledError(image);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw new MirrorCancelledError(image);
      if (timeout.aborted) throw new RegistryUnreachableError(image, host, `no answer within ${Math.round(this.timeoutMs / 1000)} s`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ? describeNetworkCode(cause.code) : "the connection failed";
      // The cause is kept for logs; it holds no credentials (headers are not part of it).
      throw new RegistryUnreachableError(image, host, detail, { cause: err });
    }
  }
}

function basic(creds: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
}
