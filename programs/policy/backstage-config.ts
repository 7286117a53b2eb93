/**
 * DESIGN §4.4, the incident's two Backstage crash loops: `backend.auth.keys`
 * must come from a generated Secret (never a literal in values or a literal
 * `APP_CONFIG_backend_auth_keys_*` env var), and the Kubernetes plugin needs
 * its config (`serviceLocatorMethod: multiTenant`, a cluster locator).
 */
import type { Rule, Finding } from "./types.js";
import { appRelease, at } from "./graph.js";

export const AUTH_RULE = "backstage-auth-key";
export const K8S_RULE = "backstage-kubernetes-plugin";

/** `${VAR}` substitution: resolved by Backstage from the environment at start. */
const isReference = (v: unknown) => typeof v === "string" && /^\$\{[A-Z0-9_]+\}$/.test(v);

export const backstageAuthKey: Rule = (g, spec) => {
  if (!spec.apps.backstage.enabled) return [];
  const r = appRelease(g, "backstage");
  if (!r) return [];
  const findings: Finding[] = [];
  const appConfig = at(r.inputs.values, "backstage.appConfig");
  const keys = at(appConfig, "backend.auth.keys");
  if (!Array.isArray(keys) || keys.length === 0) {
    findings.push({ rule: AUTH_RULE, severity: "error", urn: r.urn, message: "backend.auth.keys is empty: Backstage refuses to start (\"You must configure at least one key in backend.auth.keys\"); set keys[0].secret to ${BACKEND_SECRET} from a generated Secret" });
  } else {
    keys.forEach((k, i) => {
      const secret = (k as Record<string, unknown>)?.secret;
      if (!isReference(secret)) {
        findings.push({ rule: AUTH_RULE, severity: "error", urn: r.urn, message: `backend.auth.keys[${i}].secret is a literal in the chart values; reference an env var from a generated Secret (\${BACKEND_SECRET}) instead` });
      }
    });
  }
  const envs = at(r.inputs.values, "backstage.extraEnvVars");
  for (const e of Array.isArray(envs) ? envs : []) {
    const env = e as { name?: string; value?: unknown };
    if (/^APP_CONFIG_backend_auth_keys/.test(env.name ?? "") && env.value !== undefined) {
      findings.push({ rule: AUTH_RULE, severity: "error", urn: r.urn, message: `env ${env.name} sets the backend auth key as a literal; use valueFrom.secretKeyRef (or the generated backstage-backend-auth Secret)` });
    }
  }
  return findings;
};

export const backstageKubernetesPlugin: Rule = (g, spec) => {
  if (!spec.apps.backstage.enabled) return [];
  const r = appRelease(g, "backstage");
  if (!r) return [];
  const k8s = at(r.inputs.values, "backstage.appConfig.kubernetes");
  const findings: Finding[] = [];
  if (at(k8s, "serviceLocatorMethod.type") !== "multiTenant") {
    findings.push({ rule: K8S_RULE, severity: "error", urn: r.urn, message: "appConfig.kubernetes.serviceLocatorMethod.type must be multiTenant (the incident's \"Kubernetes configuration is missing\")" });
  }
  const locators = at(k8s, "clusterLocatorMethods");
  const clusters = Array.isArray(locators) ? locators.flatMap((l) => (Array.isArray(at(l, "clusters")) ? (at(l, "clusters") as unknown[]) : [])) : [];
  if (clusters.length === 0) {
    findings.push({ rule: K8S_RULE, severity: "error", urn: r.urn, message: "appConfig.kubernetes.clusterLocatorMethods has no cluster; add a config locator for the environment's own cluster" });
  }
  return findings;
};
