/**
 * The service's view of images: adapts an environment spec to the mirror
 * library (preflight and copy), and decides where images go.
 *
 * - `pulumi` engine: sources are resolved on their registries and copied into
 *   the environment's ECR (`<account>.dkr.ecr.<region>.amazonaws.com/<env>/<app>`)
 *   with credentials from ECR `GetAuthorizationToken`.
 * - `simulate` engine with `GOLDENPATH_SIMULATE_REGISTRY`: the same, but the
 *   target is that registry (a real one, for tests and demos).
 * - `simulate` engine without it: nothing is resolved or copied; the rules that
 *   need no registry still run, and every report says the images were simulated.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { APPS, keycloakChart, type AppName, type EnvironmentSpec } from "../../programs/spec.js";
import type { FoundationOutputs, MirroredImage } from "../../programs/layers/types.js";
import type { EngineName } from "../engine/port.js";
import type { MirrorProgressEvent } from "./copier.js";
import { anonymous, chainCredentials, EcrCredentials, type CredentialProvider } from "./credentials.js";
import { mirrorImages, type MirrorResult } from "./mirror.js";
import { checkImageRules, runPreflight, type PreflightFinding, type PreflightInput, type PreflightResult } from "./preflight.js";
import { loadDockerConfig, parseRegistryMirrors, type RegistryMirror } from "./registry-config.js";

export interface ImageServiceOptions {
  engine: EngineName;
  /** `GOLDENPATH_REGISTRY_MIRRORS`: pull-through caches for sources. */
  registryMirrors?: string;
  /** `DOCKER_CONFIG`: directory holding a Docker `config.json` with source credentials. */
  dockerConfigDir?: string;
  /** `GOLDENPATH_SIMULATE_REGISTRY`: a real registry (`host:port`) that stands in for ECR under simulate. */
  simulateRegistry?: string;
}

export interface PreflightReport extends PreflightResult {
  /** True when images were not resolved (simulate engine without a registry). */
  simulated: boolean;
}

export interface MirrorPhaseResult {
  images: Partial<Record<AppName, MirroredImage>>;
  /** Per app: what the mirror did (source digest, platforms, copied or not). */
  details: MirrorResult;
  simulated: boolean;
}

/** The apps whose images the platform layer deploys. */
export function enabledApps(spec: EnvironmentSpec): AppName[] {
  return APPS.filter((app) => spec.apps[app].enabled);
}

/** The spec as preflight's input: enabled apps' images, node groups, Keycloak's chart flavour. */
export function preflightInput(spec: EnvironmentSpec): PreflightInput {
  const images: Record<string, { source: string; platform?: string }> = {};
  for (const app of enabledApps(spec)) images[app] = { ...spec.images[app] };
  return {
    images,
    nodeGroups: spec.cluster.nodeGroups.map((g) => ({ name: g.name, architecture: g.architecture })),
    charts: { keycloak: spec.apps.keycloak.flavor, keycloakChart: keycloakChart(spec.apps.keycloak) },
  };
}

/** Stand-in digest when images are simulated: stable per source reference. */
export function simulatedDigest(source: string): string {
  return `sha256:${createHash("sha256").update(source).digest("hex")}`;
}

export class ImageService {
  private readonly mirrors: RegistryMirror[];
  private sourceCredentials?: Promise<CredentialProvider>;

  constructor(private readonly options: ImageServiceOptions) {
    // Parsed up front so a bad setting fails at start-up, not mid-operation.
    this.mirrors = parseRegistryMirrors(options.registryMirrors);
  }

  /** Whether images are really resolved and copied (else simulated). */
  get real(): boolean {
    return this.options.engine === "pulumi" || Boolean(this.options.simulateRegistry);
  }

  private insecureHosts(): string[] {
    return this.options.simulateRegistry ? [this.options.simulateRegistry] : [];
  }

  private credentials(): Promise<CredentialProvider> {
    this.sourceCredentials ??= (async () => {
      if (!this.options.dockerConfigDir) return anonymous;
      try {
        return await loadDockerConfig(join(this.options.dockerConfigDir, "config.json"));
      } catch {
        // No config.json (or unreadable): pull anonymously; the registry's answer will say if that is not enough.
        return anonymous;
      }
    })();
    return this.sourceCredentials;
  }

  /** Resolve every image and check its platforms and chart pairing. Changes nothing. */
  async preflight(spec: EnvironmentSpec, signal?: AbortSignal): Promise<PreflightReport> {
    const input = preflightInput(spec);
    if (!this.real) {
      const findings: PreflightFinding[] = checkImageRules(input);
      const images = Object.fromEntries(Object.entries(input.images).map(([app, i]) => [app, { source: i.source }]));
      return { ok: !findings.some((f) => f.severity === "error"), findings, images, simulated: true };
    }
    const result = await runPreflight(input, {
      credentials: await this.credentials(),
      mirrors: this.mirrors,
      insecureHosts: this.insecureHosts(),
      signal,
    });
    return { ...result, simulated: false };
  }

  /**
   * Copy each enabled app's image into the environment's registry, for the
   * node groups' architectures only, and return what the platform layer pins.
   */
  async mirror(
    spec: EnvironmentSpec,
    foundation: FoundationOutputs,
    opts: { signal?: AbortSignal; onEvent?: (e: MirrorProgressEvent) => void },
  ): Promise<MirrorPhaseResult> {
    const apps = enabledApps(spec);
    if (!this.real) {
      const images: Partial<Record<AppName, MirroredImage>> = {};
      for (const app of apps) {
        const repository = foundation.ecrRepositoryUrls?.[app] ?? `${foundation.ecrRegistry}/${spec.name}/${app}`;
        images[app] = { repository, digest: simulatedDigest(spec.images[app].source) };
      }
      return { images, details: {}, simulated: true };
    }
    const registry = this.options.simulateRegistry ?? foundation.ecrRegistry;
    const target = { registry, repositoryFor: (app: string) => `${spec.name}/${app}` };
    const sourceCredentials = await this.credentials();
    const details = await mirrorImages({
      images: Object.fromEntries(apps.map((app) => [app, spec.images[app]])),
      nodeGroups: spec.cluster.nodeGroups.map((g) => ({ name: g.name, architecture: g.architecture })),
      target,
      // Under simulate the stand-in registry takes the Docker config's credentials (if any); ECR its own.
      credentials: this.options.simulateRegistry ? sourceCredentials : chainCredentials(new EcrCredentials(), sourceCredentials),
      sourceCredentials,
      mirrors: this.mirrors,
      insecureHosts: this.insecureHosts(),
      onEvent: opts.onEvent,
      signal: opts.signal,
    });
    const images: Partial<Record<AppName, MirroredImage>> = {};
    for (const app of apps) images[app] = { repository: details[app].repository, digest: details[app].digest };
    return { images, details, simulated: false };
  }
}
