/**
 * Typed helpers for Helm values: values are built as TypeScript objects (so
 * the offline plan and its policy rules see them as data in each Release's
 * `values`), and the spec's free-form `values` are merged over them last.
 */
import * as pulumi from "@pulumi/pulumi";

/** A Helm values tree. Leaves may be Pulumi inputs (resolved by the Release). */
export type Values = { [key: string]: unknown };

/** A container env var as Kubernetes takes it: a literal or a reference, never both. */
export type EnvVar =
  | { name: string; value: pulumi.Input<string> }
  | { name: string; valueFrom: { secretKeyRef: { name: pulumi.Input<string>; key: string; optional?: boolean } } }
  | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

function isPlainObject(v: unknown): v is Values {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  if (pulumi.Output.isInstance(v) || pulumi.Resource.isInstance(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Merge `override` over `base`, Helm style: objects merge key by key, while
 * arrays, scalars and Pulumi outputs are replaced whole. `null` in the
 * override deletes the key, as `--set key=null` does. Neither input is mutated.
 */
export function deepMerge(base: Values, override: Values | undefined): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = deepMerge(out[key] as Values, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** An env var read from a key of a Kubernetes Secret (the value never enters the pod spec). */
export function secretEnv(name: string, secretName: pulumi.Input<string>, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** A literal env var (only for values that are not secret). */
export function plainEnv(name: string, value: pulumi.Input<string>): EnvVar {
  return { name, value };
}

/** `<repository>@<digest>`: the only image reference form the platform deploys. */
export function imageRef(repository: string, digest: string): string {
  return `${repository}@${digest}`;
}

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
  if (registry === "docker.io") return owner === "bitnami" || owner === "bitnamilegacy";
  if (registry === "public.ecr.aws") return owner === "bitnami" || owner === "bitnamilegacy";
  // Bitnami Secure Images and mirrors keep the owner segment somewhere in the path.
  return repository.split("/").some((seg) => seg === "bitnami" || seg === "bitnamilegacy");
}

/**
 * A component's own `dependsOn` does not reach its children in Pulumi; the
 * children that must wait (a chart, a Job) list it next to their own.
 */
export function dependsOnWith(own: pulumi.Input<pulumi.Resource>[], inherited: pulumi.ResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (inherited === undefined) return own;
  if (Array.isArray(inherited)) return [...own, ...inherited];
  if (pulumi.Resource.isInstance(inherited)) return [...own, inherited];
  throw new Error("dependsOn of a goldenpath component must be a resource or an array of resources");
}
