/**
 * `npm run demo`: the whole main job with no cloud and no Pulumi CLI.
 *
 * Starts the server on the `simulate` engine in a throwaway data directory,
 * creates `stacks/dev.yaml` as an environment, follows its events live over
 * Server-Sent Events to the end, prints the outputs (secrets masked), runs a
 * drift check and prints its status, then stops the server. Everything goes
 * through the public HTTP API, exactly as a user's client would.
 *
 *   npm run demo                    # instant simulated durations
 *   npm run demo -- --time-scale 0.01   # 1% of real AWS durations (~15 s)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { parseSpec } from "../programs/spec.js";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

async function waitReady(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the server did not become ready in time");
}

/** Follow an operation's SSE stream until it ends, printing one line per event. */
async function follow(base: string, token: string, operationId: string): Promise<void> {
  const res = await fetch(`${base}/v1/operations/${operationId}/events`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const data = frame
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      if (data) printEvent(JSON.parse(data));
    }
  }
}

function printEvent(e: { kind: string; data?: Record<string, unknown> } & Record<string, unknown>): void {
  const d = (e.data ?? e) as Record<string, unknown>;
  const short = (urn: unknown) => String(urn ?? "").split("::").pop();
  switch (e.kind) {
    case "phase":
      console.log(`  phase ${d.phase}: ${d.status}${d.message ? ` (${d.message})` : ""}`);
      break;
    case "resource-outputs":
      if (d.op !== "same") console.log(`    ${String(d.op).padEnd(7)} ${d.type} ${short(d.urn)}`);
      break;
    case "resource-failed":
      console.log(`    FAILED  ${d.type} ${short(d.urn)}: ${d.message}`);
      break;
    case "diagnostic":
      if (d.severity !== "debug") console.log(`  ${d.severity}: ${d.message}`);
      break;
    case "summary":
      console.log(`  summary ${JSON.stringify(d.changes)}`);
      break;
    case "operation":
      console.log(`  operation ${d.status}${d.error ? `: ${JSON.stringify(d.error)}` : ""}`);
      break;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { "time-scale": { type: "string", default: "0" }, spec: { type: "string", default: join(root, "stacks/dev.yaml") } } });
  const spec = parseSpec(await readFile(values.spec!, "utf8"));
  const dataDir = await mkdtemp(join(tmpdir(), "goldenpath-demo-"));
  // As root, the embedded PostgreSQL runs as "postgres" and must be able to enter this directory.
  await chmod(dataDir, 0o711);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  console.log(`goldenpath demo: simulate engine, data dir ${dataDir}, ${base}`);
  const server = spawn(process.execPath, ["--import", "tsx", join(root, "server/main.ts")], {
    cwd: root,
    env: { ...process.env, GOLDENPATH_ENGINE: "simulate", GOLDENPATH_DATA_DIR: dataDir, PORT: String(port), GOLDENPATH_SIMULATE_TIME_SCALE: values["time-scale"], GOLDENPATH_LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  // Never leave the server behind: not on Ctrl-C, nor when our output pipe closes (`npm run demo | head`).
  const stopServer = () => {
    if (server.exitCode === null) server.kill("SIGTERM");
  };
  process.once("exit", stopServer);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => (stopServer(), process.exit(130)));
  process.stdout.on("error", () => (stopServer(), process.exit(1)));
  try {
    await waitReady(base, server, 120_000);
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = r.status === 204 ? {} : await r.json();
      if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
      return json as Record<string, any>;
    };

    console.log(`\nPOST /v1/environments (${values.spec})`);
    const created = await api("POST", "/v1/environments", spec);
    const opId = created.operation?.id ?? created.id;
    await follow(base, token, opId);
    const op = await api("GET", `/v1/operations/${opId}`);
    if (op.status !== "succeeded") {
      console.log(`\nthe operation ended ${op.status}`);
      return 1;
    }

    console.log(`\nGET /v1/environments/${spec.name}/outputs`);
    console.log(JSON.stringify(await api("GET", `/v1/environments/${spec.name}/outputs`), null, 2));

    console.log(`\nPOST /v1/environments/${spec.name}/drift`);
    try {
      const drift = await api("POST", `/v1/environments/${spec.name}/drift`);
      const driftOp = drift.operation?.id ?? drift.id;
      await follow(base, token, driftOp);
      const result = await api("GET", `/v1/environments/${spec.name}/drift`);
      console.log(`drift status: ${result.status} (${(result.resources ?? []).length} drifted resources, checked ${result.checkedAt})`);
    } catch (err) {
      console.log(`drift check unavailable: ${(err as Error).message}`);
    }
    return 0;
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
