import path from "node:path";
import t from "tap";
import { ConfigError, loadConfig } from "../../server/config.js";

t.test("defaults", async (t) => {
  const c = loadConfig({});
  t.equal(c.host, "127.0.0.1");
  t.equal(c.port, 8080);
  t.equal(c.dataDir, path.resolve(".goldenpath"));
  t.equal(c.databaseUrl, undefined, "unset: embedded PostgreSQL");
  t.equal(c.engine, "pulumi", "the engine is never simulate by default");
  t.equal(c.maxOperations, 2);
  t.equal(c.adminToken, undefined);
  t.equal(c.simulateTimeScale, 0);
  t.equal(c.logLevel, "info");
  t.equal(c.backendUrl, `file://${path.resolve(".goldenpath", "state")}`);
  t.equal(c.secretsProvider, "passphrase");
  t.equal(c.driftSchedule, "0 */6 * * *");
  t.equal(c.oidc, undefined);
});

t.test("values from the given environment only", async (t) => {
  const c = loadConfig({
    HOST: "0.0.0.0",
    PORT: "9000",
    GOLDENPATH_DATA_DIR: "/var/lib/gp",
    DATABASE_URL: "postgres://u:p@db:5432/gp",
    GOLDENPATH_ENGINE: "simulate",
    GOLDENPATH_MAX_OPERATIONS: "4",
    GOLDENPATH_ADMIN_TOKEN: "a-long-enough-admin-token",
    GOLDENPATH_SIMULATE_TIME_SCALE: "0.5",
    GOLDENPATH_LOG_LEVEL: "debug",
    GOLDENPATH_BACKEND_URL: "s3://bucket/state",
    GOLDENPATH_SECRETS_PROVIDER: "awskms://alias/gp",
    GOLDENPATH_OIDC_ISSUER: "https://keycloak.example.com/realms/platform",
    GOLDENPATH_OIDC_AUDIENCE: "goldenpath",
    GOLDENPATH_SIMULATE_PROGRAMS: "test/helpers/layers.ts",
  });
  t.equal(c.host, "0.0.0.0");
  t.equal(c.port, 9000);
  t.equal(c.dataDir, "/var/lib/gp");
  t.equal(c.databaseUrl, "postgres://u:p@db:5432/gp");
  t.equal(c.engine, "simulate");
  t.equal(c.maxOperations, 4);
  t.equal(c.simulateTimeScale, 0.5);
  t.equal(c.backendUrl, "s3://bucket/state");
  t.same(c.oidc, { issuer: "https://keycloak.example.com/realms/platform", audience: "goldenpath", roleClaim: "goldenpath_role" });
  t.equal(c.simulatePrograms, path.resolve("test/helpers/layers.ts"));
  t.equal(loadConfig({ DATABASE_URL: "  " }).databaseUrl, undefined, "blank counts as unset");
});

t.test("invalid settings name the variable, never echo the value", async (t) => {
  const bad: [Record<string, string>, string][] = [
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ GOLDENPATH_ENGINE: "terraform" }, "GOLDENPATH_ENGINE"],
    [{ GOLDENPATH_MAX_OPERATIONS: "0" }, "GOLDENPATH_MAX_OPERATIONS"],
    [{ GOLDENPATH_SIMULATE_TIME_SCALE: "2" }, "GOLDENPATH_SIMULATE_TIME_SCALE"],
    [{ GOLDENPATH_LOG_LEVEL: "loud" }, "GOLDENPATH_LOG_LEVEL"],
    [{ DATABASE_URL: "mysql://secret-password@db" }, "DATABASE_URL"],
    [{ GOLDENPATH_ADMIN_TOKEN: "short" }, "GOLDENPATH_ADMIN_TOKEN"],
    [{ GOLDENPATH_DRIFT_SCHEDULE: "hourly" }, "GOLDENPATH_DRIFT_SCHEDULE"],
    [{ GOLDENPATH_OIDC_ISSUER: "https://issuer.example.com" }, "GOLDENPATH_OIDC_AUDIENCE"],
  ];
  for (const [env, variable] of bad) {
    try {
      loadConfig(env);
      t.fail(`${variable} accepted`);
    } catch (err) {
      t.type(err, ConfigError);
      t.ok((err as ConfigError).issues.some((i) => i.variable === variable), `${JSON.stringify(env)} names ${variable}`);
      for (const v of Object.values(env)) if (v.length > 6) t.notOk((err as Error).message.includes(v), "value not echoed");
    }
  }
});
