import t from "tap";
import { componentMocks } from "../../helpers/component-mocks.js";

const { resources, settle, resolve } = await componentMocks({
  outputs: (type, _name, inputs) =>
    type === "aws:ecr/repository:Repository"
      ? { repositoryUrl: `123456789012.dkr.ecr.eu-west-2.amazonaws.com/${inputs.name}`, arn: `arn:aws:ecr:eu-west-2:123456789012:repository/${inputs.name}` }
      : undefined,
});
const { Registry } = await import("../../../programs/components/registry.js");
const { names } = await import("../../../programs/spec.js");

const n = names({ name: "dev", secretsPrefix: "goldenpath" });

t.test("one immutable, scanned, encrypted repository per app with a lifecycle policy", async (t) => {
  const reg = new Registry("ecr", {
    repositories: { keycloak: n.ecrRepository("keycloak"), backstage: n.ecrRepository("backstage") },
    forceDelete: false,
    tags: { "goldenpath:environment": "dev" },
  });
  t.same(await resolve(reg.repositoryUrls), {
    keycloak: "123456789012.dkr.ecr.eu-west-2.amazonaws.com/dev/keycloak",
    backstage: "123456789012.dkr.ecr.eu-west-2.amazonaws.com/dev/backstage",
  });
  await settle();
  const repos = resources.filter((r) => r.type === "aws:ecr/repository:Repository" && r.name.startsWith("ecr-"));
  t.same(repos.map((r) => r.inputs.name).sort(), ["dev/backstage", "dev/keycloak"]);
  for (const r of repos) {
    t.equal(r.inputs.imageTagMutability, "IMMUTABLE", `${r.name} immutable`);
    t.same(r.inputs.imageScanningConfiguration, { scanOnPush: true }, `${r.name} scans on push`);
    t.same(r.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }], `${r.name} encrypted`);
    t.equal(r.inputs.forceDelete, false, `${r.name} keeps images on destroy`);
    t.equal(r.inputs.tags["goldenpath:environment"], "dev");
  }
  const policies = resources.filter((r) => r.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy" && r.name.startsWith("ecr-"));
  t.same(policies.map((p) => p.inputs.repository).sort(), ["dev/backstage", "dev/keycloak"], "each repository has a lifecycle policy");
  const rules = JSON.parse(policies[0].inputs.policy).rules;
  t.match(rules[0], { rulePriority: 1, selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }, action: { type: "expire" } });
  t.match(rules[1], { rulePriority: 2, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 }, action: { type: "expire" } });
});

t.test("throwaway environments force-delete; a KMS key switches encryption to KMS", async (t) => {
  const reg = new Registry("tmp", {
    repositories: { keycloak: "tmp/keycloak" },
    forceDelete: true,
    kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    untaggedExpiryDays: 3,
    keepLastImages: 5,
  });
  await resolve(reg.repositoryUrls);
  await settle();
  const repo = resources.find((r) => r.type === "aws:ecr/repository:Repository" && r.name === "tmp-keycloak")!;
  t.equal(repo.inputs.forceDelete, true);
  t.same(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }]);
  const rules = JSON.parse(resources.find((r) => r.name === "tmp-keycloak-lifecycle")!.inputs.policy).rules;
  t.equal(rules[0].selection.countNumber, 3);
  t.equal(rules[1].selection.countNumber, 5);
});

t.test("rejects non-positive lifecycle numbers", async (t) => {
  t.throws(() => new Registry("bad", { repositories: { keycloak: "bad/keycloak" }, keepLastImages: 0 }), /positive integers/);
});
