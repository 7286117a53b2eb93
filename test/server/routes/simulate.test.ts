import t, { type Test } from "tap";
import Fastify from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { problemErrorHandler } from "../../../server/errors.js";
import { simulateRoutes } from "../../../server/routes/simulate.js";
import { SimulateEngine } from "../../../server/engine/simulate.js";
import type { CloudResource } from "../../../server/engine/simulated-cloud.js";
import { tempDataDir } from "../engine/simulate-helpers.js";

const PASSWORD = "s3cr3t-generated-Password-value";

function resource(urn: string, type: string, name: string, inputs: Record<string, unknown>): CloudResource {
  return { urn, type, name, custom: true, parent: null, provider: null, dependsOn: [], id: `${name}-id`, recorded: { inputs, state: { ...inputs } }, actual: { ...inputs } };
}

async function build(t: Test) {
  const engine = new SimulateEngine({ dataDir: tempDataDir(t), timeScale: 0, spare: false });
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemErrorHandler);
  await app.register(simulateRoutes, { engine });
  await app.ready();
  t.teardown(() => app.close());
  // A stack as an `up` would leave it (written directly: no child process needed here).
  const stack = engine.cloud.load("dev", "foundation");
  stack.resources.push(
    resource("urn:pulumi:dev-foundation::goldenpath::aws:rds/instance:Instance::db", "aws:rds/instance:Instance", "db", { identifier: "dev-db", publiclyAccessible: false, password: PASSWORD }),
    resource("urn:pulumi:dev-foundation::goldenpath::aws:secretsmanager/secret:Secret::keycloak-db", "aws:secretsmanager/secret:Secret", "keycloak-db", { name: "goldenpath/dev/keycloak/db" }),
  );
  engine.cloud.save("dev", "foundation", stack);
  const platform = engine.cloud.load("dev", "platform");
  platform.resources.push(resource("urn:pulumi:dev-platform::goldenpath::kubernetes:external-secrets.io/v1:ExternalSecret::keycloak-db", "kubernetes:external-secrets.io/v1:ExternalSecret", "keycloak-db", { kind: "ExternalSecret" }));
  engine.cloud.save("dev", "platform", platform);
  return { app, engine };
}

t.test("inject, list and clear failures", async (t) => {
  const { app, engine } = await build(t);
  const res = await app.inject({ method: "POST", url: "/v1/simulate/environments/dev/failures", payload: { resource: "db", message: "InsufficientDBInstanceCapacity", op: "create", times: 2 } });
  t.equal(res.statusCode, 201);
  const body = res.json();
  t.match(body, { engine: "simulate", environment: "dev", failure: { resource: "db", message: "InsufficientDBInstanceCapacity", op: "create", remaining: 2 } });
  t.same(engine.listFailures("dev"), [body.failure], "stored where the engine's child reads it");
  const list = await app.inject({ method: "GET", url: "/v1/simulate/environments/dev/failures" });
  t.same(list.json().failures, [body.failure]);
  const cleared = await app.inject({ method: "DELETE", url: "/v1/simulate/environments/dev/failures" });
  t.same(cleared.json(), { engine: "simulate", environment: "dev", cleared: 1 });
  t.same(engine.listFailures("dev"), []);
});

t.test("invalid bodies get 400 problem+json with field paths", async (t) => {
  const { app, engine } = await build(t);
  const cases: [string, string, unknown, string][] = [
    ["failures", "missing message", { resource: "db" }, "message"],
    ["failures", "empty resource", { resource: "", message: "x" }, "resource"],
    ["failures", "unknown op", { resource: "db", message: "x", op: "replace" }, "op"],
    ["failures", "times not positive", { resource: "db", message: "x", times: 0 }, "times"],
    ["failures", "times not an integer", { resource: "db", message: "x", times: 1.5 }, "times"],
    ["failures", "unknown layer", { resource: "db", message: "x", layer: "mirror" }, "layer"],
    ["failures", "unknown field", { resource: "db", message: "x", when: "now" }, "when"],
    ["changes", "neither set nor delete", { resource: "db" }, "set"],
    ["changes", "empty set", { resource: "db", set: {} }, "set"],
    ["changes", "both set and delete", { resource: "db", set: { a: 1 }, delete: true }, "delete"],
    ["changes", "delete false", { resource: "db", delete: false }, "delete"],
    ["changes", "set not an object", { resource: "db", set: [1] }, "set"],
  ];
  for (const [route, what, payload, path] of cases) {
    const res = await app.inject({ method: "POST", url: `/v1/simulate/environments/dev/${route}`, payload: payload as object });
    t.equal(res.statusCode, 400, `${route}: ${what} → 400`);
    t.match(res.headers["content-type"], /application\/problem\+json/);
    t.ok(res.json().errors?.some((e: { path: string }) => e.path === path), `${route}: ${what} names field ${path}: ${JSON.stringify(res.json().errors)}`);
  }
  const badName = await app.inject({ method: "POST", url: "/v1/simulate/environments/Not_A_Name/failures", payload: { resource: "db", message: "x" } });
  t.equal(badName.statusCode, 400, "the environment name is validated before anything is stored");
  t.ok(badName.json().errors.some((e: { path: string }) => e.path === "params.name"));
  t.same(engine.listFailures("dev"), [], "nothing stored by a rejected request");
});

t.test("out-of-band changes and the cloud listing (names only, never values)", async (t) => {
  const { app } = await build(t);
  const listing = await app.inject({ method: "GET", url: "/v1/simulate/environments/dev/cloud" });
  t.equal(listing.statusCode, 200);
  t.equal(listing.json().resources.length, 3);
  t.notMatch(listing.body, PASSWORD, "no stored value leaves through the listing");
  t.same(listing.json().resources[0].properties, ["identifier", "password", "publiclyAccessible"]);

  const change = await app.inject({ method: "POST", url: "/v1/simulate/environments/dev/changes", payload: { resource: "aws:rds/instance:Instance", set: { publiclyAccessible: true } } });
  t.equal(change.statusCode, 200);
  t.match(change.json().resource, { name: "db", status: "drifted", driftedProperties: ["publiclyAccessible"] });
  t.notMatch(change.body, PASSWORD);

  const ambiguous = await app.inject({ method: "POST", url: "/v1/simulate/environments/dev/changes", payload: { resource: "keycloak-db", delete: true } });
  t.equal(ambiguous.statusCode, 400, "a name in both layers is ambiguous");
  t.equal(ambiguous.json().errors[0].path, "resource");
  const del = await app.inject({ method: "POST", url: "/v1/simulate/environments/dev/changes", payload: { layer: "platform", resource: "keycloak-db", delete: true } });
  t.equal(del.json().resource.status, "deleted");
  const again = await app.inject({ method: "POST", url: "/v1/simulate/environments/dev/changes", payload: { layer: "platform", resource: "keycloak-db", delete: true } });
  t.equal(again.statusCode, 400, "deleting a deleted resource is refused");

  const missing = await app.inject({ method: "POST", url: "/v1/simulate/environments/dev/changes", payload: { resource: "nope", delete: true } });
  t.equal(missing.statusCode, 404);
  const noCloud = await app.inject({ method: "GET", url: "/v1/simulate/environments/other/cloud" });
  t.equal(noCloud.statusCode, 404, "an environment without a simulated cloud is 404");
  t.match(noCloud.headers["content-type"], /problem\+json/);
});
