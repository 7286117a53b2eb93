/**
 * Run one engine operation in a child process, engine-agnostic.
 *
 * Why a child: Pulumi mocks are process-global, and a crashing or leaking run
 * (a wedged gRPC server, a program that never settles, hundreds of MB of
 * Pulumi SDK) must not take the API down (DESIGN §6). Both the `simulate` and
 * the `pulumi` adapters run their operations through this harness.
 *
 * Protocol (Node IPC, JSON serialization), one operation per child:
 *   parent → child  `{ t: "warm", hint }`     optional, at spawn: preload
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
 * To hide start-up (loading the Pulumi SDK takes seconds), spawn ahead:
 * `new ChildHandle({ entry, warm })` starts a child that preloads while idle
 * (it does not keep the parent alive); `handle.run({ request, onEvent,
 * signal })` later. `runInChild` is both in one call.
 *
 * Child side: the entry module calls `serveChild(handler, { warm })`; the
 * handler gets the request, an `emit` for events and an AbortSignal wired to
 * SIGINT. A thrown `EngineError` crosses as is; anything else becomes
 * `INTERNAL` (its message kept, its stack in `detail`). The child exits after
 * answering, and when the parent goes away.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { EngineError, ENGINE_ERROR_CODES, type EngineErrorCode } from "./port.js";
import { Redactor } from "./redact.js";

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

/** How to start a child. */
export interface SpawnOptions {
  /** Entry module (path or file URL) that calls `serveChild`. */
  entry: string | URL;
  /** Extra environment for the child (merged over `process.env`). */
  env?: Record<string, string>;
  /** Node flags; default loads tsx so the entry may be TypeScript. */
  execArgv?: string[];
  /**
   * Sent to the child's `warm` hook at once, so it can load what the next
   * request will need (e.g. the Pulumi SDK) before the request exists.
   */
  warm?: unknown;
}

/** How to run one request in a child. */
export interface RunRequestOptions<Req, E> {
  /** Sent to the child's handler; must survive JSON. */
  request: Req;
  /** Called for every event the child emits, in order. */
  onEvent: (event: E) => void;
  /** Aborting cancels: SIGINT, then SIGKILL after `graceMs`. */
  signal?: AbortSignal;
  graceMs?: number;
}

export type ChildRunOptions<Req, E> = SpawnOptions & RunRequestOptions<Req, E>;

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

/**
 * A started child that answers one request. Spawning ahead of time and
 * running later (a warm spare) hides the child's start-up — for Pulumi, the
 * seconds it takes to load the SDK — from the operation that uses it.
 * An idle handle does not keep the parent's event loop alive.
 */
export class ChildHandle<Req, Res, E> {
  private readonly child: ChildProcess;
  private stderr = "";
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private used = false;

