/**
 * DESIGN §4.8: no secret value in plain inputs or outputs. A generated
 * password, RDS master password or kubeconfig that reaches an input not
 * marked secret would be stored in state and shown in previews in clear text
 * (the incident's literal `APP_CONFIG_backend_auth_keys_0_secret`).
 */
import type { Rule, Finding } from "./types.js";
import { walkStrings } from "./graph.js";

export const RULE = "no-plain-secrets";

export const noPlainSecrets: Rule = (g) => {
  const findings: Finding[] = [];
  const secrets = g.knownSecrets.filter((s) => s.length >= 8);
  if (!secrets.length) return findings;
  const leaks = (v: unknown): string[] => {
    const paths: string[] = [];
    walkStrings(v, (p, s) => {
      if (secrets.some((x) => s.includes(x))) paths.push(p);
    });
    return paths;
  };
  for (const layer of g.layers) {
    for (const r of layer.resources) {
      for (const p of leaks(r.inputs)) {
        findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `input ${p} of ${r.name} holds a secret value in plain text; pass it as a pulumi.secret or a secretKeyRef` });
      }
    }
    for (const p of leaks(layer.outputs)) {
      findings.push({ rule: RULE, severity: "error", urn: layer.stackUrn, message: `output ${p} of the ${layer.name} layer holds a secret value in plain text; wrap it in pulumi.secret` });
    }
  }
  return findings;
};

/** Replace every known secret value inside strings with "[secret]" (the plan never prints one, even when a rule found it). */
export function scrub<T>(v: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  if (!list.length) return v;
  const fix = (x: unknown): unknown => {
    if (typeof x === "string") return list.reduce((s, secret) => (s.includes(secret) ? s.split(secret).join("[secret]") : s), x);
    if (Array.isArray(x)) return x.map(fix);
    if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fix(y)]));
    return x;
  };
  return fix(v) as T;
}
