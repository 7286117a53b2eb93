/**
 * DESIGN §4.6: every `database.applications[]` entry gets its role and (when
 * `createDatabase`) its database from the program: the incident created
 * `keycloak_app` and `backstage_app` by hand. Provider mode: postgresql Role
 * and Database resources; job mode: the Job's SQL creates them.
 */
import type { Rule, Finding } from "./types.js";
import { allResources, ofType, stackUrn, walkStrings } from "./graph.js";

export const RULE = "database-applications";

export const databaseApplications: Rule = (g, spec) => {
  if (!g.layers.some((l) => l.name === "platform")) return [];
  const findings: Finding[] = [];
  const roles = ofType(g, "postgresql:index/role:Role");
  const dbs = ofType(g, "postgresql:index/database:Database");
  const jobs = ofType(g, "kubernetes:batch/v1:Job");
  const sql: string[] = [];
  for (const j of jobs) walkStrings(j.inputs, (_p, s) => sql.push(s));
  const script = sql.join("\n");
  const component = allResources(g).find((r) => r.type === "goldenpath:postgres:DatabaseUsers");
  const urn = component?.urn ?? stackUrn(g, "platform");
  const q = (s: string) => `"${s}"`;
  for (const app of spec.database.applications) {
    const role = roles.some((r) => r.inputs.name === app.user) || new RegExp(`CREATE ROLE ${q(app.user)}`).test(script);
    if (!role) {
      findings.push({ rule: RULE, severity: "error", urn, message: `no role ${app.user} is created for ${app.name}; the app would fail to log in (the incident created it by hand). Check database.provisioner` });
    }
    if (app.createDatabase) {
      const db = dbs.some((d) => d.inputs.name === app.database) || script.includes(`CREATE DATABASE ${q(app.database)}`);
      if (!db) {
        findings.push({ rule: RULE, severity: "error", urn, message: `no database ${app.database} is created for ${app.name}; set createDatabase or create it in the program, not by hand` });
      }
    }
  }
  return findings;
};
