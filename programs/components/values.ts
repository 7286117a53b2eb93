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

export { isBitnamiLayoutImage, splitImage, type ImageParts } from "../image-rules.js";


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
