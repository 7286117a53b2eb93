/**
 * The store as a named service: connects to `DATABASE_URL`, or starts the
 * embedded PostgreSQL in `<data dir>/pg` when it is unset, applies the
 * migrations (failing start-up loudly) and decorates `app.db`. Closing the
 * app closes the pool and stops the embedded server.
 */
import path from "node:path";
import fp from "fastify-plugin";
import type { Config } from "../config.js";
import { createPool, migrate, type Pool } from "./db.js";
import { startEmbedded } from "./embedded.js";

declare module "fastify" {
  interface FastifyInstance {
    db: Pool;
    /** Connection URL of the store (carries a password: never log it). */
    databaseUrl: string;
  }
}

export const storePlugin = fp(
  async (app, opts: { config: Config }) => {
    const { config } = opts;
    let url = config.databaseUrl;
    let stopEmbedded: (() => Promise<void>) | undefined;
    if (!url) {
      const pgLog = app.log.child({ component: "embedded-postgres" });
      const embedded = await startEmbedded({
        dir: path.join(config.dataDir, "pg"),
        passwordFile: path.join(config.dataDir, "pg-password"),
        onLog: (line) => pgLog.debug(line.trim()),
      });
      url = embedded.url;
      stopEmbedded = embedded.stop;
      app.log.info({ dir: path.join(config.dataDir, "pg"), port: embedded.port }, "embedded PostgreSQL started");
    }
    const pool = createPool(url);
    try {
      const applied = await migrate(pool);
      if (applied.length > 0) app.log.info({ migrations: applied }, "store migrated");
    } catch (err) {
      await pool.end().catch(() => {});
      await stopEmbedded?.();
      throw err;
    }
    app.decorate("db", pool);
    app.decorate("databaseUrl", url);
    app.addHook("onClose", async () => {
      await pool.end();
      await stopEmbedded?.();
    });
  },
  { name: "goldenpath-store" },
);
