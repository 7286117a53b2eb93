/** All policy rules over a planned graph, one per incident lesson (DESIGN §4). */
import type { EnvironmentSpec } from "../spec.js";
import type { Finding, PlanGraph, Rule } from "./types.js";
import { imageSource } from "./image-source.js";
import { imageArchitecture } from "./image-architecture.js";
import { keycloakPairing } from "./keycloak-pairing.js";
import { backstageAuthKey, backstageKubernetesPlugin } from "./backstage-config.js";
import { rdsHardening } from "./rds-hardening.js";
import { iamSecretScope } from "./iam-secret-scope.js";
import { secretStoreOrder } from "./secret-store-order.js";
import { databaseApplications } from "./database-applications.js";
import { noPlainSecrets } from "./no-plain-secrets.js";

export type { Finding, PlanGraph, PlannedLayer, Rule } from "./types.js";

export const RULES: Record<string, Rule> = {
  imageSource,
  imageArchitecture,
  keycloakPairing,
  backstageAuthKey,
  backstageKubernetesPlugin,
  rdsHardening,
  iamSecretScope,
  secretStoreOrder,
  databaseApplications,
  noPlainSecrets,
};

/** Run every rule; errors first, then by URN, so output is stable. */
export function runPolicies(graph: PlanGraph, spec: EnvironmentSpec): Finding[] {
  const findings = Object.values(RULES).flatMap((rule) => rule(graph, spec));
  const rank = (f: Finding) => (f.severity === "error" ? 0 : 1);
  return findings.sort((a, b) => rank(a) - rank(b) || a.rule.localeCompare(b.rule) || a.urn.localeCompare(b.urn));
}
