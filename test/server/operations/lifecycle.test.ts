import t from "tap";
import { build, minimalSpec, waitForOperation } from "../../helpers/app.js";

t.test("create → succeeded with outputs", async (t) => {
  const { call } = await build(t);
  const res = await call({ method: "POST", url: "/v1/environments", payload: minimalSpec("dev") });
  t.equal(res.statusCode, 202, res.body);
  const op = res.json();
  t.equal(res.headers.location, `/v1/operations/${op.id}`);
  t.equal(op.engine, "simulate");
  const done = await waitForOperation(call, op.id);
  t.equal(done.status, "succeeded", JSON.stringify(done.error));
  const out = await call({ method: "GET", url: "/v1/environments/dev/outputs" });
  t.equal(out.statusCode, 200);
  console.log(out.body);
});