  constructor(opts: SpawnOptions) {
    const entry = opts.entry instanceof URL ? fileURLToPath(opts.entry) : opts.entry;
    this.child = spawn(process.execPath, [...(opts.execArgv ?? defaultExecArgv()), entry], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, ...opts.env },
      serialization: "json",
    });
    // Drain both pipes: a child blocked on a full pipe would hang forever.
    this.child.stdout!.resume();
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    this.child.on("error", () => {}); // surfaces as `close` without an answer
    this.child.on("close", (code, signal) => {
      this.exit = { code, signal };
    });
    if (opts.warm !== undefined) this.child.send({ t: "warm", hint: opts.warm }, () => {});
    this.setRef(false);
  }

  /** Still running and not yet given a request. */
  get available(): boolean {
    return !this.used && this.exit === null;
  }

  /** Stop an unused child. */
  dispose() {
    if (this.exit === null) this.child.kill("SIGKILL");
  }

  private setRef(on: boolean) {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[];
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  /** Send the one request; settle with the answer or a classified EngineError. */
  run(opts: RunRequestOptions<Req, E>): Promise<Res> {
    const { signal } = opts;
    if (this.used) return Promise.reject(new EngineError("INTERNAL", "a child process answers one request only"));
    this.used = true;
    if (signal?.aborted) {
      this.dispose();
      return Promise.reject(new EngineError("CANCELLED", "operation cancelled before it started"));
    }
    if (this.exit !== null) return Promise.reject(this.crashed());
    this.setRef(true);
    const child = this.child;

    return new Promise<Res>((resolve, reject) => {
      let answer: { ok: true; result: Res } | { ok: false; error: EngineError } | null = null;
      let cancelRequested = false;
      let killTimer: NodeJS.Timeout | undefined;

      const onAbort = () => {
        if (cancelRequested || this.exit !== null) return;
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

      child.on("close", () => {
        clearTimeout(killTimer);
        signal?.removeEventListener("abort", onAbort);
        if (answer?.ok) return resolve(answer.result);
        if (answer) return reject(answer.error);
        if (cancelRequested) {
          return reject(new EngineError("CANCELLED", "operation cancelled; the engine process was stopped", { detail: this.stderr || undefined }));
        }
        reject(this.crashed());
      });

      child.send({ t: "run", request: opts.request }, (err) => {
        if (err) child.kill("SIGKILL"); // the channel broke: `close` classifies it
      });
    });
  }

  private crashed(): EngineError {
    const how = this.exit?.signal ? `signal ${this.exit.signal}` : `exit code ${this.exit?.code}`;
    // A crash bypasses the engine's own redaction: mask secret shapes (keys, URL passwords, tokens) here.
    return new EngineError("ENGINE_CRASHED", `the engine process died (${how}) before finishing`, {
      detail: this.stderr ? new Redactor().redact(this.stderr) : undefined,
    });
  }
}

/** Parent side: run one request in a fresh child and settle with its answer. */
export function runInChild<Res, Req = unknown, E = unknown>(opts: ChildRunOptions<Req, E>): Promise<Res> {
  if (opts.signal?.aborted) return Promise.reject(new EngineError("CANCELLED", "operation cancelled before it started"));
  return new ChildHandle<Req, Res, E>(opts).run(opts);
}

/** What a child handler gets besides the request. */
export interface ChildContext<E> {
  emit(event: E): void;
  /** Aborts on SIGINT from the parent. */
  signal: AbortSignal;
}

/** Child-side hooks besides the handler. */
export interface ServeOptions {
  /** Called with the parent's `warm` hint before any request: preload what requests need. */
  warm?(hint: unknown): Promise<void>;
}

/**
 * Child side: answer exactly one `run` message with `handler`, then exit.
 * Exits explicitly: a Pulumi runtime may leave handles open.
 */
export function serveChild<Req, Res, E>(handler: (request: Req, ctx: ChildContext<E>) => Promise<Res>, options: ServeOptions = {}): void {
  if (!process.send) throw new Error("serveChild must run in a process spawned with an IPC channel");
  const controller = new AbortController();
  process.on("SIGINT", () => controller.abort());
  const send = (msg: ChildMessage<E, Res>) =>
    new Promise<void>((resolve) => process.send!(msg, undefined, {}, () => resolve()));
  let warming: Promise<void> = Promise.resolve();

  const onMessage = async (raw: unknown) => {
    const msg = raw as { t: string; request?: Req; hint?: unknown };
    if (msg.t === "warm") {
      // A failed warm-up is not fatal: the request loads what it needs itself.
      warming = options.warm?.(msg.hint).catch(() => {}) ?? warming;
      return;
    }
    if (msg.t !== "run") return;
    process.off("message", onMessage);
    let final: ChildMessage<E, Res>;
    try {
      await warming;
      const result = await handler(msg.request as Req, { emit: (event) => void send({ t: "event", event }), signal: controller.signal });
      final = { t: "result", result };
    } catch (err) {
      final = { t: "error", error: toWireError(err) };
    }
    await send(final);
    process.disconnect?.();
    process.exit(0);
  };
  process.on("message", onMessage);
  // If the parent dies, so do we: nothing else would ever read our answer.
  process.on("disconnect", () => process.exit(0));
}
