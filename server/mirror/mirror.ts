/**
 * The mirror step (DESIGN §3): resolve every source image, check it has each
 * node-group architecture, then copy exactly those platforms into the
 * environment's own registry (ECR) and record the digest charts deploy by.
 *
 * Every image is resolved and checked before anything is copied, so a missing
 * platform on one image leaves the target untouched. Copies whose digest the
 * target already holds are skipped without starting skopeo.
 */
import { SkopeoCopier, type Copier, type MirrorProgressEvent } from "./copier.js";
import { anonymous, chainCredentials, type CredentialProvider, type TargetCredentials } from "./credentials.js";
import { MirrorCancelledError, MirrorCopyError, PlatformMissingError } from "./errors.js";
import { indexMediaTypeFor } from "./media-types.js";
import { matchPlatforms, type Architecture, type NodeGroupArchitecture } from "./platforms.js";
import { formatImageReference, parseImageReference, repositoryName, withDigest, type ImageReference } from "./reference.js";
import { RegistryClient, sha256Digest, type PlatformManifest, type ResolvedImage } from "./registry-client.js";
import { applyRegistryMirrors, type RegistryMirror } from "./registry-config.js";

/** Where mirrored images go. */
export interface MirrorTarget {
  /** Target registry host, e.g. `123456789012.dkr.ecr.eu-west-2.amazonaws.com`. */
  readonly registry: string;
  /** Repository (in that registry) for an app, e.g. `dev/keycloak`. */
  repositoryFor(app: string): string;
}

/** A source image, as a reference string or as the spec's `{ source }` object. */
export type MirrorImageSource = string | { readonly source: string };

/** Input of {@link mirrorImages}. */
export interface MirrorImagesOptions {
  /** Source image per app (`keycloak: "quay.io/keycloak/keycloak:26.0.5"`). */
  readonly images: Readonly<Record<string, MirrorImageSource>>;
  /** Architectures to copy, in addition to those of `nodeGroups`. */
  readonly architectures?: readonly Architecture[];
  /** Node groups; their architectures are needed, and missing-platform messages name them. */
  readonly nodeGroups?: readonly NodeGroupArchitecture[];
  readonly target: MirrorTarget;
  /** Credentials for the target (ECR: `EcrCredentials`). */
  readonly credentials: TargetCredentials;
  /** Credentials for sources (e.g. from a Docker config.json); anonymous by default. */
  readonly sourceCredentials?: CredentialProvider;
  /** Pull-through caches sources are pulled from instead (`parseRegistryMirrors`). */
  readonly mirrors?: readonly RegistryMirror[];
  /** Hosts spoken to over plain http (loopback always is). */
  readonly insecureHosts?: readonly string[];
  /** Progress events, to stream as operation events. Never carries credentials. */
  readonly onEvent?: (event: MirrorProgressEvent) => void;
  readonly signal?: AbortSignal;
  /** Overrides, for tests and for sharing a client's token cache. */
  readonly client?: RegistryClient;
  readonly copier?: Copier;
}

/** What the mirror did for one app. */
export interface MirroredImage {
  /** The source as the spec names it, normalised (`quay.io/keycloak/keycloak:26.0.5`). */
  readonly source: string;
  /** Where it was actually pulled from, when a registry mirror rewrote it. */
  readonly pulledFrom?: string;
  /** Digest the source tag resolved to (index or manifest), for the record. */
  readonly sourceDigest: string;
  /** Target repository `registry/repository`. */
  readonly repository: string;
  /** The platform manifest digest with one architecture; the pushed index digest with several. */
  readonly digest: string;
  /** `repository@digest`: what charts deploy. */
  readonly reference: string;
  /** Tag written in the target (content-addressed, so immutable-tag repositories accept re-runs). */
  readonly tag: string;
  /** Platform manifest digest per architecture. */
  readonly platforms: Partial<Record<Architecture, string>>;
  /** False when the target already held everything and nothing was written. */
  readonly copied: boolean;
}

/** Result of {@link mirrorImages}, by app. */
export type MirrorResult = Record<string, MirroredImage>;

interface Planned {
  readonly app: string;
  readonly source: ImageReference;
  readonly pull: ImageReference;
  readonly resolved: ResolvedImage;
  readonly found: Array<[Architecture, PlatformManifest]>;
}

