/** Whether the real Pulumi CLI is on PATH (tests that need it skip with this reason otherwise). */
import { spawnSync } from "node:child_process";

const probe = spawnSync("pulumi", ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
export const hasPulumiCli = probe.status === 0;
export const pulumiVersion = hasPulumiCli ? probe.stdout.trim() : undefined;
export const NO_CLI_REASON =
  "pulumi CLI not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) to run the real-engine tests";
