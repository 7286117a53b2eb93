/**
 * Every invalid request gets a 4xx problem+json naming the offending field,
 * and nothing is stored: no environment, no operation, no token.
 */
import pg from "pg";
import t from "tap";
import { build, minimalSpec } from "../../helpers/app.js";

interface Case {
  name: string;
  method?: string;
  url?: string;
  payload?: unknown;
  headers?: Record<string, string>;
  status: number;
  /** A field path the problem's errors[] must name. */
  path?: string;
}

const spec = (extra: Record<string, unknown>) => minimalSpec("dev", extra);
const UUID = "4f0c5a4e-2f7b-4a51-9d8e-0a3c1c9b7e11";

const cases: Case[] = [
  { name: "name missing", payload: { aws: { region: "eu-west-2" } }, status: 400, path: "name" },
  { name: "name uppercase", payload: minimalSpec("Dev"), status: 400, path: "name" },
  { name: "name longer than 20", payload: minimalSpec("a".repeat(21)), status: 400, path: "name" },
  { name: "name with underscore", payload: minimalSpec("dev_1"), status: 400, path: "name" },
  { name: "name starting with a hyphen", payload: minimalSpec("-dev"), status: 400, path: "name" },
  { name: "name of the wrong type", payload: { name: 42, aws: { region: "eu-west-2" } }, status: 400, path: "name" },
  { name: "aws missing", payload: { name: "dev" }, status: 400, path: "aws" },
  { name: "region not a region", payload: { name: "dev", aws: { region: "mars-1" } }, status: 400, path: "aws.region" },
  { name: "region of the wrong type", payload: { name: "dev", aws: { region: 1 } }, status: 400, path: "aws.region" },
  { name: "unknown top-level field", payload: spec({ colour: "blue" }), status: 400, path: "colour" },
  { name: "unknown nested field", payload: { name: "dev", aws: { region: "eu-west-2", zone: "a" } }, status: 400, path: "aws.zone" },
  { name: "azCount out of range", payload: spec({ network: { azCount: 5 } }), status: 400, path: "network.azCount" },
  { name: "cidr not a CIDR", payload: spec({ network: { cidr: "10.0.0.0/99" } }), status: 400, path: "network.cidr" },
  { name: "Kubernetes version too old", payload: spec({ cluster: { version: "1.10" } }), status: 400, path: "cluster.version" },
  { name: "no node groups", payload: spec({ cluster: { nodeGroups: [] } }), status: 400, path: "cluster.nodeGroups" },
  { name: "node group sizes out of order", payload: spec({ cluster: { nodeGroups: [{ name: "g", minSize: 3, desiredSize: 2, maxSize: 4 }] } }), status: 400, path: "cluster.nodeGroups.0.desiredSize" },
  { name: "arm64 instance on amd64 nodes", payload: spec({ cluster: { nodeGroups: [{ name: "g", instanceTypes: ["m7g.large"] }] } }), status: 400, path: "cluster.nodeGroups.0.instanceTypes.0" },
  { name: "derived IAM role name too long", payload: minimalSpec("a".repeat(20), { cluster: { nodeGroups: [{ name: "b".repeat(40) }] } }), status: 400, path: "cluster.nodeGroups.0.name" },
  { name: "PostgreSQL 14", payload: spec({ database: { engineVersion: "14" } }), status: 400, path: "database.engineVersion" },
  { name: "storage as a string", payload: spec({ database: { allocatedStorage: "20" } }), status: 400, path: "database.allocatedStorage" },
  { name: "reserved database user", payload: spec({ database: { applications: [{ name: "keycloak", user: "postgres", database: "kc" }, { name: "backstage", user: "bs", database: "bs" }] } }), status: 400, path: "database.applications.0.user" },
  { name: "duplicate application", payload: spec({ database: { applications: [{ name: "keycloak", user: "a", database: "a" }, { name: "keycloak", user: "b", database: "b" }] } }), status: 400, path: "database.applications.1.name" },
  { name: "image on latest", payload: spec({ images: { keycloak: { source: "quay.io/keycloak/keycloak:latest" } } }), status: 400, path: "images.keycloak.source" },
  { name: "image without a tag", payload: spec({ images: { backstage: { source: "ghcr.io/backstage/backstage" } } }), status: 400, path: "images.backstage.source" },
  { name: "hostname not a hostname", payload: spec({ apps: { keycloak: { hostname: "not a host" } } }), status: 400, path: "apps.keycloak.hostname" },
  { name: "unknown keycloak flavor", payload: spec({ apps: { keycloak: { flavor: "other" } } }), status: 400, path: "apps.keycloak.flavor" },
  { name: "certificate ARN malformed", payload: spec({ ingress: { certificateArn: "arn:nope" } }), status: 400, path: "ingress.certificateArn" },
  { name: "secrets prefix uppercase", payload: spec({ secretsPrefix: "UPPER" }), status: 400, path: "secretsPrefix" },
  { name: "drift schedule not cron", payload: spec({ drift: { schedule: "every hour" } }), status: 400, path: "drift.schedule" },
  { name: "reserved tag key", payload: spec({ tags: { "aws:owner": "me" } }), status: 400, path: "tags.aws:owner" },
  { name: "body is an array", payload: [], status: 400, path: "" },
  { name: "body is a JSON string", payload: '"hello"', headers: { "content-type": "application/json" }, status: 400, path: "" },
  { name: "body is null", payload: "null", headers: { "content-type": "application/json" }, status: 400, path: "" },
  { name: "malformed JSON", payload: '{"name": "dev",', headers: { "content-type": "application/json" }, status: 400, path: "" },
  { name: "empty JSON body", payload: "", headers: { "content-type": "application/json" }, status: 400, path: "" },
  { name: "text/plain body", payload: "name: dev", headers: { "content-type": "text/plain" }, status: 415 },
  { name: "oversized body", payload: spec({ tags: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, "v".repeat(100)])) }), status: 413, path: "" },
  { name: "Idempotency-Key with a space", payload: minimalSpec("dev"), headers: { "idempotency-key": "two words" }, status: 400, path: "headers.idempotency-key" },
  { name: "Idempotency-Key over 255 characters", payload: minimalSpec("dev"), headers: { "idempotency-key": "k".repeat(256) }, status: 400, path: "headers.idempotency-key" },
  { name: "PUT with a bad name in the path", method: "PUT", url: "/v1/environments/Bad_Name", payload: minimalSpec("dev"), status: 400, path: "params.name" },
  { name: "PUT with another environment's spec", method: "PUT", url: "/v1/environments/prod", payload: minimalSpec("dev"), status: 400, path: "name" },
  { name: "DELETE with a 21-character name", method: "DELETE", url: `/v1/environments/${"a".repeat(21)}`, status: 400, path: "params.name" },
  { name: "unknown operation kind", url: "/v1/environments/dev/operations", payload: { kind: "explode" }, status: 400, path: "kind" },
  { name: "operation body with an extra field", url: "/v1/environments/dev/operations", payload: { kind: "up", force: true }, status: 400, path: "force" },
  { name: "operation body missing kind", url: "/v1/environments/dev/operations", payload: {}, status: 400, path: "kind" },
  { name: "operation on a bad name", url: "/v1/environments/DEV/operations", payload: { kind: "up" }, status: 400, path: "params.name" },
  { name: "operation id not a UUID", method: "GET", url: "/v1/operations/123", status: 400, path: "params.id" },
  { name: "cancel of a non-UUID", url: "/v1/operations/abc/cancel", status: 400, path: "params.id" },
  { name: "limit zero", method: "GET", url: "/v1/environments?limit=0", status: 400, path: "querystring.limit" },
  { name: "limit not a number", method: "GET", url: "/v1/environments?limit=abc", status: 400, path: "querystring.limit" },
  { name: "unknown query parameter", method: "GET", url: "/v1/environments?sort=name", status: 400, path: "querystring.sort" },
  { name: "showSecrets not a boolean", method: "GET", url: "/v1/environments/dev/outputs?showSecrets=yes", status: 400, path: "querystring.showSecrets" },
  { name: "Last-Event-ID not a number", method: "GET", url: `/v1/operations/${UUID}/events`, headers: { "last-event-id": "abc" }, status: 400, path: "headers.last-event-id" },
  { name: "token with an unknown role", url: "/v1/tokens", payload: { name: "ci", role: "root" }, status: 400, path: "role" },
  { name: "token name with spaces", url: "/v1/tokens", payload: { name: "my token", role: "viewer" }, status: 400, path: "name" },
  { name: "token body with an extra field", url: "/v1/tokens", payload: { name: "ci", role: "viewer", value: "x" }, status: 400, path: "value" },
  { name: "revoke a non-UUID token", method: "DELETE", url: "/v1/tokens/xyz", status: 400, path: "params.id" },
];

