/**
 * Image rules shared by the programs (component checks, policy) and the
 * service (preflight). Pure and free of the Pulumi SDK, so the server can use
 * them without loading it.
 */
import type { ChartSource } from "./spec.js";
import { chartName } from "./components/chart.js";

/** Docker Hub owners that publish Bitnami-layout images (bitnamisecure: Bitnami Secure Images). */
const BITNAMI_OWNERS = new Set(["bitnami", "bitnamilegacy", "bitnamisecure"]);

export type KeycloakFlavor = "keycloakx" | "bitnami";

/** An image reference split the way Bitnami-style charts take it. */
export interface ImageParts {
  /** Registry host, e.g. `123456789012.dkr.ecr.eu-west-2.amazonaws.com`. */
  registry: string;
  /** Repository path inside the registry, e.g. `dev/keycloak`. */
  repository: string;
  /** `sha256:…` when the reference is pinned by digest. */
  digest?: string;
  tag?: string;
}

/** Split `registry/path[:tag][@sha256:…]`; a reference without a registry host means Docker Hub. */
export function splitImage(ref: string): ImageParts {
  const [nameAndTag, digest] = ref.split("@");
  const slash = nameAndTag.indexOf("/");
  const first = slash < 0 ? "" : nameAndTag.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const registry = hasRegistry ? first : "docker.io";
  let path = hasRegistry ? nameAndTag.slice(slash + 1) : nameAndTag;
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon > path.lastIndexOf("/")) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (registry === "docker.io" && !path.includes("/")) path = `library/${path}`;
  return { registry, repository: path, ...(digest ? { digest } : {}), ...(tag ? { tag } : {}) };
}

/**
 * Whether a source image follows the Bitnami container layout
 * (`/opt/bitnami/scripts`, which the Bitnami charts' init containers and
 * entrypoints call). Bitnami publishes under `bitnami/*` and, since the 2025
 * catalog change, `bitnamilegacy/*` on Docker Hub and `public.ecr.aws/bitnami/*`.
 */
export function isBitnamiLayoutImage(source: string): boolean {
  const { registry, repository } = splitImage(source);
  const owner = repository.split("/")[0];
  if (registry === "docker.io") return BITNAMI_OWNERS.has(owner);
  if (registry === "public.ecr.aws") return owner === "bitnami" || owner === "bitnamilegacy";
  // Bitnami Secure Images and mirrors keep the owner segment somewhere in the path.
  return repository.split("/").some((seg) => BITNAMI_OWNERS.has(seg));
}

/** Refuse chart/image pairings that cannot start (DESIGN §4.3). */
export function keycloakPairingError(flavor: KeycloakFlavor, chart: ChartSource, imageSource: string): string | undefined {
  const bitnamiImage = isBitnamiLayoutImage(imageSource);
  const name = chartName(chart);
  if (flavor === "bitnami") {
    if (!bitnamiImage) {
      return (
        `the Bitnami Keycloak chart needs a Bitnami-layout image (bitnami/…, bitnamilegacy/… or public.ecr.aws/bitnami/…), ` +
        `but images.keycloak.source is ${imageSource}: it lacks /opt/bitnami/scripts and the pod would fail with a misleading ` +
        `"exec format error". Use flavor keycloakx with the official image, or a Bitnami image.`
      );
    }
    if (name === "keycloakx") return `flavor bitnami needs apps.keycloak.chart to point at the Bitnami keycloak chart, not ${name}`;
  } else {
    if (bitnamiImage) {
      return `the keycloakx chart runs the official Keycloak image (quay.io/keycloak/keycloak), but images.keycloak.source is the Bitnami-layout image ${imageSource}; use flavor bitnami or the official image`;
    }
    const src = "repo" in chart ? chart.repo : "oci" in chart ? chart.oci : "";
    if (/bitnami/.test(src)) return `flavor keycloakx needs the codecentric keycloakx chart, not the Bitnami chart ${src}`;
  }
  return undefined;
}

