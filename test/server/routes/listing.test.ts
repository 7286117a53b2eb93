/**
 * Listings: environments by name and operation history newest first, both
 * paginated with opaque cursors; drift status from the latest drift result.
 */
import t from "tap";
import { build, minimalSpec } from "../../helpers/app.js";

t.test("pagination and drift status", async (t) => {
  const h = await build(t, { startWorkers: false });
  for (const name of ["c-env", "a-env", "b-env"]) {
    t.equal((await h.call({ method: "POST", url: "/v1/environments", payload: minimalSpec(name) })).statusCode, 202);
  }
  const names: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await h.call({ method: "GET", url: `/v1/environments?limit=2${cursor ? `&cursor=${cursor}` : ""}` });
    t.equal(res.statusCode, 200);
    const body = res.json();
    t.equal(body.engine, "simulate");
    t.ok(body.items.length <= 2);
    names.push(...body.items.map((e: { name: string }) => e.name));
    cursor = body.nextCursor;
    pages++;
  } while (cursor && pages < 5);
  t.same(names, ["a-env", "b-env", "c-env"], "every environment once, by name");
  t.equal(pages, 2);

  const kinds = ["preview", "refresh", "preview", "refresh"];
  for (const kind of kinds) await h.call({ method: "POST", url: "/v1/environments/a-env/operations", payload: { kind } });
  const seen: string[] = [];
  cursor = null;
  do {
    const body: { items: { kind: string }[]; nextCursor: string | null } = (
      await h.call({ method: "GET", url: `/v1/environments/a-env/operations?limit=2${cursor ? `&cursor=${cursor}` : ""}` })
    ).json();
    seen.push(...body.items.map((o) => o.kind));
    cursor = body.nextCursor;
  } while (cursor);
  t.same(seen, [...kinds].reverse().concat("up"), "newest first, across pages");

  const first = (await h.call({ method: "GET", url: "/v1/environments?limit=1" })).json().items[0];
  t.same(first.drift, { status: "unknown", checkedAt: null }, "no drift check yet");
  t.equal(first.lastOperation.kind, "refresh", "the last operation queued");
  t.equal(first.region, "eu-west-2");
  await h.app.db.query("INSERT INTO drift_results (environment, status, checked_at) VALUES ('a-env', 'in_sync', now() - interval '1 hour'), ('a-env', 'drifted', now())");
  const detail = (await h.call({ method: "GET", url: "/v1/environments/a-env" })).json();
  t.equal(detail.drift.status, "drifted", "the latest drift result");
  t.equal(detail.spec.name, "a-env");
  t.equal(detail.spec.cluster.version, "1.33", "the stored spec has its defaults filled in");
});
