/**
 * Entry point: load the configuration, build the app, listen, and close
 * gracefully on SIGTERM/SIGINT (stop taking work, give running operations
 * the grace period, then mark them interrupted; close the database; stop the
 * embedded PostgreSQL).
 */
import closeWithGrace from "close-with-grace";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`goldenpath: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await buildApp({ config });

  closeWithGrace({ delay: (config.shutdownGraceSeconds + 15) * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err: { message: err.message, name: err.name } }, "shutting down after an error");
    else app.log.info({ signal }, "shutting down");
    await app.close();
  });

  await app.listen({ host: config.host, port: config.port });
  app.log.info({ engine: app.engine.name, dataDir: config.dataDir }, "goldenpath ready");
}

main().catch((err) => {
  // Start-up failures (migration, embedded PostgreSQL, engine) say what failed; no stack for users.
  process.stderr.write(`goldenpath: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
