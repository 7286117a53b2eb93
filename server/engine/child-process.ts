/**
 * Run one engine operation in a child process, engine-agnostic.
 *
 * Why a child: Pulumi mocks are process-global, and a crashing or leaking run
 * (a wedged gRPC server, a program that never settles, hundreds of MB of
 * Pulumi SDK) must not take the API down (DESIGN §6). Both the `simulate` and
 * the `pulumi` adapters run their operations through this harness.
 *
 * Protocol (Node IPC, JSON serialization), one operation per child:
 *   parent → child  `{ t: "run", request }`
 *   child  → parent `{ t: "event", event }`   any number, in order
 *   child  → parent `{ t: "result", result }` or `{ t: "error", error }`, once
 *
 * Parent side: `runInChild({ entry, request, onEvent, signal })` spawns
 * `process.execPath --import tsx <entry>`, streams events to `onEvent`, and
 * resolves with the result or rejects with a classified `EngineError`:
 *   - the child's own `EngineError` (code, message, urn, fix) as it sent it;
 *   - `CANCELLED` when the signal aborted: SIGINT first (the child's handler
 *     sees its `signal` abort and winds down), SIGKILL after `graceMs`;
 *   - `ENGINE_CRASHED` when the child exits without answering (the last lines
 *     of its stderr go to `detail`, for admins, never to `message`).
 *
 * Child side: the entry module calls `serveChild(handler)`; the handler gets
 * the request, an `emit` for events and an AbortSignal wired to SIGINT.
 * A thrown `EngineError` crosses as is; anything else becomes `INTERNAL`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { EngineError, ENGINE_ERROR_CODES, type EngineErrorCode } from "./port.js";

/** How long a child gets to wind down after SIGINT before SIGKILL. */
export const DEFAULT_GRACE_MS = 10_000;
const STDERR_TAIL = 4_096;

/** The serialized form of an `EngineError` on the wire. */
export interface WireError {
  code: EngineErrorCode;
  message: string;
  urn?: string;
  detail?: string;
  fix?: string;
}

type ChildMessage<E, R> = { t: "event"; event: E } | { t: "result"; result: R } | { t: "error"; error: WireError };

export interface ChildRunOptions<Req, E> {
  /** Entry module (path or file URL) that calls `serveChild`. */
  entry: string | URL;
  /** Sent to the child's handler; must survive JSON. */
  request: Req;
  /** Called for every event the child emits, in order. */
  onEvent: (event: E) => void;
  /** Aborting cancels: SIGINT, then SIGKILL after `graceMs`. */
  signal?: AbortSignal;
  graceMs?: number;
  /** Extra environment for the child (merged over `process.env`). */
  env?: Record<string, string>;
  /** Node flags; default loads tsx so the entry may be TypeScript. */
  execArgv?: string[];
}

let tsxLoader: string | undefined;
function defaultExecArgv(): string[] {
  // Resolved from this module, not the cwd, so the server may run from anywhere.
  tsxLoader ??= import.meta.resolve("tsx");
  return ["--import", tsxLoader];
}

function toWireError(err: unknown): WireError {
  if (err instanceof EngineError) {
    return { code: err.code, message: err.message, urn: err.urn, detail: err.detail, fix: err.fix };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: "INTERNAL", message: e.message, detail: e.stack };
}

function fromWireError(w: WireError): EngineError {
  const code = (ENGINE_ERROR_CODES as readonly string[]).includes(w.code) ? w.code : "INTERNAL";
  return new EngineError(code, w.message, { urn: w.urn, detail: w.detail, fix: w.fix });
}

/** Parent side: run one request in a fresh child and settle with its answer. */
export function runInChild<Res, Req = unknown, E = unknown>(opts: ChildRunOptions<Req, E>): Promise<Res> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(new EngineError("CANCELLED", "operation cancelled before it started"));
  const entry = opts.entry instanceof URL ? fileURLToPath(opts.entry) : opts.entry;
  const child = spawn(process.execPath, [...(opts.execArgv ?? defaultExecArgv()), entry], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: { ...process.env, ...opts.env },
    serialization: "json",
  });

  return new Promise<Res>((resolve, reject) => {
    let answer: { ok: true; result: Res } | { ok: false; error: EngineError } | null = null;
    let stderr = "";
    let cancelRequested = false;
    let killTimer: NodeJS.Timeout | undefined;

    // Drain both pipes: a child blocked on a full pipe would hang forever.
    child.stdout!.resume();
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });

    const onAbort = () => {
      if (cancelRequested || child.exitCode !== null) return;
      cancelRequested = true;
      child.kill("SIGINT");
      killTimer = setTimeout(() => child.kill("SIGKILL"), opts.graceMs ?? DEFAULT_GRACE_MS);
      killTimer.unref();
    };
    signal?.addEventListener("abort", onAbort, { once: true });

    child.on("message", (raw: unknown) => {
      const msg = raw as ChildMessage<E, Res>;
      if (answer) return;
      if (msg.t === "event") {
        try {
          opts.onEvent(msg.event);
        } catch {
          // A failing listener must not leave the child orphaned; the runner logs its own errors.
        }
      } else if (msg.t === "result") answer = { ok: true, result: msg.result };
      else if (msg.t === "error") answer = { ok: false, error: fromWireError(msg.error) };
    });

    child.on("error", (err) => {
      answer ??= { ok: false, error: new EngineError("ENGINE_CRASHED", "could not start the engine process", { detail: err.message }) };
    });

    child.on("close", (code, sig) => {
      clearTimeout(killTimer);
      signal?.removeEventListener("abort", onAbort);
      if (answer?.ok) return resolve(answer.result);
      if (answer) return reject(answer.error);
      if (cancelRequested) {
        return reject(new EngineError("CANCELLED", "operation cancelled; the engine process was stopped", { detail: stderr || undefined }));
      }
      const how = sig ? `signal ${sig}` : `exit code ${code}`;
      reject(new EngineError("ENGINE_CRASHED", `the engine process died (${how}) before finishing`, { detail: stderr || undefined }));
    });

    child.send({ t: "run", request: opts.request });
  });
}

/** What a child handler gets besides the request. */
export interface ChildContext<E> {
  emit(event: E): void;
  /** Aborts on SIGINT from the parent. */
  signal: AbortSignal;
}

/**
 * Child side: answer exactly one `run` message with `handler`, then exit.
 * Exits explicitly: a Pulumi runtime may leave handles open.
 */
export function serveChild<Req, Res, E>(handler: (request: Req, ctx: ChildContext<E>) => Promise<Res>): void {
  if (!process.send) throw new Error("serveChild must run in a process spawned with an IPC channel");
  const controller = new AbortController();
  process.on("SIGINT", () => controller.abort());
  const send = (msg: ChildMessage<E, Res>) =>
    new Promise<void>((resolve) => process.send!(msg, undefined, {}, () => resolve()));

  process.once("message", async (raw: unknown) => {
    const msg = raw as { t: string; request: Req };
    if (msg.t !== "run") return;
    let final: ChildMessage<E, Res>;
    try {
      const result = await handler(msg.request, { emit: (event) => void send({ t: "event", event }), signal: controller.signal });
      final = { t: "result", result };
    } catch (err) {
      final = { t: "error", error: toWireError(err) };
    }
    await send(final);
    process.disconnect?.();
    process.exit(0);
  });
  // If the parent dies, so do we: nothing else would ever read our answer.
  process.on("disconnect", () => process.exit(0));
}
