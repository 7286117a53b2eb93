import { readdirSync } from "node:fs";
import pg from "pg";
import t from "tap";
import { createPool, migrate, MigrationError } from "../../../server/store/db.js";
import { testDatabase } from "../../helpers/db.js";

const ALL = readdirSync(new URL("../../../server/store/migrations/", import.meta.url)).filter((f) => f.endsWith(".sql")).sort();

t.test("two processes migrating at once: applied once, both succeed", async (t) => {
  const url = await testDatabase();
  const pools = [createPool(url), createPool(url)];
  t.teardown(() => Promise.all(pools.map((p) => p.end())));
  const [a, b] = await Promise.all(pools.map((p) => migrate(p)));
  t.ok(ALL.includes("001_init.sql"));
  t.same([...a, ...b].sort(), ALL, "each applied once, in one of the two processes");
  t.ok(a.length === 0 || b.length === 0, "one process applied them all, the other found them done");
  t.same(await migrate(pools[0]), [], "idempotent");
  const tables = await pools[0].query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
  const names = tables.rows.map((r) => r.table_name);
  for (const table of ["audit", "drift_results", "environments", "idempotency_keys", "operation_events", "operations", "outputs", "schema_migrations", "tokens"]) {
    t.ok(names.includes(table), `table ${table}`);
  }
});

t.test("a failing migration fails loudly and applies nothing", async (t) => {
  const url = await testDatabase();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  t.teardown(() => c.end());
  await c.query("CREATE TABLE environments (x int)");
  const pool = createPool(url);
  t.teardown(() => pool.end());
  await t.rejects(migrate(pool), MigrationError);
  await t.rejects(migrate(pool), /migration 001_init.sql failed/);
  const r = await c.query("SELECT to_regclass('public.operations') AS ops, to_regclass('public.schema_migrations') AS sm");
  t.same(r.rows[0], { ops: null, sm: null }, "rolled back as one transaction");
});
