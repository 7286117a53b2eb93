/**
 * Registry settings for users behind a proxy or a pull-through cache:
 * a mirrors setting (`GOLDENPATH_REGISTRY_MIRRORS`, read by server/config.ts
 * and passed in here) that rewrites where a source is pulled from, and
 * credentials from a Docker `config.json`. Nothing here reads process.env.
 */
import { readFile } from "node:fs/promises";
import type { CredentialProvider, RegistryCredentials } from "./credentials.js";
import { normaliseRegistry, type ImageReference } from "./reference.js";

/** One rewrite: sources on `registry` are pulled from `mirrorRegistry/mirrorPrefix/<repository>`. */
export interface RegistryMirror {
  /** The source registry, normalised (`docker.io`). */
  readonly registry: string;
  /** The mirror's host (`mirror.example.com`). */
  readonly mirrorRegistry: string;
  /** Path prefix in the mirror (`dockerhub`), or "" for none. */
  readonly mirrorPrefix: string;
}

/** A mirrors setting that cannot be read; the message names the entry. */
export class RegistryMirrorsSettingError extends Error {
  readonly code = "INVALID_REGISTRY_MIRRORS";
  override readonly name = "RegistryMirrorsSettingError";
}

/**
 * Parses `docker.io=mirror.example.com/dockerhub,quay.io=cache.internal:5000/quay`.
 * Entries are separated by commas or whitespace; empty or undefined means none.
 */
export function parseRegistryMirrors(setting: string | undefined): RegistryMirror[] {
  if (!setting || setting.trim() === "") return [];
  const mirrors: RegistryMirror[] = [];
  for (const entry of setting.split(/[,\s]+/).filter(Boolean)) {
    const eq = entry.indexOf("=");
    if (eq <= 0 || eq === entry.length - 1) {
      throw new RegistryMirrorsSettingError(`registry mirror "${entry}" must be <registry>=<mirror host>[/<path prefix>]`);
    }
    const registry = normaliseRegistry(entry.slice(0, eq).trim());
    const target = entry.slice(eq + 1).trim().replace(/^https?:\/\//, "").replace(/\/+$/, "");
    const slash = target.indexOf("/");
    const mirrorRegistry = normaliseRegistry(slash < 0 ? target : target.slice(0, slash));
    const mirrorPrefix = slash < 0 ? "" : target.slice(slash + 1);
    if (!/^[a-z0-9.-]+(?::\d+)?$|^\[[0-9a-f:]+\](?::\d+)?$/i.test(mirrorRegistry) || registry.includes("/")) {
      throw new RegistryMirrorsSettingError(`registry mirror "${entry}" must be <registry>=<mirror host>[/<path prefix>]`);
    }
    if (mirrors.some((m) => m.registry === registry)) throw new RegistryMirrorsSettingError(`registry mirror for ${registry} is given twice`);
    mirrors.push({ registry, mirrorRegistry, mirrorPrefix });
  }
  return mirrors;
}

/** Where to pull `ref` from: rewritten to its mirror when one is configured, else unchanged. */
export function applyRegistryMirrors(ref: ImageReference, mirrors: readonly RegistryMirror[]): ImageReference {
  const mirror = mirrors.find((m) => m.registry === normaliseRegistry(ref.registry));
  if (!mirror) return ref;
  return {
    ...ref,
    registry: mirror.mirrorRegistry,
    repository: mirror.mirrorPrefix ? `${mirror.mirrorPrefix}/${ref.repository}` : ref.repository,
  };
}

/** The registry part of a config.json key: keys may be `https://index.docker.io/v1/`, `ghcr.io`, `host:5000`. */
function hostOfAuthKey(key: string): string {
  const withoutScheme = key.replace(/^[a-z]+:\/\//i, "");
  return normaliseRegistry(withoutScheme.split("/")[0]);
}

/** Credentials parsed from a Docker `config.json`. */
export class DockerConfigCredentials implements CredentialProvider {
  private readonly byHost: Map<string, RegistryCredentials>;
  /** Hosts that use a credential helper (`credsStore`/`credHelpers`), which this reader does not run. */
  readonly helperHosts: readonly string[];

  constructor(byHost: Map<string, RegistryCredentials>, helperHosts: readonly string[]) {
    this.byHost = byHost;
    this.helperHosts = helperHosts;
  }

  /** Registries this config has credentials for (never the credentials themselves). */
  get hosts(): string[] {
    return [...this.byHost.keys()];
  }

  async credentialsFor(registry: string): Promise<RegistryCredentials | undefined> {
    return this.byHost.get(normaliseRegistry(registry));
  }
}

/** Parses a Docker config.json text or object: `auths.<host>.auth` (base64 `user:pass`) or `username`/`password`. */
export function parseDockerConfig(config: string | object): DockerConfigCredentials {
  let json: unknown;
  if (typeof config === "string") {
    try {
      json = JSON.parse(config);
    } catch {
      // Never echo the text: it holds credentials.
      throw new Error("the Docker config.json is not valid JSON");
    }
  } else json = config;
  const root = (json ?? {}) as {
    auths?: Record<string, { auth?: string; username?: string; password?: string }>;
    credHelpers?: Record<string, string>;
  };
  const byHost = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(root.auths ?? {})) {
    if (!entry || typeof entry !== "object") continue;
    let creds: RegistryCredentials | undefined;
    if (typeof entry.auth === "string" && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) creds = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      else throw new Error(`the Docker config.json entry for ${hostOfAuthKey(key)} has an "auth" that is not base64 of user:password`);
    } else if (typeof entry.username === "string" && typeof entry.password === "string") {
      creds = { username: entry.username, password: entry.password };
    }
    if (creds) byHost.set(hostOfAuthKey(key), creds);
  }
  const helperHosts = Object.keys(root.credHelpers ?? {}).map(hostOfAuthKey);
  return new DockerConfigCredentials(byHost, helperHosts);
}

/** Reads a Docker config.json from `path` (the caller decides the path, e.g. `$DOCKER_CONFIG/config.json`). */
export async function loadDockerConfig(path: string): Promise<DockerConfigCredentials> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read Docker config ${path}: ${(err as NodeJS.ErrnoException).code ?? "read failed"}`);
  }
  return parseDockerConfig(text);
}