/** Mirrors every image; throws typed errors (`PlatformMissingError`, `ImageNotFoundError`, …) naming the image. */
export async function mirrorImages(options: MirrorImagesOptions): Promise<MirrorResult> {
  const nodeGroups = options.nodeGroups ?? [];
  const needed = [...new Set([...nodeGroups.map((g) => g.architecture), ...(options.architectures ?? [])])];
  if (needed.length === 0) throw new Error("mirrorImages needs at least one architecture (from node groups or architectures)");
  const sourceCredentials = options.sourceCredentials ?? anonymous;
  const client = options.client ?? new RegistryClient({
    insecureHosts: options.insecureHosts,
    credentials: chainCredentials(options.credentials, sourceCredentials),
  });
  const copier = options.copier ?? new SkopeoCopier({
    sourceCredentials,
    targetCredentials: options.credentials,
    isInsecure: (host) => client.isInsecure(host),
  });
  const emit = options.onEvent ?? (() => {});
  const signal = options.signal;

  // Phase 1: resolve and check everything before touching the target.
  const planned: Planned[] = [];
  const problems: Array<{ image: string; message: string }> = [];
  for (const [app, entry] of Object.entries(options.images)) {
    const source = parseImageReference(typeof entry === "string" ? entry : entry.source);
    const pull = applyRegistryMirrors(source, options.mirrors ?? []);
    const resolved = await client.resolve(pull, signal);
    const image = formatImageReference(source);
    const match = matchPlatforms({ image, manifests: resolved.manifests }, nodeGroups, needed);
    if (match.message) {
      problems.push({ image, message: match.message });
      continue;
    }
    emit({ type: "mirror-progress", image, platform: match.available.join(","), phase: "resolved", digest: resolved.digest });
    planned.push({ app, source, pull, resolved, found: needed.map((a) => [a, match.found[a]!]) });
  }
  if (problems.length > 0) {
    throw new PlatformMissingError(problems.map((p) => p.image).join(", "), problems.map((p) => p.message).join("; "));
  }

  // Phase 2: copy.
  const result: MirrorResult = {};
  for (const plan of planned) {
    if (signal?.aborted) throw new MirrorCancelledError(formatImageReference(plan.source));
    result[plan.app] = await mirrorOne(plan, options.target, client, copier, emit, signal);
  }
  return result;
}

async function mirrorOne(
  plan: Planned,
  target: MirrorTarget,
  client: RegistryClient,
  copier: Copier,
  emit: (event: MirrorProgressEvent) => void,
  signal?: AbortSignal,
): Promise<MirroredImage> {
  const image = formatImageReference(plan.source);
  const repo: ImageReference = { registry: target.registry, repository: target.repositoryFor(plan.app) };
  const multi = plan.found.length > 1;

  // The index is assembled before copying so its digest names the tags.
  const index = multi ? buildIndex(plan.found.map(([, m]) => m)) : undefined;
  const digest = index ? index.digest : plan.found[0][1].digest;
  const tag = targetTag(plan.source, digest);
  let copied = false;

  for (const [architecture, manifest] of plan.found) {
    const platform = `linux/${architecture}`;
    if (await client.hasManifest(withDigest(repo, manifest.digest), signal)) {
      emit({ type: "mirror-progress", image, platform, phase: "skipped", digest: manifest.digest });
      continue;
    }
    const fetched = await client.getManifest(withDigest(plan.pull, manifest.digest), signal);
    await copier.copyPlatform(
      {
        image,
        platform,
        source: withDigest(plan.pull, manifest.digest),
        target: { ...repo, tag: multi ? `${tag}-${architecture}` : tag },
        layers: fetched.json.layers ?? [],
        configSize: fetched.json.config?.size,
      },
      emit,
      signal,
    );
    copied = true;
  }

  if (index) {
    if (await client.hasManifest(withDigest(repo, index.digest), signal)) {
      emit({ type: "mirror-progress", image, platform: "index", phase: "skipped", digest: index.digest });
    } else {
      const pushed = await client.putManifest({ ...repo, tag }, index.mediaType, index.body, signal);
      if (pushed !== index.digest) throw new MirrorCopyError(image, `the index was stored as ${pushed}, not ${index.digest}`);
      emit({ type: "mirror-progress", image, platform: "index", phase: "index", digest: index.digest });
      copied = true;
    }
  }

  const repository = repositoryName(repo);
  const pulledFrom = formatImageReference(plan.pull);
  return {
    source: image,
    ...(pulledFrom !== image ? { pulledFrom } : {}),
    sourceDigest: plan.resolved.digest,
    repository,
    digest,
    reference: `${repository}@${digest}`,
    tag,
    platforms: Object.fromEntries(plan.found.map(([a, m]) => [a, m.digest])),
    copied,
  };
}

/** An index of exactly the chosen platform manifests, in the family of its children. */
export function buildIndex(manifests: readonly PlatformManifest[]): { mediaType: string; body: Buffer; digest: string } {
  const mediaType = indexMediaTypeFor(manifests.map((m) => m.mediaType));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
    }),
  );
  return { mediaType, body, digest: sha256Digest(body) };
}

/**
 * `<source tag>-<12 hex of the digest>`: readable in the ECR console, and
 * content-addressed, so an immutable-tag repository accepts a re-run after
 * the source tag moved or an architecture was added. Tagging also keeps
 * "expire untagged images" lifecycle rules away from what is deployed.
 */
export function targetTag(source: ImageReference, digest: string): string {
  const hex = digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
  const base = (source.tag ?? "sha256").slice(0, 128 - 13 - 7);
  return `${base}-${hex}`;
}
