/**
 * The two phases that are not engine runs: preflight (credentials, account,
 * image platforms) and mirror (copy each image into the environment's ECR and
 * pin it by digest). The image-mirror code (`server/mirror/`) is wired in
 * here, and only here, when it is ready; until then both phases say plainly
 * that they were skipped and the mirror produces stand-in digests (`sha256:`
 * of the source reference) so the platform layer gets the inputs it expects.
 */
import { createHash } from "node:crypto";
import { APPS, type AppName, type EnvironmentSpec } from "../../programs/spec.js";
import type { FoundationOutputs, MirroredImage } from "../../programs/layers/types.js";

/** What a phase hook reports back to the runner. */
export interface PhaseReport {
  status: "succeeded" | "skipped";
  message?: string;
}

export interface PhaseHookContext {
  spec: EnvironmentSpec;
  signal: AbortSignal;
  /** Record a diagnostic event on the operation. */
  note: (message: string) => void;
}

export const MIRROR_NOT_WIRED = "skipped: image mirror not wired yet";
export const PREFLIGHT_NOT_WIRED = "skipped: preflight checks not wired yet";

/** Preflight: resolve images and check their platforms (no changes). */
export async function preflightPhase(ctx: PhaseHookContext): Promise<PhaseReport> {
  ctx.note("preflight checks (credentials, account, image platforms) are not wired yet");
  return { status: "skipped", message: PREFLIGHT_NOT_WIRED };
}

export interface MirrorResult extends PhaseReport {
  images: Partial<Record<AppName, MirroredImage>>;
}

/** Stand-in digest until the mirror is wired: stable per source reference. */
export function simulatedDigest(source: string): string {
  return `sha256:${createHash("sha256").update(source).digest("hex")}`;
}

/**
 * Mirror each enabled app's image into the environment's ECR repository.
 * `dryRun` (preview, refresh) resolves digests without copying anything.
 */
export async function mirrorPhase(ctx: PhaseHookContext, foundation: FoundationOutputs, _opts: { dryRun: boolean }): Promise<MirrorResult> {
  const images: Partial<Record<AppName, MirroredImage>> = {};
  for (const app of APPS) {
    if (!ctx.spec.apps[app].enabled) continue;
    const repository = foundation.ecrRepositoryUrls?.[app] ?? `${foundation.ecrRegistry}/${ctx.spec.name}/${app}`;
    images[app] = { repository, digest: simulatedDigest(ctx.spec.images[app].source) };
  }
  ctx.note(`${MIRROR_NOT_WIRED}; using stand-in digests for ${Object.keys(images).join(", ") || "no images"}`);
  return { status: "skipped", message: MIRROR_NOT_WIRED, images };
}
