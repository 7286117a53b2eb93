/**
 * Bearer tokens and roles: the 401/403 matrix, token creation (value shown
 * once, stored hashed), revocation, the bootstrap admin token file, and the
 * audit trail of mutating calls and refused tokens.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import t from "tap";
import { build, minimalSpec } from "../../helpers/app.js";

const UUID = "4f0c5a4e-2f7b-4a51-9d8e-0a3c1c9b7e11";

t.test("roles, tokens and the audit trail", async (t) => {
  const h = await build(t, { startWorkers: false });
  const mk = async (name: string, role: string) => {
    const res = await h.call({ method: "POST", url: "/v1/tokens", payload: { name, role } });
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.headers["cache-control"], "no-store");
    t.match(res.json().token, /^gp_[A-Za-z0-9_-]{43}$/);
    return res.json() as { id: string; token: string };
  };
  const viewer = await mk("dashboards", "viewer");
  const operator = await mk("ci", "operator");
  const admin2 = await mk("second-admin", "admin");
  t.equal((await h.call({ method: "POST", url: "/v1/tokens", payload: { name: "ci", role: "viewer" } })).statusCode, 409, "names are unique among active tokens");

  // Each row: request, then expected status for [none, wrong, viewer, operator, admin].
  const spec = minimalSpec("dev");
  const matrix: [string, string, unknown, number[]][] = [
    ["GET", "/v1/environments", undefined, [401, 401, 200, 200, 200]],
    ["GET", "/v1/environments/dev", undefined, [401, 401, 404, 404, 404]],
    ["POST", "/v1/environments", spec, [401, 401, 403, 202, 409]],
    ["PUT", "/v1/environments/dev", spec, [401, 401, 403, 202, 202]],
    ["POST", "/v1/environments/dev/operations", { kind: "preview" }, [401, 401, 403, 202, 202]],
    ["GET", "/v1/environments/dev/outputs", undefined, [401, 401, 200, 200, 200]],
    ["GET", "/v1/environments/dev/outputs?showSecrets=true", undefined, [401, 401, 403, 403, 200]],
    ["GET", `/v1/operations/${UUID}`, undefined, [401, 401, 404, 404, 404]],
    ["POST", `/v1/operations/${UUID}/cancel`, undefined, [401, 401, 403, 404, 404]],
    ["GET", "/v1/tokens", undefined, [401, 401, 403, 403, 200]],
    ["POST", "/v1/tokens", { name: "x", role: "viewer" }, [401, 401, 403, 403, 201]],
    ["DELETE", `/v1/tokens/${UUID}`, undefined, [401, 401, 403, 403, 404]],
    ["GET", "/metrics", undefined, [401, 401, 200, 200, 200]],
    ["GET", "/healthz", undefined, [200, 200, 200, 200, 200]],
    ["GET", "/readyz", undefined, [200, 200, 200, 200, 200]],
    ["GET", "/openapi.json", undefined, [200, 200, 200, 200, 200]],
  ];
  const who: [string, string | null][] = [
    ["no token", null],
    ["a wrong token", "gp_" + "x".repeat(43)],
    ["viewer", viewer.token],
    ["operator", operator.token],
    ["admin", admin2.token],
  ];
  for (const [method, url, payload, expected] of matrix) {
    for (const [i, [label, token]] of who.entries()) {
      const res = await h.call({ method, url, payload, token });
      t.equal(res.statusCode, expected[i], `${method} ${url} as ${label}`);
      if (res.statusCode === 401) {
        t.match(res.headers["www-authenticate"], /^Bearer/);
        t.equal(res.json().code, "UNAUTHENTICATED");
      }
      if (res.statusCode === 403) t.equal(res.json().code, "FORBIDDEN");
    }
  }
  t.equal((await h.call({ method: "GET", url: "/v1/environments", token: null, headers: { authorization: "Basic abc" } })).statusCode, 401, "only Bearer");
  // A plan changes nothing: viewers may ask for one (it runs the programs offline, so once is enough here).
  t.equal((await h.call({ method: "POST", url: "/v1/plan", payload: spec, token: null })).statusCode, 401);
  const plan = await h.call({ method: "POST", url: "/v1/plan", payload: spec, token: viewer.token });
  t.equal(plan.statusCode, 200, "a viewer may plan");
  t.same(plan.json().layers.map((l: { name: string }) => l.name), ["foundation", "platform"], "the plan covers both layers");
  t.ok(Array.isArray(plan.json().findings));

  // The token list shows names and roles, never values or hashes.
  const list = await h.call({ method: "GET", url: "/v1/tokens" });
  t.same(list.json().items.map((x: { name: string }) => x.name).sort(), ["admin", "ci", "dashboards", "second-admin", "x"]);
  t.notMatch(list.body, /gp_|hash/);

  // Revoked tokens stop working at once.
  t.equal((await h.call({ method: "DELETE", url: `/v1/tokens/${viewer.id}` })).statusCode, 204);
  t.equal((await h.call({ method: "GET", url: "/v1/environments", token: viewer.token })).statusCode, 401);
  t.equal((await h.call({ method: "DELETE", url: `/v1/tokens/${viewer.id}` })).statusCode, 404, "already revoked");

  const db = new pg.Client({ connectionString: h.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const hashes = await db.query("SELECT hash FROM tokens");
  t.ok(hashes.rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash)), "stored as SHA-256 hex");
  t.notOk(hashes.rows.some((r) => r.hash.includes(operator.token)), "never the value");

  // Audit: mutating calls by token name, and refused token uses.
  const audit = await db.query("SELECT token_name, method, path, status, environment FROM audit ORDER BY id");
  const rows = audit.rows.map((r) => `${r.token_name ?? "-"} ${r.method} ${r.path} ${r.status} ${r.environment ?? "-"}`);
  t.ok(rows.includes("ci POST /v1/environments 202 dev"), "operator's create is audited with the environment");
  t.ok(rows.includes("dashboards POST /v1/environments 403 -"), "a refused mutation is audited (before its body is read)");
  t.ok(rows.includes("- GET /v1/environments 401 -"), "a refused token use is audited");
  t.ok(rows.includes("admin DELETE /v1/tokens/" + viewer.id + " 204 -"), "token revocation is audited");
  t.notOk(rows.some((r) => r.includes(" GET ") && r.endsWith(" 200 -")), "successful reads are not audited");
});

t.test("the bootstrap admin token is generated into the data dir, never logged", async (t) => {
  const h = await build(t, { startWorkers: false, env: { GOLDENPATH_ADMIN_TOKEN: "" } });
  const file = path.join(h.config.dataDir, "admin-token");
  const token = (await readFile(file, "utf8")).trim();
  t.match(token, /^gp_/);
  t.equal((await stat(file)).mode & 0o777, 0o600, "mode 0600");
  t.equal((await h.call({ method: "GET", url: "/v1/tokens", token })).statusCode, 200, "it is an admin token");
  const logs = h.logs.join("\n");
  t.ok(logs.includes(file), "the file path is logged");
  t.notOk(logs.includes(token), "the value is not");
});
