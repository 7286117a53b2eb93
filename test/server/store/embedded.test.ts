import { chmod, readFile, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import t from "tap";
import { startEmbedded } from "../../../server/store/embedded.js";
import { scratchDir } from "../../helpers/db.js";

t.test("the embedded PostgreSQL keeps its data and password across restarts", async (t) => {
  const dir = await scratchDir();
  await chmod(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const opts = { dir: path.join(dir, "pg"), passwordFile: path.join(dir, "pg-password"), unsafeFast: true };
  const first = await startEmbedded(opts);
  const password = (await readFile(opts.passwordFile, "utf8")).trim();
  t.ok(password.length >= 24, "a generated password");
  t.equal((await stat(opts.passwordFile)).mode & 0o777, 0o600);
  let c = new pg.Client({ connectionString: first.url });
  await c.connect();
  await c.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
  await c.end();
  await first.stop();

  const second = await startEmbedded(opts);
  t.teardown(() => second.stop());
  t.match(second.url, /@127\.0\.0\.1:\d+\/postgres$/, "listens on 127.0.0.1 only");
  c = new pg.Client({ connectionString: second.url });
  await c.connect();
  t.teardown(() => c.end());
  t.same((await c.query("SELECT v FROM kept")).rows, [{ v: "still here" }]);
  t.equal((await readFile(opts.passwordFile, "utf8")).trim(), password, "same password");
  const wrong = new pg.Client({ connectionString: second.url.replace(encodeURIComponent(password), "nope") });
  await t.rejects(wrong.connect(), /password authentication failed/);
});
