/**
 * Build the real service for a test (fastify/demo style): a fresh database on
 * this file's embedded PostgreSQL, a scratch data dir, the real
 * `SimulateEngine` (running `test/helpers/layers.ts`), and every log line
 * captured so tests can search them. Nothing listens unless asked.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Test } from "tap";
import { buildApp, type AppOptions } from "../../server/app.js";
import { loadConfig, type Config } from "../../server/config.js";
import { loggerOptions } from "../../server/logger.js";
import { scratchDir, testDatabase } from "./db.js";

export const TEST_LAYERS = fileURLToPath(new URL("./layers.ts", import.meta.url));

/** A spec the test layers deploy (every other field defaulted). */
export function minimalSpec(name: string, extra: Record<string, unknown> = {}) {
  return { name, aws: { region: "eu-west-2" }, ...extra };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  databaseUrl: string;
  adminToken: string;
  /** Every log line the app wrote (JSON text). */
  logs: string[];
  /** inject with a bearer token (admin by default). */
  call: (opts: { method: string; url: string; payload?: unknown; token?: string | null; headers?: Record<string, string> }) => Promise<LightMyRequestResponse>;
}

export interface BuildOptions extends Partial<Omit<AppOptions, "config">> {
  env?: Record<string, string>;
  databaseUrl?: string;
  dataDir?: string;
}

export function adminTokenValue(): string {
  return `gp_${randomBytes(32).toString("base64url")}`;
}

export async function build(t: Test, opts: BuildOptions = {}): Promise<TestApp> {
  const databaseUrl = opts.databaseUrl ?? (await testDatabase());
  const dataDir = opts.dataDir ?? (await scratchDir());
  const adminToken = opts.env?.GOLDENPATH_ADMIN_TOKEN ?? adminTokenValue();
  const config = loadConfig({
    GOLDENPATH_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    GOLDENPATH_ENGINE: "simulate",
    GOLDENPATH_ADMIN_TOKEN: adminToken,
    GOLDENPATH_SIMULATE_PROGRAMS: TEST_LAYERS,
    GOLDENPATH_LOG_LEVEL: "debug",
    GOLDENPATH_SHUTDOWN_GRACE_SECONDS: "5",
    ...opts.env,
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const app = await buildApp({
    config,
    sweepIntervalMs: 1000,
    ...opts,
    logger: { ...loggerOptions(config.logLevel), stream } as never,
  });
  t.teardown(() => app.close());
  await app.ready();
  const call: TestApp["call"] = ({ method, url, payload, token, headers }) =>
    app.inject({
      method: method as never,
      url,
      ...(payload !== undefined ? { payload: payload as never } : {}),
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token ?? adminToken}` }), ...headers },
    });
  return { app, config, databaseUrl, adminToken, logs, call };
}

const TERMINAL = ["succeeded", "failed", "cancelled", "interrupted"];

/** Poll an operation until it reaches one of `statuses` (default: any terminal one). */
export async function waitForOperation(
  call: TestApp["call"],
  id: string,
  statuses: string[] = TERMINAL,
  timeoutMs = 120_000,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call({ method: "GET", url: `/v1/operations/${id}` });
    const op = res.json();
    if (statuses.includes(op.status)) return op;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${op.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
