import t from "tap";
import { installMocks, foundation, spec, SECRET_MARKER, promiseOf, secretValue } from "../fixtures/platform-inputs.js";

const h = await installMocks();
const { DatabaseUsers, resolveProvisioner, provisioningSql, applicationsHash, POSTGRES_CLIENT_IMAGE } = await import("../../../programs/components/database-users.js");
const kubernetes = await import("@pulumi/kubernetes");

const applications = spec().database.applications;
const common = {
  applications,
  host: foundation.dbAddress,
  port: foundation.dbPort,
  masterUsername: foundation.dbMasterUsername,
  masterSecretArn: foundation.dbMasterSecretArn,
  appSecretArns: foundation.appSecretArns,
};

// Something the Job must wait for (stands in for the synced ExternalSecrets).
const synced = new kubernetes.core.v1.ConfigMap("synced", { data: { a: "b" } });
const viaProvider = new DatabaseUsers("prov", { ...common, provisioner: "provider" }, { transformations: [h.capture] });
const viaJob = new DatabaseUsers(
  "job",
  { ...common, provisioner: "job", namespace: "goldenpath-system", masterSecretName: "rds-master", appSecretNames: { keycloak: "keycloak-db", backstage: "backstage-db" } },
  { transformations: [h.capture], dependsOn: [synced] },
);
await h.settle();
await Promise.all([promiseOf(viaProvider.urn), promiseOf(viaJob.urn)]);

t.test("auto picks the provider only when RDS answered, else the in-cluster job", async (t) => {
  t.equal(resolveProvisioner("auto", true), "provider");
  t.equal(resolveProvisioner("auto", false), "job");
  t.equal(resolveProvisioner("auto", undefined), "job");
  t.equal(resolveProvisioner("provider", false), "provider");
  t.equal(resolveProvisioner("job", true), "job");
});

t.test("provider mode: a postgresql provider over TLS as the non-superuser RDS master, password from the master secret", async (t) => {
  const p = h.one("pulumi:providers:postgresql", "prov-provider");
  t.equal(p.inputs.host, foundation.dbAddress);
  t.equal(p.inputs.sslmode, "require");
  t.equal(p.inputs.superuser, "false", "provider config values are strings on the wire");
  t.equal(p.inputs.username, foundation.dbMasterUsername);
  t.same(secretValue(p.inputs.password), { secret: true, value: `pw-${SECRET_MARKER}-${foundation.dbMasterSecretArn}` }, "master password is a secret input");
  t.ok(h.calls.some((c) => c.token === "aws:secretsmanager/getSecretVersion:getSecretVersion" && c.inputs.secretId === foundation.dbMasterSecretArn));
});

t.test("provider mode: every application gets its role, database and grant", async (t) => {
  for (const app of applications) {
    const role = h.one("postgresql:index/role:Role", `prov-${app.name}-role`);
    t.equal(role.inputs.name, app.user);
    t.equal(role.inputs.login, true);
    t.equal(role.inputs.createDatabase, app.createDb);
    t.same(secretValue(role.inputs.password), { secret: true, value: `pw-${SECRET_MARKER}-${foundation.appSecretArns[app.name]}` }, "secret password read from the app's own secret");
    const db = h.one("postgresql:index/database:Database", `prov-${app.name}-database`);
    t.equal(db.inputs.name, app.database);
    t.equal(db.inputs.owner, app.user);
    const grant = h.one("postgresql:index/grant:Grant", `prov-${app.name}-grant`);
    t.same(grant.inputs.privileges, ["ALL"]);
    t.equal(grant.inputs.objectType, "database");
    t.equal(grant.inputs.database, app.database);
  }
  t.ok(h.byType("postgresql:index/role:Role").every((r) => r.provider?.includes("prov-provider")), "roles use the component's provider");
  t.equal(h.byType("kubernetes:batch/v1:Job").length, 1, "only the job component made a Job");
});

