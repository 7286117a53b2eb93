/**
 * Entry point for the plain `pulumi` CLI (`Pulumi.yaml` → `main`). The
 * service runs the same layers as inline programs through the Automation
 * API; this file lets an operator inspect or repair a stack by hand against
 * the same backend. It is the only program code that reads `pulumi.Config`:
 * it is the CLI's entry, and it turns stack config into the layer inputs the
 * service would pass.
 *
 * The stack name picks the environment and the layer: `<env>-<layer>`; the
 * spec is read from `stacks/<env>.yaml` and validated like an API body.
 * The platform layer reads the foundation's outputs through a
 * StackReference to `<org>/<project>/<env>-foundation` and the mirrored image
 * digests from the `goldenpath:images` config (JSON `{app: {repository,
 * digest}}`) that goldenpath sets after its mirror step.
 *
 * How an operator runs it (Pulumi CLI, AWS CLI and credentials on PATH):
 *
 *   npm ci
 *   pulumi login file://$PWD/.goldenpath/state      # or s3://bucket, the service's backend
 *   export PULUMI_CONFIG_PASSPHRASE_FILE=.goldenpath/passphrase   # or awskms:// secrets
 *   pulumi stack select dev-foundation               # created by the service (or: pulumi stack init dev-foundation)
 *   pulumi config set aws:region eu-west-2
 *   pulumi preview -s dev-foundation
 *   # platform: needs the foundation applied and the images mirrored
 *   pulumi config set --path 'goldenpath:images' '{"keycloak":{"repository":"…/dev/keycloak","digest":"sha256:…"},"backstage":{…}}' -s dev-platform
 *   pulumi preview -s dev-platform
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parseSpec } from "./spec.js";
import { LAYERS, type FoundationOutputs, type LayerName, type MirroredImage, type PlatformInputs } from "./layers/types.js";

const stack = pulumi.getStack();
const match = /^(.+)-(foundation|platform)$/.exec(stack);
if (!match) throw new Error(`stack ${stack} is not named <env>-<layer> (layers: ${LAYERS.join(", ")})`);
const [, environment, layer] = match as unknown as [string, string, LayerName];

const specFile = new URL(`../stacks/${environment}.yaml`, import.meta.url);
const spec = parseSpec(readFileSync(specFile, "utf8"));
if (spec.name !== environment) throw new Error(`stacks/${environment}.yaml names environment ${spec.name}, not ${environment}`);

/** Resolve every foundation output through the StackReference (secrets stay secret). */
async function foundationOutputs(): Promise<FoundationOutputs> {
  const org = pulumi.getOrganization();
  const ref = new pulumi.StackReference(`${org}/${pulumi.getProject()}/${environment}-foundation`);
  const keys: (keyof FoundationOutputs)[] = [
    "region", "accountId", "vpcId", "privateSubnetIds", "publicSubnetIds", "clusterName", "clusterEndpoint", "kubeconfig",
    "oidcProviderArn", "oidcProviderUrl", "clusterSecurityGroupId", "ecrRegistry", "ecrRepositoryUrls", "dbAddress", "dbPort",
    "dbInstanceIdentifier", "dbMasterSecretArn", "dbMasterUsername", "appSecretNames", "appSecretArns",
    "externalSecretsRoleArn", "loadBalancerControllerRoleArn",
  ];
  const entries = await Promise.all(keys.map(async (k) => [k, (await ref.getOutputDetails(k)).value ?? (await ref.getOutputDetails(k)).secretValue] as const));
  const missing = entries.filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length) throw new Error(`${environment}-foundation has no output(s) ${missing.join(", ")}: run \`pulumi up -s ${environment}-foundation\` first`);
  return Object.fromEntries(entries) as unknown as FoundationOutputs;
}

async function program(): Promise<Record<string, unknown>> {
  if (layer === "foundation") {
    const { foundationLayer } = (await import(new URL("./layers/foundation.js", import.meta.url).href)) as {
      foundationLayer: (s: typeof spec, i: object) => () => Promise<Record<string, unknown>>;
    };
    return foundationLayer(spec, {})();
  }
  const config = new pulumi.Config("goldenpath");
  const images = config.requireObject<Partial<Record<string, MirroredImage>>>("images");
  const inputs: PlatformInputs = { foundation: await foundationOutputs(), images, databaseReachable: config.getBoolean("databaseReachable") };
  const { platformLayer } = (await import(new URL("./layers/platform.js", import.meta.url).href)) as {
    platformLayer: (s: typeof spec, i: PlatformInputs) => () => Promise<Record<string, unknown>>;
  };
  return platformLayer(spec, inputs)();
}

// The nodejs language host exports the module's default export (a promise of the outputs) as stack outputs.
export default program();
