import t from "tap";
import { ChildHandle, runInChild } from "../../../server/engine/child-process.js";
import { EngineError } from "../../../server/engine/port.js";

/** The EngineError a run rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error("expected the run to fail");
}

const entry = new URL("../../fixtures/engine/child-fixture.ts", import.meta.url);

t.test("events stream in order and the result comes back", async (t) => {
  const seen: number[] = [];
  const result = await runInChild<{ done: boolean; pid: number }>({ entry, request: { mode: "echo", n: 5 }, onEvent: (e: any) => seen.push(e.i) });
  t.same(seen, [0, 1, 2, 3, 4]);
  t.equal(result.done, true);
  t.not(result.pid, process.pid, "ran in another process");
});

t.test("an EngineError thrown in the child keeps its code, message and urn", async (t) => {
  const err = await failure(runInChild({ entry, request: { mode: "provider-error" }, onEvent: () => {} }));
  t.ok(err instanceof EngineError);
  t.equal(err.code, "PROVIDER_ERROR");
  t.equal(err.message, "aws:s3/bucket:Bucket b: boom");
  t.equal(err.urn, "urn:pulumi:s::p::aws:s3/bucket:Bucket::b");
});

t.test("any other error becomes INTERNAL", async (t) => {
  const err = await failure(runInChild({ entry, request: { mode: "plain-error" }, onEvent: () => {} }));
  t.equal(err.code, "INTERNAL");
  t.equal(err.message, "plain failure");
});

t.test("a child that dies without answering is ENGINE_CRASHED with its stderr as detail", async (t) => {
  const events: unknown[] = [];
  const err = await failure(runInChild({ entry, request: { mode: "crash" }, onEvent: (e) => events.push(e) }));
  t.equal(err.code, "ENGINE_CRASHED");
  t.match(err.message, /exit code 3/);
  t.match(err.detail, /about to crash/);
  t.notMatch(err.detail, /hunter2-secret/, "secret shapes in the dying child's stderr are masked");
  t.equal(events.length, 1, "events before the crash were delivered");
});

t.test("abort sends SIGINT; the child winds down and the run is CANCELLED", async (t) => {
  const ac = new AbortController();
  const started = Date.now();
  const p = runInChild({ entry, request: { mode: "wait-abort" }, onEvent: () => ac.abort(), signal: ac.signal, graceMs: 30_000 });
  const err = await failure(p);
  t.equal(err.code, "CANCELLED");
  t.equal(err.message, "fixture cancelled", "the child's own answer, not a kill");
  t.ok(Date.now() - started < 20_000, "did not wait for the grace period");
});

t.test("a child ignoring SIGINT is killed after the grace period, still CANCELLED", async (t) => {
  const ac = new AbortController();
  const started = Date.now();
  const err = await failure(runInChild({ entry, request: { mode: "ignore-sigint" }, onEvent: () => ac.abort(), signal: ac.signal, graceMs: 300 }));
  t.equal(err.code, "CANCELLED");
  t.match(err.message, /stopped/);
  t.ok(Date.now() - started >= 300, "waited for the grace period first");
});

t.test("an already aborted signal never spawns", async (t) => {
  const ac = new AbortController();
  ac.abort();
  let events = 0;
  const err = await failure(runInChild({ entry, request: { mode: "echo" }, onEvent: () => events++, signal: ac.signal }));
  t.equal(err.code, "CANCELLED");
  t.equal(events, 0);
});

t.test("a warm spare preloads before its request and answers exactly one", async (t) => {
  const handle = new ChildHandle<{ mode: string }, { warmedWith: unknown }, unknown>({ entry, warm: { preload: ["sdk"] } });
  t.equal(handle.available, true);
  const result = await handle.run({ request: { mode: "warmed" }, onEvent: () => {} });
  t.same(result.warmedWith, { preload: ["sdk"] }, "the request waited for the warm-up");
  t.equal(handle.available, false, "used up");
  const again = await failure(handle.run({ request: { mode: "warmed" }, onEvent: () => {} }));
  t.equal(again.code, "INTERNAL");
});