t.test("invalid requests: 4xx problem+json with field paths, nothing stored", async (t) => {
  const h = await build(t, { startWorkers: false });
  t.ok(cases.length >= 40, `${cases.length} cases`);
  for (const c of cases) {
    const res = await h.call({
      method: c.method ?? "POST",
      url: c.url ?? "/v1/environments",
      payload: typeof c.payload === "string" ? c.payload : c.payload === undefined ? undefined : JSON.stringify(c.payload),
      headers: { ...(c.payload !== undefined && typeof c.payload !== "string" ? { "content-type": "application/json" } : {}), ...c.headers },
    });
    t.equal(res.statusCode, c.status, `${c.name}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    t.match(res.headers["content-type"], /^application\/problem\+json/, `${c.name}: problem+json`);
    const body = res.json();
    t.equal(body.status, c.status, `${c.name}: status in the body`);
    t.ok(body.type && body.title && body.detail, `${c.name}: type, title, detail`);
    t.notMatch(res.body, /at .*\.(ts|js):\d+/, `${c.name}: no stack trace`);
    if (c.path !== undefined) {
      t.ok(
        body.errors?.some((e: { path: string }) => e.path === c.path),
        `${c.name}: errors[] names ${JSON.stringify(c.path)} (got ${JSON.stringify(body.errors?.map((e: { path: string }) => e.path))})`,
      );
    }
  }
  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const counts = await db.query(
    "SELECT (SELECT count(*) FROM environments)::int AS envs, (SELECT count(*) FROM operations)::int AS ops, (SELECT count(*) FROM tokens)::int AS tokens, (SELECT count(*) FROM idempotency_keys)::int AS keys",
  );
  t.same(counts.rows[0], { envs: 0, ops: 0, tokens: 1, keys: 0 }, "nothing stored (only the bootstrap admin token)");
});

t.test("Idempotency-Key: the same request answers the same operation; another body is 422", async (t) => {
  const h = await build(t, { startWorkers: false });
  const headers = { "idempotency-key": "create-dev-2024-01-01" };
  const first = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev"), headers });
  t.equal(first.statusCode, 202);
  const again = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev"), headers });
  t.equal(again.statusCode, 202, "not 409: the first answer again");
  t.equal(again.json().id, first.json().id);
  t.equal(again.headers["idempotent-replayed"], "true");
  t.equal(again.headers.location, first.headers.location);
  const other = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev", { tags: { a: "b" } }), headers });
  t.equal(other.statusCode, 422);
  t.equal(other.json().code, "IDEMPOTENCY_KEY_REUSED");
  t.equal(other.json().errors[0].path, "headers.idempotency-key");
  const withoutKey = await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") });
  t.equal(withoutKey.statusCode, 409, "without a key, a second create is a conflict");
  t.equal(withoutKey.json().code, "ENVIRONMENT_EXISTS");
  const ops = (await h.call({ method: "GET", url: "/v1/environments/dev/operations" })).json();
  t.equal(ops.items.length, 1, "one operation for all those calls");
  const missing = await h.call({ method: "GET", url: `/v1/operations/${UUID}` });
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, "OPERATION_NOT_FOUND");
  const noEnv = await h.call({ method: "PUT", url: "/v1/environments/prod", payload: minimalSpec("prod") });
  t.equal(noEnv.statusCode, 404);
  t.equal(noEnv.json().code, "ENVIRONMENT_NOT_FOUND");
  const noRoute = await h.call({ method: "GET", url: "/v1/nothing" });
  t.equal(noRoute.statusCode, 404);
  t.match(noRoute.headers["content-type"], /problem\+json/);
});
