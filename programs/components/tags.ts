/**
 * Tags every taggable AWS resource of an environment carries. The foundation
 * layer also sets them as the provider's `defaultTags`; components add them
 * explicitly too, so a component used with another provider still tags its
 * resources and the offline plan (which sees resource inputs, not provider
 * defaults) can check them.
 */
import * as pulumi from "@pulumi/pulumi";

/** A tag map as components accept it. */
export type Tags = pulumi.Input<Record<string, pulumi.Input<string>>>;

export const ENVIRONMENT_TAG = "goldenpath:environment";
export const MANAGED_BY_TAG = "goldenpath:managed-by";

/** The spec's own tags plus goldenpath's environment and managed-by tags (ours win). */
export function environmentTags(spec: { name: string; tags: Record<string, string> }): Record<string, string> {
  return { ...spec.tags, [ENVIRONMENT_TAG]: spec.name, [MANAGED_BY_TAG]: "goldenpath" };
}

/** `base` with `extra` laid over it, e.g. a `Name` tag or EKS discovery tags. */
export function withTags(base: Tags | undefined, extra: Record<string, pulumi.Input<string>>): pulumi.Output<Record<string, string>> {
  return pulumi.all([pulumi.output(base ?? {}), pulumi.output(extra)]).apply(([b, e]) => ({ ...b, ...e }));
}
