/**
 * Health, readiness, metrics, the OpenAPI document and the docs UI; and the
 * real `pulumi` engine on a host without the Pulumi CLI: work is refused
 * with 503 before anything is stored.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import t from "tap";
import { build, minimalSpec } from "../../helpers/app.js";

t.test("health, readiness, metrics, OpenAPI", async (t) => {
  const h = await build(t, { startWorkers: false });
  const health = await h.call({ method: "GET", url: "/healthz", token: null });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: "ok", engine: "simulate" });
  t.match(health.headers["x-request-id"], /^[0-9a-f-]{36}$/, "every answer carries its request id");

  const ready = await h.call({ method: "GET", url: "/readyz", token: null });
  t.equal(ready.statusCode, 200);
  t.same(ready.json().checks, { database: { ok: true }, queue: { ok: true }, events: { ok: true } });

  const spec = await h.call({ method: "GET", url: "/openapi.json", token: null });
  t.equal(spec.statusCode, 200);
  const doc = spec.json();
  t.equal(doc.openapi, "3.1.0");
  for (const p of [
    "/v1/environments",
    "/v1/environments/{name}",
    "/v1/environments/{name}/operations",
    "/v1/environments/{name}/outputs",
    "/v1/operations/{id}",
    "/v1/operations/{id}/events",
    "/v1/operations/{id}/cancel",
    "/v1/tokens",
    "/v1/tokens/{id}",
    "/v1/plan",
    "/healthz",
    "/readyz",
    "/metrics",
  ]) {
    t.ok(doc.paths[p], `documents ${p}`);
  }
  t.notOk(Object.keys(doc.paths).some((p) => p.startsWith("/docs")), "the UI's own routes are not in the document");
  for (const s of ["Operation", "Problem", "Environment", "Outputs", "Token"]) t.ok(doc.components.schemas[s], `schema ${s} by $ref`);
  t.ok(doc.paths["/v1/environments"].post.responses["409"], "every status code a route answers is documented");
  t.ok(doc.paths["/v1/environments"].post.requestBody, "the spec body is documented");

  const ui = await h.call({ method: "GET", url: "/docs/", token: null });
  t.equal(ui.statusCode, 200);
  t.match(ui.headers["content-type"], /text\/html/);

  const metrics = await h.call({ method: "GET", url: "/metrics" });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.headers["content-type"], /^text\/plain; version=0\.0\.4/);
  for (const family of ["goldenpath_queue_depth", "goldenpath_operations_running", "goldenpath_http_request_duration_seconds"]) {
    t.match(metrics.body, new RegExp(`# TYPE ${family} `), family);
  }
  t.match(metrics.body, /goldenpath_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/);

  // The event listener gone: not ready.
  await h.app.bus.stop();
  const notReady = await h.call({ method: "GET", url: "/readyz", token: null });
  t.equal(notReady.statusCode, 503);
  t.equal(notReady.json().checks.events.ok, false);
});

const pulumiOnPath = (process.env.PATH ?? "").split(path.delimiter).some((d) => existsSync(path.join(d, "pulumi")));

t.test("the pulumi engine without its CLI: 503 before anything is stored", { skip: pulumiOnPath && "the Pulumi CLI is installed here, so the engine is ready" }, async (t) => {
  const h = await build(t, { startWorkers: false, env: { GOLDENPATH_ENGINE: "pulumi" } });
  t.equal(h.app.engine.name, "pulumi");
  const res = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") });
  t.equal(res.statusCode, 503, res.body);
  t.equal(res.json().code, "ENGINE_UNAVAILABLE");
  t.match(res.headers["content-type"], /problem\+json/);
  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const n = await db.query("SELECT (SELECT count(*) FROM environments)::int AS e, (SELECT count(*) FROM operations)::int AS o");
  t.same(n.rows[0], { e: 0, o: 0 });
  t.equal((await h.call({ method: "GET", url: "/healthz", token: null })).json().engine, "pulumi", "answers name the engine");
});
