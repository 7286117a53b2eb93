/**
 * Preflight of images (DESIGN §3, §4.1–4.3): before any layer runs, every
 * source resolves, has each node-group platform, and fits its chart. Makes no
 * change anywhere; the registry is only read. Each finding names the rule,
 * the image and what to do, so the route and the CLI print it as-is.
 *
 * The input is this module's own shape; the spec's (`programs/spec.ts`) is
 * adapted to it by the caller.
 */
import { keycloakPairingError, type KeycloakFlavor } from "../../programs/image-rules.js";
import { keycloakChart, type ChartSource } from "../../programs/spec.js";
import { anonymous, type CredentialProvider } from "./credentials.js";
import { MirrorError } from "./errors.js";
import { matchPlatforms, missingPlatformMessage, type Architecture, type NodeGroupArchitecture } from "./platforms.js";
import { DOCKER_HUB, formatImageReference, parseImageReference, type ImageReference } from "./reference.js";
import { RegistryClient, formatPlatform } from "./registry-client.js";
import { applyRegistryMirrors, type RegistryMirror } from "./registry-config.js";

/** What preflight checks. */
export interface PreflightInput {
  /** Source image per app; `platform` (`linux/amd64`) pins the one platform the user expects to run. */
  readonly images: Readonly<Record<string, { readonly source: string; readonly platform?: string }>>;
  readonly nodeGroups: readonly NodeGroupArchitecture[];
  /** Chart flavour per app; only Keycloak has two. Default `keycloakx`. */
  readonly charts?: {
    readonly keycloak?: KeycloakFlavor;
    /** The Keycloak chart; default: the flavor's default chart. */
    readonly keycloakChart?: ChartSource;
  };
}

/** Rules preflight reports. */
export type PreflightRule =
  | "image-reference"
  | "image-resolves"
  | "image-platform"
  | "keycloak-image-layout"
  | "bitnami-legacy-tags"
  | "image-mutable-tag";

/** One finding. Errors block an operation; warnings are shown. */
export interface PreflightFinding {
  readonly rule: PreflightRule;
  readonly severity: "error" | "warning";
  /** The app whose image this is about. */
  readonly app: string;
  /** The source image, normalised when it parses. */
  readonly image: string;
  readonly message: string;
}

/** What each source resolved to (for display; the mirror resolves again when it runs). */
export interface PreflightImage {
  readonly source: string;
  readonly digest?: string;
  readonly platforms?: readonly string[];
}

/** Result of {@link runPreflight}. */
export interface PreflightResult {
  /** True when no finding is an error. */
  readonly ok: boolean;
  readonly findings: readonly PreflightFinding[];
  readonly images: Readonly<Record<string, PreflightImage>>;
}

/** Registry access for {@link runPreflight}. */
export interface PreflightOptions {
  /** A client to reuse; otherwise one is built from the fields below. */
  readonly client?: RegistryClient;
  readonly credentials?: CredentialProvider;
  readonly mirrors?: readonly RegistryMirror[];
  readonly insecureHosts?: readonly string[];
  readonly signal?: AbortSignal;
}

