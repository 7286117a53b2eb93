/**
 * The policy contract: rules over a planned resource graph. Each rule is one
 * incident lesson (DESIGN §4) that can be checked without a cloud.
 */
import type { EnvironmentSpec } from "../spec.js";
import type { LayerName } from "../layers/types.js";
import type { RegisteredResource } from "../mock-runtime.js";

/** One problem found in a plan; `message` says what to change. */
export interface Finding {
  rule: string;
  severity: "error" | "warning";
  /** The resource it is about (the layer's stack URN for spec-level findings). */
  urn: string;
  message: string;
}

/** A planned layer: what the program registered and its (redacted) outputs. */
export interface PlannedLayer {
  name: LayerName;
  /** URN of the layer's root stack (used for findings not tied to one resource). */
  stackUrn: string;
  resources: RegisteredResource[];
  outputs: Record<string, unknown>;
}

/** What the rules look at. */
export interface PlanGraph {
  environment: string;
  region: string;
  accountId: string;
  layers: PlannedLayer[];
  /** Physical id of each custom resource by URN, as the modelled cloud answered. */
  ids: Readonly<Record<string, string>>;
  /** Secret values the modelled cloud generated; never serialized. */
  knownSecrets: readonly string[];
}

export type Rule = (graph: PlanGraph, spec: EnvironmentSpec) => Finding[];
