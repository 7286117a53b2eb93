/**
 * `goldenpath doctor [--json]`: check this host before a first `up` (Pulumi
 * CLI, plugins, AWS credentials and account, AWS CLI, backend, secrets
 * provider, data dir, database). Exit 0 only when every check that applies
 * to the configured engine passes. Reads the same settings as the server
 * (`loadConfig()`), so it checks what the server would use.
 */
import path from "node:path";
import { loadConfig } from "../server/config.js";
import { formatReport, runDoctor } from "../server/doctor/doctor.js";

/** A throwaway connection to DATABASE_URL: `select 1`, then close. */
function databaseCheck(url: string): () => Promise<void> {
  return async () => {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query("select 1");
    } finally {
      await client.end().catch(() => {});
    }
  };
}

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`goldenpath doctor: ${(err as Error).message}\n`);
    return 2;
  }
  const report = await runDoctor({
    engine: config.engine,
    dataDir: config.dataDir,
    backendUrl: config.backendUrl,
    secretsProvider: config.secretsProvider,
    pulumiVersion: config.pulumiVersion,
    stacksDir: path.resolve("stacks"),
    checkDatabase: config.databaseUrl ? databaseCheck(config.databaseUrl) : undefined,
    databaseSkipReason: "DATABASE_URL is not set: the server starts its embedded PostgreSQL in the data directory",
  });
  process.stdout.write(json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report) + "\n");
  return report.ok ? 0 : 1;
}
