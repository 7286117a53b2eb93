import http from "node:http";
import type { AddressInfo } from "node:net";
import t, { type Test } from "tap";
import { EngineError } from "../../../server/engine/port.js";
import { verify } from "../../../server/notify/signature.js";
import { build, minimalSpec, waitForOperation } from "../../helpers/app.js";
import { RDS_DRIFT, scriptedEngine, type Script } from "../drift/scripted-engine.js";

t.setTimeout(180_000);

interface Received {
  event: string;
  body: Record<string, any>;
  attempt: string;
  verified: boolean;
}

/** A receiver on 127.0.0.1 that verifies each delivery's signature and answers `codes` in turn (then 200). */
async function receiver(t: Test, secret: () => string, codes: number[] = []) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      got.push({
        event: String(req.headers["goldenpath-event"]),
        body: JSON.parse(raw),
        attempt: String(req.headers["goldenpath-attempt"]),
        verified: verify(secret(), raw, req.headers["goldenpath-signature"] as string),
      });
      res.statusCode = codes.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test("webhooks: admin only, secret shown once, signed deliveries, drift notified once per change, retries with backoff", async (t) => {
  const script: Script = { cloud: {}, pending: {} };
  const { call } = await build(t, { engine: scriptedEngine(script), drift: { webhookRetryDelaySeconds: 1, pollingIntervalSeconds: 0.5 } });

  const operator = (await call({ method: "POST", url: "/v1/tokens", payload: { name: "ops", role: "operator" } })).json().token;
  t.equal((await call({ method: "POST", url: "/v1/webhooks", payload: { url: "http://127.0.0.1:1/x" }, token: operator })).statusCode, 403, "operators cannot register webhooks");
  t.equal((await call({ method: "GET", url: "/v1/webhooks", token: operator })).statusCode, 403, "nor list them");
  for (const url of ["ftp://127.0.0.1/x", "file:///etc/passwd", "http://user:pw@127.0.0.1/x", "not a url"]) {
    const res = await call({ method: "POST", url: "/v1/webhooks", payload: { url } });
    t.equal(res.statusCode, 400, `${url} is refused`);
    t.equal(res.json().errors?.[0]?.path, "url");
  }
  t.equal((await call({ method: "POST", url: "/v1/webhooks", payload: { url: "http://127.0.0.1:1/x", events: ["drift.sideways"] } })).statusCode, 400, "unknown events are refused");

  let secretA = "";
  const a = await receiver(t, () => secretA);
  const createdA = await call({ method: "POST", url: "/v1/webhooks", payload: { url: a.url } });
  t.equal(createdA.statusCode, 201);
  secretA = createdA.json().secret;
  t.match(secretA, /^whsec_[A-Za-z0-9_-]{40,}$/, "a secret is generated when none is given");
  t.same(createdA.json().events.length, 5, "all events by default");

  const secretB = "a-shared-secret-of-the-receiver";
  const b = await receiver(t, () => secretB, [500, 503]);
  const createdB = await call({ method: "POST", url: "/v1/webhooks", payload: { url: b.url, events: ["drift.detected"], secret: secretB } });
  t.equal(createdB.json().secret, secretB);
  const hookB = createdB.json().id;

  const list = await call({ method: "GET", url: "/v1/webhooks" });
  t.equal(list.json().items.length, 2);
  t.notMatch(list.body, secretA, "the generated secret is never listed");
  t.notMatch(list.body, secretB, "nor a given one");
  t.notOk("secret" in list.json().items[0]);

  // An up: operation.succeeded to A only.
  const up = await call({ method: "POST", url: "/v1/environments", payload: minimalSpec("hooks") });
  t.equal((await waitForOperation(call, up.json().id)).status, "succeeded");
  await until("operation.succeeded", () => a.got.length === 1);
  t.equal(a.got[0].event, "operation.succeeded");
  t.equal(a.got[0].body.data.operation.id, up.json().id);

  const check = async () => {
    const op = await call({ method: "POST", url: "/v1/environments/hooks/drift" });
    t.equal(op.statusCode, 202);
    t.equal(op.headers.location, `/v1/operations/${op.json().id}`);
    return waitForOperation(call, op.json().id);
  };

  // First check in sync: the very first in_sync is not news.
  t.equal((await check()).status, "succeeded");
  script.cloud.foundation = [RDS_DRIFT];
  await check();
  const drifted = (await call({ method: "GET", url: "/v1/environments/hooks/drift" })).json();
  t.equal(drifted.status, "drifted");
  await check(); // still drifted: no second drift.detected
  script.fail = new EngineError("CREDENTIALS", "the AWS credentials expired");
  t.equal((await check()).status, "failed", "an engine failure fails the check operation");
  const errored = (await call({ method: "GET", url: "/v1/environments/hooks/drift" })).json();
  t.same([errored.status, errored.error.code, errored.error.message], ["error", "CREDENTIALS", "the AWS credentials expired"], "the result carries the classified error");
  script.fail = undefined;
  script.cloud = {};
  await check();

  await until("drift.resolved at A", () => a.got.some((g) => g.event === "drift.resolved"));
  await until("B's third attempt", () => b.got.length >= 3, 30_000);
  await new Promise((r) => setTimeout(r, 1500)); // nothing else may arrive
  t.same(a.got.map((g) => g.event), ["operation.succeeded", "drift.detected", "drift.error", "drift.resolved"],
    "one notification per status change; drift operations send no operation.* events");
  t.ok(a.got.every((g) => g.verified), "every delivery to A carries a valid signature");
  const detected = a.got[1].body;
  t.equal(detected.data.environment, "hooks");
  t.same(detected.data.drift.resources.map((r: any) => [r.kind, r.type, r.properties]), [["cloud", "aws:rds/instance:Instance", ["publiclyAccessible"]]]);

  t.same(b.got.map((g) => [g.event, g.attempt, g.verified]), [["drift.detected", "1", true], ["drift.detected", "2", true], ["drift.detected", "3", true]],
    "B fails twice and gets the event on the third try, each attempt signed");
  t.equal(new Set(b.got.map((g) => g.body.id)).size, 1, "the same event id on every attempt");

  const deliveries = (await call({ method: "GET", url: `/v1/webhooks/${hookB}/deliveries` })).json();
  t.same(deliveries.items.map((d: any) => [d.attempt, d.status, d.responseCode]), [[3, "succeeded", 200], [2, "failed", 503], [1, "failed", 500]],
    "every attempt is recorded for admins");
  t.equal((await call({ method: "GET", url: `/v1/webhooks/${hookB}/deliveries`, token: operator })).statusCode, 403);

  const metrics = (await call({ method: "GET", url: "/metrics" })).body;
  t.match(metrics, /goldenpath_drift_checks_total\{result="drifted"\} 2/, "checks by result");
  t.match(metrics, /goldenpath_drift_checks_total\{result="error"\} 1/);
  t.match(metrics, /goldenpath_environments_by_drift_status\{status="in_sync"\} 1/, "environments by drift status");
  t.match(metrics, /goldenpath_drift_seconds_since_last_success\{environment="hooks"\} \d+/, "time since the last successful check");

  t.equal((await call({ method: "DELETE", url: `/v1/webhooks/${hookB}` })).statusCode, 204);
  t.equal((await call({ method: "GET", url: `/v1/webhooks/${hookB}/deliveries` })).statusCode, 404);
  t.equal((await call({ method: "DELETE", url: `/v1/webhooks/${hookB}` })).statusCode, 404);
});
