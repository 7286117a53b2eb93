import t from "tap";
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { EnvironmentSpec } from "../../../programs/spec.js";
import type { PlatformInputs } from "../../../programs/layers/types.js";
import { engine, rawOutputs, run } from "./simulate-helpers.js";

// Each operation is a child process loading the Pulumi SDK: slow on a busy machine.
t.setTimeout(900_000);

const devYaml = new URL("../../../stacks/dev.yaml", import.meta.url);

t.test("the real layers of stacks/dev.yaml: up, a stable second up, drift of the RDS instance and an ExternalSecret, converged by up with refresh", async (t) => {
  const e = engine(t, { programModule: undefined });
  const s = EnvironmentSpec.parse(YAML.parse(readFileSync(devYaml, "utf8")));

  const foundation = await run(e, "up", s);
  t.ok(foundation.result.summary.create > 20, `foundation created ${foundation.result.summary.create} resources`);
  t.equal(foundation.result.outputs?.kubeconfig.secret, true, "kubeconfig output is secret");
  const raw = rawOutputs(foundation.result) as unknown as PlatformInputs["foundation"];
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const inputs: PlatformInputs = {
    foundation: raw,
    images: {
      keycloak: { repository: raw.ecrRepositoryUrls.keycloak, digest: digest("a") },
      backstage: { repository: raw.ecrRepositoryUrls.backstage, digest: digest("b") },
    },
    databaseReachable: false,
  };
  const platform = await run(e, "up", s, "platform", { inputs });
  t.ok(platform.result.summary.create > 10, `platform created ${platform.result.summary.create} resources`);
  t.notMatch(JSON.stringify([foundation.events, platform.events]), String(raw.kubeconfig), "the kubeconfig never appears in events");

  const again = await run(e, "up", s);
  t.same(again.result.changes, [], "a second up of the real foundation changes nothing");

  const cloud = e.listCloud(s.name)!;
  const db = cloud.find((r) => r.type === "aws:rds/instance:Instance")!;
  const es = cloud.find((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret")!;
  e.changeOutOfBand(s.name, { resource: db.urn, set: { publiclyAccessible: true } });
  e.changeOutOfBand(s.name, { resource: es.urn, delete: true });
  const fDrift = await run(e, "previewRefresh", s);
  t.same(fDrift.result.changes, [{ urn: db.urn, type: db.type, change: "update", properties: ["publiclyAccessible"] }]);
  const pDrift = await run(e, "previewRefresh", s, "platform", { inputs });
  t.same(pDrift.result.changes, [{ urn: es.urn, type: es.type, change: "delete", properties: [] }]);

  const fFix = await run(e, "up", s, "foundation", { refresh: true });
  t.same(fFix.result.changes.map((c) => [c.urn, c.change, c.properties]), [[db.urn, "update", ["publiclyAccessible"]]]);
  const pFix = await run(e, "up", s, "platform", { inputs, refresh: true });
  t.same(pFix.result.changes.map((c) => [c.urn, c.change]), [[es.urn, "create"]]);
  t.same(e.listCloud(s.name)!.filter((r) => r.status !== "in_sync"), [], "back in sync");
});
