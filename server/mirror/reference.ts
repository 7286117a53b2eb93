/**
 * Image references as Docker and every registry client read them:
 * `nginx` is `docker.io/library/nginx:latest`, `bitnami/keycloak:26` is on
 * Docker Hub, and a first component with a dot, a colon or `localhost` is a
 * registry host (`quay.io/keycloak/keycloak`, `127.0.0.1:5000/a/b:tag`).
 */
import { InvalidImageReferenceError } from "./errors.js";

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry host as users write it, with port if any: `docker.io`, `quay.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** Repository path inside the registry: `library/nginx`, `keycloak/keycloak`. */
  readonly repository: string;
  /** Tag, when the reference has one. */
  readonly tag?: string;
  /** Content digest `sha256:<64 hex>`, when the reference has one. */
  readonly digest?: string;
}

export const DOCKER_HUB = "docker.io";
export const DEFAULT_TAG = "latest";

// The grammar of github.com/distribution/reference, reduced to what we check.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** Aliases that all mean Docker Hub. */
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

/** Normalises a registry host: Docker Hub aliases become `docker.io`, hosts are lower-cased. */
export function normaliseRegistry(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** Parses a reference; throws {@link InvalidImageReferenceError} naming what is wrong. */
export function parseImageReference(input: string): ImageReference {
  const text = input.trim();
  if (text === "") throw new InvalidImageReferenceError(input, "it is empty");
  if (/\s/.test(text)) throw new InvalidImageReferenceError(input, "it contains whitespace");
  if (text.includes("://")) throw new InvalidImageReferenceError(input, "write it without a scheme (no docker:// or https://)");

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidImageReferenceError(input, `"${digest}" is not a sha256/sha512 digest`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  // A colon after the last slash separates the tag; one before it is a registry port.
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw new InvalidImageReferenceError(input, `"${tag}" is not a valid tag`);
  }

  let registry = DOCKER_HUB;
  let repository = rest;
  const firstSlash = rest.indexOf("/");
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[")) {
      registry = first;
      repository = rest.slice(firstSlash + 1);
      if (!HOST.test(registry)) throw new InvalidImageReferenceError(input, `"${registry}" is not a valid registry host`);
    }
  }
  registry = normaliseRegistry(registry);
  if (repository === "") throw new InvalidImageReferenceError(input, "the repository name is missing");
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  for (const component of repository.split("/")) {
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidImageReferenceError(
        input,
        `repository component "${component}" must be lowercase letters, digits and separators (. _ __ -)`,
      );
    }
  }
  if (registry.length + 1 + repository.length > 255) throw new InvalidImageReferenceError(input, "the name is longer than 255 characters");

  // Neither tag nor digest means `latest`, as every client reads it.
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Prints a reference in full form: `docker.io/library/nginx:1.27@sha256:…`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/** `registry/repository` without tag or digest. */
export function repositoryName(ref: Pick<ImageReference, "registry" | "repository">): string {
  return `${ref.registry}/${ref.repository}`;
}

/** What to ask the registry for: the digest when pinned (it wins over the tag), else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** The same image pinned to `digest` (the tag is dropped: a digest is the whole truth). */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  return { registry: ref.registry, repository: ref.repository, digest };
}

/** Host that serves the distribution API for a registry (Docker Hub's API lives elsewhere). */
export function registryApiHost(registry: string): string {
  return normaliseRegistry(registry) === DOCKER_HUB ? "registry-1.docker.io" : registry;
}

/** True for hosts on this machine, which registries conventionally serve over plain http. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(1, registry.indexOf("]")) : registry.replace(/:\d+$/, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
