/**
 * Matching an image's platforms against the node groups that will run it —
 * the check whose absence cost the incident an `exec format error` (an arm64
 * image pushed from a laptop onto amd64 nodes).
 */
import { formatPlatform, type PlatformManifest, type ResolvedImage } from "./registry-client.js";

/** Node architectures EKS managed node groups run. */
export type Architecture = "amd64" | "arm64";

/** A node group as far as images care. */
export interface NodeGroupArchitecture {
  readonly name: string;
  readonly architecture: Architecture;
}

/** One needed architecture the image lacks, and who needs it. */
export interface MissingPlatform {
  readonly architecture: Architecture;
  readonly platform: string;
  readonly nodeGroups: readonly string[];
}

/** The outcome of matching one image. */
export interface PlatformMatch {
  /** The platform manifest chosen per needed architecture. */
  readonly found: Partial<Record<Architecture, PlatformManifest>>;
  readonly missing: readonly MissingPlatform[];
  /** What the image offers, printed (`linux/amd64`, `linux/arm64/v8`). */
  readonly available: readonly string[];
  /** Set when something is missing: names the image, its platforms and the node groups. */
  readonly message?: string;
}

/** The distinct architectures of the node groups, in first-seen order. */
export function neededArchitectures(nodeGroups: readonly NodeGroupArchitecture[]): Architecture[] {
  return [...new Set(nodeGroups.map((g) => g.architecture))];
}

/** Preference among variants: the baseline first (plain amd64 runs on every x86-64 node; arm64 is v8). */
function variantRank(architecture: Architecture, variant: string | undefined): number {
  if (!variant) return 0;
  if (architecture === "arm64" && variant === "v8") return 0;
  if (architecture === "amd64" && variant === "v1") return 0;
  return 1;
}

/** Picks the manifest for `linux/<architecture>`, preferring the baseline variant. */
export function pickPlatform(manifests: readonly PlatformManifest[], architecture: Architecture): PlatformManifest | undefined {
  const candidates = manifests
    .filter((m) => m.platform.os === "linux" && m.platform.architecture === architecture)
    // A variant above the baseline (amd64/v3) needs CPU features not every node has.
    .filter((m) => variantRank(architecture, m.platform.variant) === 0 || architecture === "arm64");
  return candidates.sort((a, b) => variantRank(architecture, a.platform.variant) - variantRank(architecture, b.platform.variant))[0];
}

/**
 * Matches an image against the node groups. `nodeGroups` decides which
 * architectures are needed; when `architectures` is also given it adds to them
 * (a platform requested without a node group is reported as needed by none).
 */
export function matchPlatforms(
  image: Pick<ResolvedImage, "image" | "manifests">,
  nodeGroups: readonly NodeGroupArchitecture[],
  architectures: readonly Architecture[] = [],
): PlatformMatch {
  const needed = [...new Set<Architecture>([...neededArchitectures(nodeGroups), ...architectures])];
  const found: Partial<Record<Architecture, PlatformManifest>> = {};
  const missing: MissingPlatform[] = [];
  for (const architecture of needed) {
    const manifest = pickPlatform(image.manifests, architecture);
    if (manifest) found[architecture] = manifest;
    else {
      missing.push({
        architecture,
        platform: `linux/${architecture}`,
        nodeGroups: nodeGroups.filter((g) => g.architecture === architecture).map((g) => g.name),
      });
    }
  }
  const available = [...new Set(image.manifests.map((m) => formatPlatform(m.platform)))];
  return {
    found,
    missing,
    available,
    ...(missing.length > 0 ? { message: missingPlatformMessage(image.image, available, missing) } : {}),
  };
}

/**
 * "image quay.io/x/y:1 has platforms linux/arm64 but node groups general (amd64)
 * need linux/amd64" — the three facts a user needs to fix it.
 */
export function missingPlatformMessage(image: string, available: readonly string[], missing: readonly MissingPlatform[]): string {
  const has = available.length > 0 ? `has platforms ${available.join(", ")}` : "lists no platforms";
  const needs = missing.map((m) => {
    const groups = m.nodeGroups.length > 0 ? `node groups ${m.nodeGroups.map((g) => `${g} (${m.architecture})`).join(", ")}` : "the mirror";
    return `${groups} need ${m.platform}`;
  });
  return `image ${image} ${has} but ${needs.join(" and ")}`;
}
