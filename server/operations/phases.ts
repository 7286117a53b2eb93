/**
 * The two phases that are not engine runs: preflight (resolve images, check
 * their platforms and chart pairing — no changes) and mirror (copy each image
 * into the environment's registry and pin it by digest). Both go through the
 * image service (`server/mirror/image-service.ts`), which decides per engine
 * whether images are really resolved and copied (pulumi; simulate with
 * `GOLDENPATH_SIMULATE_REGISTRY`) or simulated (stand-in digests, `sha256:`
 * of the source reference). Without an image service both phases are
 * skipped and say so.
 */
import { APPS, type AppName, type EnvironmentSpec } from "../../programs/spec.js";
import type { FoundationOutputs, MirroredImage } from "../../programs/layers/types.js";
import { simulatedDigest, type ImageService } from "../mirror/image-service.js";

export { simulatedDigest };

/** What a phase hook reports back to the runner. */
export interface PhaseReport {
  status: "succeeded" | "skipped";
  message?: string;
}

export interface PhaseHookContext {
  spec: EnvironmentSpec;
  signal: AbortSignal;
  /** Record a diagnostic event on the operation. */
  note: (message: string, severity?: "info" | "warning" | "error") => void;
  /** Record any other event on the operation. */
  emit: (kind: string, data: Record<string, unknown>) => void;
  images?: ImageService;
}

/** A phase refused to go on; `message` is safe for any client. */
export class PhaseError extends Error {
  constructor(
    readonly code: "PREFLIGHT_FAILED" | "MIRROR_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "PhaseError";
  }
}

export const MIRROR_NOT_WIRED = "skipped: image mirror not wired yet";
export const PREFLIGHT_NOT_WIRED = "skipped: preflight checks not wired yet";

/** Preflight: resolve images and check their platforms (no changes). Fails the operation on an error finding. */
export async function preflightPhase(ctx: PhaseHookContext): Promise<PhaseReport> {
  if (!ctx.images) return { status: "skipped", message: PREFLIGHT_NOT_WIRED };
  const report = await ctx.images.preflight(ctx.spec, ctx.signal);
  for (const f of report.findings) ctx.note(`${f.app}: ${f.message}`, f.severity);
  if (!report.ok) {
    const errors = report.findings.filter((f) => f.severity === "error");
    throw new PhaseError("PREFLIGHT_FAILED", `preflight failed: ${errors.map((f) => `${f.app}: ${f.message}`).join("; ")}`);
  }
  const message = report.simulated ? "image rules checked; images simulated (not resolved)" : "images resolved and checked";
  return { status: "succeeded", message };
}

export interface MirrorResult extends PhaseReport {
  images: Partial<Record<AppName, MirroredImage>>;
}

function standIns(spec: EnvironmentSpec, foundation: FoundationOutputs): Partial<Record<AppName, MirroredImage>> {
  const images: Partial<Record<AppName, MirroredImage>> = {};
  for (const app of APPS) {
    if (!spec.apps[app].enabled) continue;
    const repository = foundation.ecrRepositoryUrls?.[app] ?? `${foundation.ecrRegistry}/${spec.name}/${app}`;
    images[app] = { repository, digest: simulatedDigest(spec.images[app].source) };
  }
  return images;
}

/**
 * The images the platform was last applied with, read back from its stored
 * outputs (`<app>Image` = `repository@sha256:…`).
 */
export function appliedImages(platformOutputs: Record<string, unknown> | undefined): Partial<Record<AppName, MirroredImage>> {
  const images: Partial<Record<AppName, MirroredImage>> = {};
  for (const app of APPS) {
    const ref = platformOutputs?.[`${app}Image`];
    if (typeof ref !== "string") continue;
    const at = ref.lastIndexOf("@sha256:");
    if (at > 0) images[app] = { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  }
  return images;
}

/**
 * Mirror each enabled app's image into the environment's registry.
 * `dryRun` (preview, refresh, drift) copies nothing. With real images the
 * platform is then previewed with the digests it was last applied with (else
 * every preview would show the images as pending changes); with simulated
 * images the stand-ins are what `up` used too.
 */
export async function mirrorPhase(
  ctx: PhaseHookContext,
  foundation: FoundationOutputs,
  opts: { dryRun: boolean; appliedPlatform?: Record<string, unknown> },
): Promise<MirrorResult> {
  if (!ctx.images) {
    ctx.note(`${MIRROR_NOT_WIRED}; using stand-in digests`);
    return { status: "skipped", message: MIRROR_NOT_WIRED, images: standIns(ctx.spec, foundation) };
  }
  if (opts.dryRun) {
    const applied = ctx.images.real ? appliedImages(opts.appliedPlatform) : {};
    const images = { ...standIns(ctx.spec, foundation), ...applied };
    const note = Object.keys(applied).length > 0 ? "; the platform is compared with the image digests it was last applied with" : "";
    return { status: "skipped", message: `skipped: nothing is copied by a preview, refresh or drift check${note}`, images };
  }
  const result = await ctx.images.mirror(ctx.spec, foundation, {
    signal: ctx.signal,
    // Progress by image and platform: names and byte counts only.
    onEvent: (e) => {
      if (e.phase !== "blob") ctx.emit("mirror", { image: e.image, platform: e.platform, step: e.phase, ...(e.bytes !== undefined ? { bytes: e.bytes } : {}) });
    },
  });
  const pinned = Object.entries(result.images).map(([app, i]) => `${app}@${i!.digest.slice(0, 19)}`);
  return {
    status: "succeeded",
    message: result.simulated ? `images simulated (stand-in digests): ${pinned.join(", ")}` : `mirrored and pinned: ${pinned.join(", ")}`,
    images: result.images,
  };
}
