import t from "tap";
import * as pulumi from "@pulumi/pulumi";

t.test("pulumi mocks run under ESM", async (t) => {
  const seen: string[] = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => { seen.push(args.type); return { id: args.name + "-id", state: args.inputs }; },
    call: (args) => args.inputs,
  }, "goldenpath", "dev-foundation", false);
  const aws = await import("@pulumi/aws");
  const b = new aws.s3.Bucket("b", { tags: { a: "1" } });
  const id = await new Promise((r) => b.id.apply(r));
  t.equal(id, "b-id");
  t.same(seen, ["aws:s3/bucket:Bucket"]);
});
