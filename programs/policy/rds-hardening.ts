/**
 * DESIGN §4.7: RDS accepts TLS only (a parameter group with rds.force_ssl=1,
 * attached), is encrypted, is not public, takes ingress only from the
 * cluster's security group, and keeps deletion protection and a final
 * snapshot outside throwaway environments.
 */
import type { Rule, Finding } from "./types.js";
import { allResources, foundationOutputs, ofType } from "./graph.js";
import type { RegisteredResource } from "../mock-runtime.js";

export const RULE = "rds-hardening";

/** Environment names treated as throwaway (deletion protection and final snapshot optional). */
const THROWAWAY = /^(dev|test|sandbox|preview|demo|ci)(-|\d|$)/;

function forceSsl(pg: RegisteredResource | undefined): boolean {
  const params = Array.isArray(pg?.inputs.parameters) ? (pg!.inputs.parameters as { name?: string; value?: unknown }[]) : [];
  return params.some((p) => p.name === "rds.force_ssl" && String(p.value) === "1");
}

interface Ingress { from: string[]; cidrs: string[] }

/** Ingress sources of the security group with this id, from inline rules and rule resources. */
function ingressOf(g: Parameters<Rule>[0], sgId: string): Ingress[] {
  const out: Ingress[] = [];
  for (const r of allResources(g)) {
    if (r.type === "aws:ec2/securityGroup:SecurityGroup" && g.ids[r.urn] === sgId) {
      for (const i of (Array.isArray(r.inputs.ingress) ? r.inputs.ingress : []) as Record<string, unknown>[]) {
        out.push({ from: (i.securityGroups as string[]) ?? [], cidrs: [...((i.cidrBlocks as string[]) ?? []), ...((i.ipv6CidrBlocks as string[]) ?? [])] });
      }
    }
    if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule" && r.inputs.type === "ingress" && r.inputs.securityGroupId === sgId) {
      out.push({ from: r.inputs.sourceSecurityGroupId ? [String(r.inputs.sourceSecurityGroupId)] : [], cidrs: [...((r.inputs.cidrBlocks as string[]) ?? []), ...((r.inputs.ipv6CidrBlocks as string[]) ?? [])] });
    }
    if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.inputs.securityGroupId === sgId) {
      out.push({
        from: r.inputs.referencedSecurityGroupId ? [String(r.inputs.referencedSecurityGroupId)] : [],
        cidrs: [r.inputs.cidrIpv4, r.inputs.cidrIpv6, r.inputs.prefixListId].filter((x): x is string => typeof x === "string"),
      });
    }
  }
  return out;
}

export const rdsHardening: Rule = (g, spec) => {
  const findings: Finding[] = [];
  const groups = ofType(g, "aws:rds/parameterGroup:ParameterGroup");
  const clusterSg = foundationOutputs(g).clusterSecurityGroupId;
  for (const db of ofType(g, "aws:rds/instance:Instance")) {
    const f = (message: string, severity: Finding["severity"] = "error") => findings.push({ rule: RULE, severity, urn: db.urn, message });
    const pg = groups.find((p) => p.inputs.name === db.inputs.parameterGroupName || g.ids[p.urn] === db.inputs.parameterGroupName);
    if (!pg) f(`parameterGroupName ${String(db.inputs.parameterGroupName ?? "(default)")} is not a parameter group of this plan; attach one with rds.force_ssl=1 so RDS refuses unencrypted connections`);
    else if (!forceSsl(pg)) f(`parameter group ${String(pg.inputs.name ?? pg.name)} does not set rds.force_ssl=1; add it so RDS refuses unencrypted connections`);
    if (db.inputs.storageEncrypted !== true) f("storageEncrypted is not true; encrypt the instance's storage");
    if (db.inputs.publiclyAccessible === true) f("publiclyAccessible is true; the database must stay private (apps reach it from inside the VPC)");
    if (db.inputs.manageMasterUserPassword !== true) f("the master password is not managed by RDS (manageMasterUserPassword); let RDS generate and rotate it in Secrets Manager", "warning");
    const sgs = Array.isArray(db.inputs.vpcSecurityGroupIds) ? (db.inputs.vpcSecurityGroupIds as string[]) : [];
    if (sgs.length === 0) f("no vpcSecurityGroupIds: the VPC's default security group would apply; attach a security group that admits only the cluster");
    for (const sg of sgs) {
      for (const ing of ingressOf(g, sg)) {
        if (ing.cidrs.length) f(`security group ${sg} admits ${ing.cidrs.join(", ")}; admit only the cluster's security group`);
        for (const src of ing.from) {
          if (typeof clusterSg === "string" && clusterSg.startsWith("sg-") && src !== clusterSg) {
            f(`security group ${sg} admits ${src}, which is not the cluster's security group ${clusterSg}`);
          }
        }
      }
    }
    if (!THROWAWAY.test(spec.name)) {
      if (db.inputs.deletionProtection !== true) f(`deletionProtection is off in ${spec.name}; set database.deletionProtection: true outside throwaway environments`, "warning");
      if (db.inputs.skipFinalSnapshot === true) f(`skipFinalSnapshot is on in ${spec.name}; set database.finalSnapshot: true outside throwaway environments`, "warning");
    }
  }
  return findings;
};
