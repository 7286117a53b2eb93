/**
 * DESIGN §4.5: `external-secrets.io/v1`, the ClusterSecretStore exists before
 * any ExternalSecret (the incident created it by hand after syncs failed),
 * and each database ExternalSecret syncs host, port, username and password.
 */
import type { Rule, Finding } from "./types.js";
import { at, dependsTransitively, ofKind } from "./graph.js";

export const RULE = "external-secrets";
const API = "external-secrets.io/v1";
const DB_KEYS = ["host", "port", "username", "password"];

export const secretStoreOrder: Rule = (g, spec) => {
  const findings: Finding[] = [];
  const stores = ofKind(g, "ClusterSecretStore");
  for (const r of [...stores, ...ofKind(g, "ExternalSecret"), ...ofKind(g, "SecretStore")]) {
    if (r.inputs.apiVersion !== API) {
      findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `${r.name} uses ${String(r.inputs.apiVersion)}; External Secrets 0.17+ serves only ${API}` });
    }
  }
  const appSecretNames = new Set(spec.database.applications.map((a) => `${spec.secretsPrefix}/${spec.name}/${a.name}/db`));
  for (const es of ofKind(g, "ExternalSecret")) {
    const storeName = at(es.inputs, "spec.secretStoreRef.name");
    const kind = at(es.inputs, "spec.secretStoreRef.kind") ?? "SecretStore";
    const store = stores.find((s) => at(s.inputs, "metadata.name") === storeName);
    if (kind === "ClusterSecretStore" && !store) {
      findings.push({ rule: RULE, severity: "error", urn: es.urn, message: `ExternalSecret ${es.name} refers to ClusterSecretStore ${String(storeName)}, which this plan does not create; create the store in the platform layer` });
    } else if (store && !dependsTransitively(g, es, store.urn)) {
      findings.push({ rule: RULE, severity: "error", urn: es.urn, message: `ExternalSecret ${es.name} does not depend on ClusterSecretStore ${String(storeName)}; add dependsOn so the store exists first` });
    }
    const data = (at(es.inputs, "spec.data") as { secretKey?: string; remoteRef?: { key?: string } }[] | undefined) ?? [];
    const remote = data[0]?.remoteRef?.key;
    const isDb = typeof remote === "string" && [...appSecretNames].some((n) => remote === n || remote.includes(`:secret:${n}`));
    if (isDb) {
      const keys = new Set(data.map((d) => d.secretKey));
      const missing = DB_KEYS.filter((k) => !keys.has(k));
      if (missing.length) {
        findings.push({ rule: RULE, severity: "error", urn: es.urn, message: `ExternalSecret ${es.name} does not sync ${missing.join(", ")}; database secrets need host, port, username and password` });
      }
    }
  }
  return findings;
};
