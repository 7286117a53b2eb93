/**
 * Server-Sent Events over a real socket: live events while an operation
 * runs, replay from the store, `Last-Event-ID` resume, heartbeats, the end
 * of the stream with the operation — and cancel of a running operation.
 */
import t from "tap";
import { build, minimalSpec, waitForOperation } from "../../helpers/app.js";

t.setTimeout(300_000);

interface Frame {
  id?: number;
  event?: string;
  data?: any;
  comment?: string;
  receivedAt: number;
}

/** Read a whole SSE stream (until the server ends it). */
async function readStream(base: string, path: string, token: string, headers: Record<string, string> = {}, onFrame?: (f: Frame) => void): Promise<{ status: number; frames: Frame[] }> {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}`, ...headers } });
  if (res.status !== 200 || !res.body) return { status: res.status, frames: [] };
  const frames: Frame[] = [];
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Frame = { receivedAt: Date.now() };
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) f.comment = line.slice(1).trim();
        else if (line.startsWith("id: ")) f.id = Number(line.slice(4));
        else if (line.startsWith("event: ")) f.event = line.slice(7);
        else if (line.startsWith("data: ")) f.data = JSON.parse(line.slice(6));
      }
      frames.push(f);
      onFrame?.(f);
    }
  }
  return { status: res.status, frames };
}

t.test("events: live, replay, Last-Event-ID, heartbeats, end", async (t) => {
  const h = await build(t, { env: { GOLDENPATH_SIMULATE_TIME_SCALE: "0.01" }, sse: { heartbeatMs: 150, pollMs: 60_000 } });
  await h.app.listen({ host: "127.0.0.1", port: 0 });
  const addr = h.app.server.address() as { port: number };
  const base = `http://127.0.0.1:${addr.port}`;

  const created = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") });
  const id = created.json().id;
  const path = `/v1/operations/${id}/events`;

  let resumed: Promise<{ status: number; frames: Frame[] }> | undefined;
  const live = await readStream(base, path, h.adminToken, {}, (f) => {
    // Once a few events are in, a second follower resumes after event 2.
    if (f.id === 4 && !resumed) resumed = readStream(base, path, h.adminToken, { "last-event-id": "2" });
  });
  t.equal(live.status, 200);
  const op = (await h.call({ method: "GET", url: `/v1/operations/${id}` })).json();
  t.equal(op.status, "succeeded");

  const events = live.frames.filter((f) => f.id !== undefined);
  t.same(events.map((f) => f.id), events.map((_, i) => i + 1), "ids are the event seqs, 1…n, in order, none missing");
  t.equal(events[0].event, "operation");
  t.equal(events[0].data.status, "running");
  t.ok(events.some((f) => f.event === "resource-pre" && f.data.layer === "foundation"), "engine events carry their layer");
  t.ok(events.some((f) => f.event === "phase" && f.data.phase === "platform" && f.data.status === "succeeded"));
  const last = events[events.length - 1];
  t.equal(last.event, "operation");
  t.equal(last.data.status, "succeeded", "the final event carries the final status");
  t.equal(live.frames[live.frames.length - 1].event, "end", "the stream says it ends");
  t.ok(live.frames.some((f) => f.comment === "heartbeat"), "heartbeat comments while the operation runs");
  const spread = events[events.length - 1].receivedAt - events[0].receivedAt;
  t.ok(spread > 1000, `events arrived live, over ${spread} ms, not all at the end`);

  t.ok(resumed, "the resuming follower started");
  const r = await resumed!;
  const rIds = r.frames.filter((f) => f.id !== undefined).map((f) => f.id);
  t.same(rIds, events.slice(2).map((f) => f.id), "Last-Event-ID: 2 resumes at 3 and then follows live to the end");

  const replay = await readStream(base, path, h.adminToken);
  t.same(
    replay.frames.filter((f) => f.id !== undefined).map((f) => [f.id, f.event]),
    events.map((f) => [f.id, f.event]),
    "a finished operation replays everything from the store",
  );
  const tail = await readStream(base, path, h.adminToken, { "last-event-id": String(events.length) });
  t.same(tail.frames.map((f) => f.event ?? "").filter(Boolean), ["end"], "nothing after the last event but the end");

  t.equal((await readStream(base, `/v1/operations/4f0c5a4e-2f7b-4a51-9d8e-0a3c1c9b7e11/events`, h.adminToken)).status, 404);
  t.equal((await readStream(base, path, "gp_wrong")).status, 401);
});

t.test("cancel of a running operation aborts the engine and ends cancelled", async (t) => {
  const h = await build(t, { env: { GOLDENPATH_SIMULATE_TIME_SCALE: "0.05" } });
  const created = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("stage") });
  const id = created.json().id;
  await waitForOperation(h.call, id, ["running"]);
  // Wait until the engine is inside the foundation (the EKS cluster takes 30 s at this scale).
  for (let i = 0; i < 300; i++) {
    const op = (await h.call({ method: "GET", url: `/v1/operations/${id}` })).json();
    if (op.phases.some((p: { name: string; status: string }) => p.name === "foundation" && p.status === "running")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const started = Date.now();
  const res = await h.call({ method: "POST", url: `/v1/operations/${id}/cancel` });
  t.equal(res.statusCode, 202);
  t.equal(res.json().cancelRequested, true);
  const done = await waitForOperation(h.call, id);
  t.equal(done.status, "cancelled");
  t.ok(Date.now() - started < 20_000, "cancelled well before the run would have finished");
  t.equal(done.phases.find((p: { name: string }) => p.name === "foundation").status, "cancelled");
  t.equal(done.error.code, "CANCELLED");
  const outputs = (await h.call({ method: "GET", url: "/v1/environments/stage/outputs" })).json();
  t.same(outputs.layers, {}, "no outputs recorded for a cancelled run");
  // The environment can run its next operation.
  const next = await h.call({ method: "POST", url: "/v1/environments/stage/operations", payload: { kind: "refresh" } });
  t.equal((await waitForOperation(h.call, next.json().id)).status, "succeeded");
});
