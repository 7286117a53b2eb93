import t from "tap";
import { createHmac } from "node:crypto";
import { sign, verify } from "../../../server/notify/signature.js";

t.test("a receiver can verify a signature with the documented recipe", async (t) => {
  const body = JSON.stringify({ event: "drift.detected", environment: "dev" });
  const header = sign("s3cret", body, 1_700_000_000);
  // The documented recipe, written independently of sign():
  const [tPart, vPart] = header.split(",");
  const ts = tPart.slice(2);
  const expected = createHmac("sha256", "s3cret").update(`${ts}.${body}`).digest("hex");
  t.equal(vPart, `v1=${expected}`);
  t.ok(verify("s3cret", body, header, { now: 1_700_000_010 }));
});

t.test("a tampered body, wrong secret, stale or missing header fails", async (t) => {
  const body = '{"a":1}';
  const header = sign("k", body, 1000);
  t.notOk(verify("k", '{"a":2}', header, { now: 1000 }), "tampered body");
  t.notOk(verify("other", body, header, { now: 1000 }), "wrong secret");
  t.notOk(verify("k", body, header, { now: 1000 + 301 }), "stale timestamp");
  t.notOk(verify("k", body, undefined), "missing header");
  t.notOk(verify("k", body, "garbage", { now: 1000 }), "malformed header");
});

t.test("several v1 values are accepted during a secret rotation", async (t) => {
  const body = "{}";
  const a = sign("old", body, 5).split(",")[1];
  const b = sign("new", body, 5).split(",")[1];
  t.ok(verify("new", body, `t=5,${a},${b}`, { now: 5 }));
});
