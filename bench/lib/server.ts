/**
 * Start the real service as a child process (`node --import tsx
 * server/main.ts`, or `npm start` itself for the start-up benchmark) on a free
 * 127.0.0.1 port and a temp data dir, in its own process group so stopping it
 * also ends its engine children and embedded PostgreSQL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../server/store/embedded.js";
import { sleep } from "./report.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A running server. */
export interface BenchServer {
  base: string;
  pid: number;
  port: number;
  dataDir: string;
  adminToken: string;
  /** Milliseconds from spawn to the first `/readyz` 200. */
  readyMs: number;
  output(): string;
  request(method: string, urlPath: string, token: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** A new token of this role (POST /v1/tokens with the admin token). */
  token(role: "viewer" | "operator" | "admin", name?: string): Promise<string>;
  /** SIGTERM, wait, then SIGKILL the group; keepData leaves the data dir for a restart. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a data dir (later starts); default a fresh temp dir. */
  dataDir?: string;
  /** Launch with `npm start` (as a user would) instead of node + tsx directly. */
  npmStart?: boolean;
  timeoutMs?: number;
}

export async function startServer(opts: StartOptions = {}): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "goldenpath-bench-data-")));
  const adminToken = opts.env?.GOLDENPATH_ADMIN_TOKEN ?? `bench-admin-${randomBytes(16).toString("hex")}`;
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    HOST: "127.0.0.1",
    PORT: String(port),
    GOLDENPATH_DATA_DIR: dataDir,
    GOLDENPATH_ENGINE: "simulate",
    GOLDENPATH_LOG_LEVEL: "warn",
    GOLDENPATH_SHUTDOWN_GRACE_SECONDS: "2",
    GOLDENPATH_ADMIN_TOKEN: adminToken,
    ...opts.env,
  };
  const [cmd, args] = opts.npmStart ? ["npm", ["start", "--silent"]] : [process.execPath, ["--import", "tsx", "server/main.ts"]];
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd, args as string[], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on("data", (d) => (out = (out + d).slice(-20_000)));
  let exited = false;
  const exit = new Promise<void>((r) => child.on("exit", () => ((exited = true), r())));
  const base = `http://127.0.0.1:${port}`;
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // group already gone
    }
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let readyMs = NaN;
  for (;;) {
    if (exited) throw new Error(`server exited during start:\n${out}`);
    try {
      const res = await fetch(`${base}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) {
        readyMs = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killGroup("SIGKILL");
      throw new Error(`server not ready in time:\n${out}`);
    }
    await sleep(25);
  }
  const request: BenchServer["request"] = async (method, urlPath, token, body) => {
    const res = await fetch(base + urlPath, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return {
    base,
    pid: child.pid!,
    port,
    dataDir,
    adminToken,
    readyMs,
    output: () => out,
    request,
    async token(role, name = `bench-${role}-${randomBytes(3).toString("hex")}`) {
      const r = await request("POST", "/v1/tokens", adminToken, { name, role });
      if (r.status !== 201) throw new Error(`POST /v1/tokens answered ${r.status}`);
      return r.json.token as string;
    },
    async stop(stopOpts = {}) {
      if (!exited) {
        try {
          process.kill(opts.npmStart ? -child.pid! : child.pid!, "SIGTERM");
        } catch {
          // gone
        }
        await Promise.race([exit, sleep(15_000)]);
      }
      killGroup("SIGKILL");
      await Promise.race([exit, sleep(2_000)]);
      if (!stopOpts.keepData && !opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Poll an operation until it ends; returns its final view. */
export async function waitOperation(server: BenchServer, token: string, id: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await server.request("GET", `/v1/operations/${id}`, token);
    if (["succeeded", "failed", "cancelled", "interrupted"].includes(r.json?.status)) return r.json;
    if (Date.now() > deadline) throw new Error(`operation ${id} still ${r.json?.status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}
