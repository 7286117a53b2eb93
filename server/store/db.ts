/**
 * The database behind a narrow port: a `pg` pool, a transaction helper and
 * the migrator. Migrations are numbered SQL files applied in order, all in one
 * transaction under an advisory lock (so two processes starting together do
 * not race), and a failure aborts start-up loudly.
 */
import { readdir, readFile } from "node:fs/promises";
import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs `$n` SQL: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query">;

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
/** Arbitrary constant: the advisory lock key serialising migrations across processes. */
const MIGRATION_LOCK = 7_301_001;

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: "goldenpath" });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Thrown when a migration fails; names the file. */
export class MigrationError extends Error {
  constructor(file: string, cause: unknown) {
    super(`migration ${file} failed: ${(cause as Error).message}`);
    this.name = "MigrationError";
  }
}

/** Apply every migration not yet applied. Returns the names applied now. */
export async function migrate(pool: Pool): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  return withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: string }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(new URL(file, MIGRATIONS_DIR), "utf8");
      try {
        await client.query(sql);
      } catch (err) {
        throw new MigrationError(file, err);
      }
      await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [file]);
      applied.push(file);
    }
    return applied;
  });
}
