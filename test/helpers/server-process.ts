/**
 * Run `server/main.ts` as a real child process (its own process group, so a
 * SIGKILL takes its engine children with it, like a container kill) and
 * talk to it over HTTP.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../../server/store/embedded.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ServerProcess {
  base: string;
  pid: number;
  /** stdout + stderr so far. */
  output: () => string;
  /** SIGKILL the whole process group. */
  kill: () => Promise<void>;
  /** SIGTERM and wait for a graceful exit. */
  stop: () => Promise<number | null>;
  request: (method: string, path: string, token: string, body?: unknown) => Promise<{ status: number; json: any }>;
}

export async function startServerProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", PORT: String(port), ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const base = `http://127.0.0.1:${port}`;
  const request: ServerProcess["request"] = async (method, path, token, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    if (dead) throw new Error(`server exited during start:\n${out}`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`server not ready after ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    pid: child.pid!,
    output: () => out,
    request,
    kill: async () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    },
    stop: async () => {
      try {
        process.kill(child.pid!, "SIGTERM");
      } catch {
        return null;
      }
      return exited;
    },
  };
}