t.test("job mode: a Job with an applications hash in its name, TTL and backoff limit", async (t) => {
  const job = h.one("kubernetes:batch/v1:Job");
  t.equal(job.inputs.metadata.name, `database-users-${applicationsHash(applications)}`);
  t.equal(job.inputs.metadata.namespace, "goldenpath-system");
  t.ok(job.inputs.spec.ttlSecondsAfterFinished > 0);
  t.ok(job.inputs.spec.backoffLimit > 0);
  t.equal(job.inputs.spec.template.spec.containers[0].image, POSTGRES_CLIENT_IMAGE);
  t.match(POSTGRES_CLIENT_IMAGE, /@sha256:[a-f0-9]{64}$/);
  t.not(applicationsHash(applications), applicationsHash(applications.slice(1)), "a changed list renames (re-runs) the Job");
  t.ok(h.captured.get("job-job")!.dependsOn.includes(synced), "the Job waits for what the component was told to wait for");
});

t.test("job mode: credentials only by secretKeyRef, TLS required, no password literal anywhere", async (t) => {
  const job = h.one("kubernetes:batch/v1:Job");
  const env: any[] = job.inputs.spec.template.spec.containers[0].env;
  const byName = Object.fromEntries(env.map((e) => [e.name, e]));
  t.equal(byName.PGSSLMODE.value, "require");
  t.same(byName.PGPASSWORD.valueFrom.secretKeyRef, { name: "rds-master", key: "password" });
  t.same(byName.PGUSER.valueFrom.secretKeyRef, { name: "rds-master", key: "username" });
  t.same(byName.GP_PASSWORD_KEYCLOAK.valueFrom.secretKeyRef, { name: "keycloak-db", key: "password" });
  t.same(byName.GP_PASSWORD_BACKSTAGE.valueFrom.secretKeyRef, { name: "backstage-db", key: "password" });
  for (const e of env) if (/PASSWORD/.test(e.name)) t.notOk("value" in e, `${e.name} has no literal value`);
  t.notMatch(JSON.stringify(job.inputs), SECRET_MARKER);
  t.equal(h.calls.filter((c) => c.token.startsWith("aws:secretsmanager")).length, 3, "only provider mode read secrets (master + 2 apps)");
});

t.test("job SQL is idempotent: guarded CREATE ROLE, ALTER ROLE password from env, CREATE DATABASE via \\gexec, grants", async (t) => {
  const sql = provisioningSql(applications);
  const script: string = h.one("kubernetes:batch/v1:Job").inputs.spec.template.spec.containers[0].command[2];
  t.ok(script.includes(sql), "the Job runs exactly this SQL");
  for (const app of applications) {
    t.match(sql, `IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${app.user}') THEN CREATE ROLE "${app.user}" LOGIN`);
    t.match(sql, new RegExp(`\\\\getenv pw_${app.name} GP_PASSWORD_${app.name.toUpperCase()}`));
    t.match(sql, new RegExp(`ALTER ROLE "${app.user}" WITH LOGIN ${app.createDb ? "CREATEDB" : "NOCREATEDB"} PASSWORD :'pw_${app.name}'`));
    t.match(sql, `SELECT 'CREATE DATABASE "${app.database}" OWNER "${app.user}"' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '${app.database}')\\gexec`);
    t.match(sql, `GRANT ALL PRIVILEGES ON DATABASE "${app.database}" TO "${app.user}"`);
  }
  t.notMatch(sql, /^CREATE (ROLE|USER|DATABASE)/m, "no unguarded CREATE statement");
  t.match(sql, /ON_ERROR_STOP/);
});

t.test("job mode without its secrets, and an unresolved provisioner, are rejected", async (t) => {
  t.throws(() => new DatabaseUsers("bad", { ...common, provisioner: "job" }), /needs namespace, masterSecretName and appSecretNames/);
  t.throws(() => new DatabaseUsers("bad2", { ...common, provisioner: "auto" as any }), /resolve "auto" first/);
});
