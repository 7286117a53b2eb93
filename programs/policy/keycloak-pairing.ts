/**
 * DESIGN §4.3: the Bitnami Keycloak chart needs a Bitnami-layout image (the
 * official image lacks /opt/bitnami/scripts: the incident's misleading
 * `exec format error`) and `global.security.allowInsecureImages` because the
 * image comes from ECR, not docker.io/bitnami; the keycloakx chart takes the
 * official image.
 */
import type { Rule, Finding } from "./types.js";
import { allResources, appRelease, at, stackUrn } from "./graph.js";
import { keycloakPairingError } from "../components/keycloak.js";
import { keycloakChart } from "../spec.js";

export const RULE = "keycloak-chart-image";

export const keycloakPairing: Rule = (g, spec) => {
  const kc = spec.apps.keycloak;
  if (!kc.enabled) return [];
  const findings: Finding[] = [];
  const release = appRelease(g, "keycloak");
  const component = allResources(g).find((r) => r.type === "goldenpath:k8s:Keycloak");
  const urn = release?.urn ?? component?.urn ?? stackUrn(g, "platform");
  const pairing = keycloakPairingError(kc.flavor, keycloakChart(kc), spec.images.keycloak.source);
  if (pairing) findings.push({ rule: RULE, severity: "error", urn, message: pairing });
  if (release && kc.flavor === "bitnami" && at(release.inputs.values, "global.security.allowInsecureImages") !== true) {
    findings.push({
      rule: RULE,
      severity: "error",
      urn: release.urn,
      message: "the Bitnami chart refuses images not from docker.io/bitnami unless global.security.allowInsecureImages is true; the ECR mirror needs it set",
    });
  }
  return findings;
};
