import t from "tap";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { runUnderMocks, MockRunError, SECRET, type RegisteredResource } from "../../programs/mock-runtime.js";
import { randomResult } from "../../programs/mock-model.js";

class Box extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Box", name, {}, opts);
    this.bucket = new aws.s3.Bucket(`${name}-bucket`, { tags: { a: "1" } }, { parent: this });
    this.registerOutputs({});
  }
}

/** A stand-in layer: a component, explicit and implicit dependencies, an explicit provider, a secret. */
const program = async () => {
  const box = new Box("box");
  const pw = new random.RandomPassword("db-password", { length: 20, special: false });
  const secret = new aws.secretsmanager.Secret("app", { name: "goldenpath/dev/app/db" }, { dependsOn: [box] });
  new aws.secretsmanager.SecretVersion("app-v", {
    secretId: secret.id,
    secretString: pulumi.jsonStringify({ user: "app", password: pw.result }),
  });
  const provider = new k8s.Provider("k8s", { kubeconfig: pulumi.secret("kubeconfig-contents") });
  new k8s.core.v1.Namespace("ns", { metadata: { name: "platform" } }, { provider, dependsOn: [secret] });
  return { secretArn: secret.arn, password: pw.result, bucket: box.bucket.bucket };
};

const byName = (rs: RegisteredResource[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
};

t.test("captures parent, provider, explicit and implicit dependencies, secrets", async (t) => {
  const run = await runUnderMocks(program, { stack: "dev-foundation" });
  const rs = run.resources;
  const box = byName(rs, "box");
  t.equal(box.custom, false, "components are not custom");
  t.equal(box.parent, null, "top-level resources have no parent (the root stack is implied)");
  t.equal(box.urn, "urn:pulumi:dev-foundation::goldenpath::test:index:Box::box", "the root stack is not in the type chain");
  const bucket = byName(rs, "box-bucket");
  t.equal(bucket.parent, box.urn, "child's parent is the component");
  t.match(bucket.urn, /test:index:Box\$aws:s3\/bucket:Bucket::box-bucket$/);
  const secret = byName(rs, "app");
  t.ok(secret.dependsOn.includes(bucket.urn) || secret.dependsOn.includes(box.urn), "explicit dependsOn on a component is recorded");
  const version = byName(rs, "app-v");
  t.ok(version.dependsOn.includes(secret.urn), "implicit dependency through secretId");
  t.ok(version.dependsOn.includes(byName(rs, "db-password").urn), "implicit dependency through a secret output");
  t.equal(version.inputs.secretString, SECRET, "secret inputs are redacted");
  t.same(version.secretInputs, ["secretString"]);
  t.match(version.inputs.secretId as string, /^arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath\/dev\/app\/db-[A-Za-z0-9]{6}$/);
  const provider = byName(rs, "k8s");
  t.equal(provider.type, "pulumi:providers:kubernetes");
  t.equal(provider.inputs.kubeconfig, SECRET);
  const ns = byName(rs, "ns");
  t.equal(ns.provider, provider.urn, "explicit provider is recorded as a URN");
  t.ok(ns.dependsOn.includes(secret.urn));
  t.equal(secret.provider, null, "default provider is null");
  t.same(run.secretOutputs, ["password"]);
  t.equal(run.outputs.password, SECRET);
  const pw = randomResult("db-password", { length: 20, special: false });
  t.equal(run.rawOutputs.password, pw, "raw outputs keep the value");
  t.notOk(JSON.stringify({ r: run.resources, o: run.outputs }).includes(pw), "generated password never appears redacted views");
});

t.test("a second run in the same process starts from a clean graph", async (t) => {
  const run = await runUnderMocks(async () => {
    new aws.s3.Bucket("only", {});
    return {};
  }, { stack: "dev-platform" });
  t.same(run.resources.map((r) => r.name), ["only"]);
  t.match(run.resources[0].urn, /^urn:pulumi:dev-platform::goldenpath::/);
});

t.test("hooks see every custom resource with its graph and may fail a resource", async (t) => {
  const seen: string[] = [];
  const err = await runUnderMocks(program, {
    stack: "dev-foundation",
    hooks: {
      async newResource(r) {
        seen.push(r.type);
        if (r.name === "app") throw new Error("injected: throttled");
        return { id: `${r.name}-id`, state: {} };
      },
    },
  }).catch((e) => e);
  t.type(err, MockRunError);
  t.match(err.message, /injected: throttled/);
  t.match(err.urn, /::app$/);
  t.ok(seen.includes("random:index/randomPassword:RandomPassword"));
  t.notOk(seen.includes("test:index:Box"), "components do not reach the hook");
});

t.test("a ResourceError thrown by a component names its URN", async (t) => {
  class Picky extends pulumi.ComponentResource {
    constructor(name: string) {
      super("test:index:Picky", name, {});
      throw new pulumi.ResourceError("bitnami chart needs a bitnami image", this);
    }
  }
  const err = await runUnderMocks(async () => { new Picky("kc"); return {}; }, { stack: "dev-platform" }).catch((e) => e);
  t.type(err, MockRunError);
  t.match(err.message, /bitnami chart needs a bitnami image/);
  t.match(err.urn, /test:index:Picky::kc$/);
});
