/**
 * One PostgreSQL for the benchmarks that point servers at `DATABASE_URL`:
 * the embedded PostgreSQL 17 the service itself uses, started once in a temp
 * directory (fsync off: benchmark data is throwaway), with one fresh database
 * per server. Seeding goes straight into that database with SQL. The
 * start-up benchmark does not use it: it measures the embedded path of
 * `npm start` itself.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbedded, type EmbeddedDatabase } from "../../server/store/embedded.js";

/** A running benchmark PostgreSQL. */
export interface BenchPostgres {
  /** A fresh empty database; returns its URL (carries the password: never printed). */
  database(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const parent = await mkdtemp(path.join(os.tmpdir(), "goldenpath-bench-pg-"));
  // PostgreSQL runs as its own user when we are root: it must reach its data dir.
  await chmod(parent, 0o755);
  let db: EmbeddedDatabase;
  try {
    db = await startEmbedded({ dir: path.join(parent, "data"), passwordFile: path.join(parent, "password"), unsafeFast: true, ephemeral: true });
  } catch (err) {
    await rm(parent, { recursive: true, force: true });
    throw err;
  }
  return {
    async database(prefix) {
      const name = `${prefix}_${randomBytes(4).toString("hex")}`.replace(/[^a-z0-9_]/g, "_");
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return db.url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      await db.stop().catch(() => {});
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/** Run `fn` with a pg client on `url`, closing it after. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
