/**
 * DESIGN §4.5: the External Secrets role may read exactly the environment's
 * secrets: every secret the plan creates is covered (ARNs end in a
 * 6-character suffix, so an exact name without `-??????` or `*` misses), and
 * nothing beyond `<prefix>/<env>/` (the incident widened it to `goldenpath*`)
 * plus the RDS-managed master secret.
 */
import type { Rule, Finding } from "./types.js";
import { allResources, foundationOutputs, ofKind, ofType } from "./graph.js";
import type { RegisteredResource } from "../mock-runtime.js";

export const RULE = "iam-secret-scope";

const SECRET_READ = /^secretsmanager:(GetSecretValue|\*)$|^secretsmanager:\*$|^\*$/;

/** IAM resource globbing: `*` any run, `?` one character. */
export function iamGlob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

interface Grant { urn: string; resources: string[] }

function policyDocument(r: RegisteredResource): unknown {
  const p = r.inputs.policy;
  if (typeof p === "string") {
    try { return JSON.parse(p); } catch { return undefined; }
  }
  return p;
}

/** Statements that allow reading secret values. */
function secretGrants(g: Parameters<Rule>[0]): Grant[] {
  const out: Grant[] = [];
  for (const r of allResources(g).filter((x) => /^aws:iam\/(policy:Policy|rolePolicy:RolePolicy)$/.test(x.type))) {
    const doc = policyDocument(r) as { Statement?: unknown } | undefined;
    const statements = Array.isArray(doc?.Statement) ? doc!.Statement : doc?.Statement ? [doc.Statement] : [];
    for (const s of statements as Record<string, unknown>[]) {
      if (s.Effect !== "Allow") continue;
      const actions = ([] as unknown[]).concat(s.Action ?? []).map(String);
      if (!actions.some((a) => SECRET_READ.test(a))) continue;
      out.push({ urn: r.urn, resources: ([] as unknown[]).concat(s.Resource ?? []).map(String) });
    }
  }
  return out;
}

export const iamSecretScope: Rule = (g, spec) => {
  const findings: Finding[] = [];
  const grants = secretGrants(g);
  const base = `arn:aws:secretsmanager:${g.region}:${g.accountId}:secret:`;
  const envPrefix = `${base}${spec.secretsPrefix}/${spec.name}/`;
  const master = foundationOutputs(g).dbMasterSecretArn;
  const secrets = ofType(g, "aws:secretsmanager/secret:Secret");
  // What the ESO role must reach: each created secret, as its ARN (with suffix) looks.
  const needed = secrets.map((s) => ({ urn: s.urn, name: String(s.inputs.name ?? s.name), arn: g.ids[s.urn] ?? `${base}${String(s.inputs.name ?? s.name)}-AbC123` }));
  const externalSecrets = ofKind(g, "ExternalSecret");
  if (grants.length === 0) {
    if (secrets.length && externalSecrets.length) {
      findings.push({ rule: RULE, severity: "error", urn: externalSecrets[0].urn, message: "no IAM policy in the plan grants secretsmanager:GetSecretValue; External Secrets cannot sync (SecretSyncedError)" });
    }
    return findings;
  }
  const patterns = grants.flatMap((gr) => gr.resources.map((p) => ({ urn: gr.urn, p })));
  for (const n of needed) {
    if (!patterns.some(({ p }) => iamGlob(p).test(n.arn))) {
      findings.push({ rule: RULE, severity: "error", urn: n.urn, message: `no IAM statement grants GetSecretValue on ${n.name} (its ARN ends in a 6-character suffix: use the exact ARN or ${envPrefix}*)` });
    }
  }
  for (const { urn, p } of patterns) {
    const inEnv = p.startsWith(envPrefix);
    const isMaster = typeof master === "string" && p === master;
    const exactCreated = needed.some((n) => n.arn === p);
    if (!inEnv && !isMaster && !exactCreated) {
      findings.push({ rule: RULE, severity: "error", urn, message: `IAM resource ${p} reaches beyond this environment's secrets; narrow it to ${envPrefix}* or the exact secret ARNs` });
    }
  }
  return findings;
};
