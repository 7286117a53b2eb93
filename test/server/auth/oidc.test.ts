/**
 * OIDC bearer JWTs against a local issuer (discovery + JWKS): valid tokens
 * map their role claim onto goldenpath roles; wrong issuer, audience, expiry,
 * signature, algorithm or key id are all 401; no role is 403.
 */
import { createSign, generateKeyPairSync } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import { build } from "../../helpers/app.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

function jwt(claims: Record<string, unknown>, opts: { kid?: string; alg?: string; key?: typeof privateKey } = {}) {
  const head = b64({ alg: opts.alg ?? "RS256", typ: "JWT", kid: opts.kid ?? "k1" });
  const body = b64(claims);
  if (opts.alg === "none") return `${head}.${body}.`;
  const sig = createSign("sha256").update(`${head}.${body}`).sign(opts.key ?? privateKey).toString("base64url");
  return `${head}.${body}.${sig}`;
}

t.test("OIDC tokens", async (t) => {
  let fetches = 0;
  const server = http.createServer((req, res) => {
    fetches++;
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/platform`;
    res.setHeader("content-type", "application/json");
    if (req.url === "/realms/platform/.well-known/openid-configuration") return res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/certs` }));
    if (req.url === "/realms/platform/certs") return res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k1", use: "sig", alg: "RS256" }] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/platform`;
  const h = await build(t, {
    startWorkers: false,
    env: { GOLDENPATH_OIDC_ISSUER: issuer, GOLDENPATH_OIDC_AUDIENCE: "goldenpath", GOLDENPATH_OIDC_ROLE_CLAIM: "realm_access.roles" },
  });
  const now = Math.floor(Date.now() / 1000);
  const good = { iss: issuer, aud: ["goldenpath", "account"], sub: "u-1", preferred_username: "alice", exp: now + 300, iat: now };
  const as = (token: string, method = "GET", url = "/v1/tokens") => h.call({ method, url, token });

  t.equal((await as(jwt({ ...good, realm_access: { roles: ["offline_access", "admin"] } }))).statusCode, 200, "admin from the role claim");
  t.equal((await as(jwt({ ...good, realm_access: { roles: ["viewer", "operator"] } }))).statusCode, 403, "operator is not admin");
  t.equal((await as(jwt({ ...good, realm_access: { roles: ["goldenpath-viewer"] } }), "GET", "/v1/environments")).statusCode, 200, "goldenpath-<role> names work too");
  const noRole = await as(jwt({ ...good, realm_access: { roles: ["offline_access"] } }), "GET", "/v1/environments");
  t.equal(noRole.statusCode, 403, "a valid identity without a goldenpath role");
  const refused: [string, string][] = [
    ["wrong issuer", jwt({ ...good, iss: "http://evil.example.com", realm_access: { roles: ["admin"] } })],
    ["wrong audience", jwt({ ...good, aud: "someone-else", realm_access: { roles: ["admin"] } })],
    ["expired", jwt({ ...good, exp: now - 3600, realm_access: { roles: ["admin"] } })],
    ["not yet valid", jwt({ ...good, nbf: now + 3600, realm_access: { roles: ["admin"] } })],
    ["signed by another key", jwt({ ...good, realm_access: { roles: ["admin"] } }, { key: other.privateKey })],
    ["unknown key id", jwt({ ...good, realm_access: { roles: ["admin"] } }, { kid: "k9" })],
    ["alg none", jwt({ ...good, realm_access: { roles: ["admin"] } }, { alg: "none" })],
    ["HMAC", jwt({ ...good, realm_access: { roles: ["admin"] } }, { alg: "HS256" })],
    ["garbage", "aaa.bbb.ccc"],
  ];
  for (const [what, token] of refused) t.equal((await as(token, "GET", "/v1/environments")).statusCode, 401, what);
  t.ok(fetches <= 4, `discovery and JWKS fetched sparingly (${fetches} requests)`);
  // A mutation by an OIDC identity is audited under its name.
  const op = await as(jwt({ ...good, realm_access: { roles: ["operator"] } }), "POST", "/v1/tokens");
  t.equal(op.statusCode, 403);
  const { rows } = await h.app.db.query("SELECT token_name FROM audit WHERE path = '/v1/tokens' AND method = 'POST'");
  t.same(rows, [{ token_name: "oidc:alice" }]);
});