/** The checks that need no registry: references, chart/image pairing, Bitnami's 2025 move, mutable tags. */
export function checkImageRules(input: PreflightInput): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  const flavor = input.charts?.keycloak ?? "keycloakx";
  for (const [app, { source }] of Object.entries(input.images)) {
    let ref: ImageReference;
    try {
      ref = parseImageReference(source);
    } catch (err) {
      findings.push({ rule: "image-reference", severity: "error", app, image: source, message: (err as Error).message });
      continue;
    }
    const image = formatImageReference(ref);

    if (app === "keycloak") {
      // The same pairing rule the Keycloak component and the plan's policy enforce.
      const pairing = keycloakPairingError(flavor, input.charts?.keycloakChart ?? keycloakChart({ flavor }), image);
      if (pairing) findings.push({ rule: "keycloak-image-layout", severity: "error", app, image, message: pairing });
    }

    if (ref.registry === DOCKER_HUB && ref.repository.startsWith("bitnami/")) {
      const legacy = formatImageReference({ ...ref, repository: ref.repository.replace(/^bitnami\//, "bitnamilegacy/") });
      findings.push({
        rule: "bitnami-legacy-tags",
        severity: "warning",
        app,
        image,
        message:
          `${image}: in 2025 Bitnami moved the versioned tags of its free docker.io/bitnami catalog to docker.io/bitnamilegacy ` +
          `(pulls of old tags answer "manifest unknown"); use ${legacy}`,
      });
    }

    if (!ref.digest && (ref.tag === undefined || ref.tag === "latest")) {
      findings.push({
        rule: "image-mutable-tag",
        severity: "warning",
        app,
        image,
        message: `${image} uses "latest", which changes under you; name a version tag (the mirror pins the digest it finds, but a re-run may find another)`,
      });
    }
  }
  return findings;
}

/** Runs every image check, reading each source registry (through its mirror if configured). */
export async function runPreflight(input: PreflightInput, options: PreflightOptions = {}): Promise<PreflightResult> {
  const findings = checkImageRules(input);
  const client = options.client ?? new RegistryClient({ credentials: options.credentials ?? anonymous, insecureHosts: options.insecureHosts });
  const needed = [...new Set(input.nodeGroups.map((g) => g.architecture))];
  const images: Record<string, PreflightImage> = {};

  const checks = Object.entries(input.images).map(async ([app, entry]): Promise<void> => {
    let ref: ImageReference;
    try {
      ref = parseImageReference(entry.source);
    } catch {
      images[app] = { source: entry.source };
      return; // already reported by checkImageRules
    }
    const image = formatImageReference(ref);
    try {
      const resolved = await client.resolve(applyRegistryMirrors(ref, options.mirrors ?? []), options.signal);
      const match = matchPlatforms({ image, manifests: resolved.manifests }, input.nodeGroups);
      images[app] = { source: image, digest: resolved.digest, platforms: match.available };
      if (match.message) findings.push({ rule: "image-platform", severity: "error", app, image, message: match.message });
      if (entry.platform) findings.push(...checkPinnedPlatform(app, image, entry.platform, match.available, input.nodeGroups, needed));
    } catch (err) {
      // Typed registry errors carry the registry's own answer and no secrets; anything else is a bug and propagates.
      if (!(err instanceof MirrorError)) throw err;
      images[app] = { source: image };
      findings.push({ rule: "image-resolves", severity: "error", app, image, message: err.message });
    }
  });
  await Promise.all(checks);

  const order = Object.keys(input.images);
  findings.sort((a, b) => order.indexOf(a.app) - order.indexOf(b.app));
  return { ok: !findings.some((f) => f.severity === "error"), findings, images };
}

/** A pinned `platform` must exist in the image and match what the node groups run. */
function checkPinnedPlatform(
  app: string,
  image: string,
  platform: string,
  available: readonly string[],
  nodeGroups: readonly NodeGroupArchitecture[],
  needed: readonly Architecture[],
): PreflightFinding[] {
  const [os, architecture, variant] = platform.split("/");
  const pinned = formatPlatform({ os, architecture, ...(variant ? { variant } : {}) });
  const out: PreflightFinding[] = [];
  if (!available.includes(pinned)) {
    out.push({ rule: "image-platform", severity: "error", app, image, message: `image ${image} is pinned to ${pinned} but has platforms ${available.join(", ") || "none"}` });
  }
  const others = needed.filter((a) => a !== architecture || os !== "linux");
  if (others.length > 0) {
    const missing = others.map((a) => ({ architecture: a, platform: `linux/${a}`, nodeGroups: nodeGroups.filter((g) => g.architecture === a).map((g) => g.name) }));
    out.push({ rule: "image-platform", severity: "error", app, image, message: `${missingPlatformMessage(image, [pinned], missing)} (the image is pinned to ${pinned})` });
  }
  return out;
}
