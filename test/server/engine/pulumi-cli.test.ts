/**
 * The real thing: the pulumi engine against the installed CLI, a local
 * file:// backend and a program using only @pulumi/random. Skipped, with the
 * reason printed, where `pulumi` is not on PATH (the project's build machines).
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PulumiEngine } from "../../../server/engine/pulumi.js";
import type { EngineEvent, StackRequest } from "../../../server/engine/port.js";
import { hasPulumiCli, NO_CLI_REASON } from "./pulumi-cli-helper.js";

const skip = hasPulumiCli ? false : NO_CLI_REASON;
if (skip) t.comment(`skipping real-CLI tests: ${skip}`);
const programModule = new URL("../../fixtures/engine-events/random-program.ts", import.meta.url).href;

function setup() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "gp-pulumi-cli-"));
  const backendUrl = `file://${dataDir}/state`;
  const engine = new PulumiEngine({ dataDir, backendUrl, secretsProvider: "passphrase", programModule, plugins: ["random"], cancelGraceSeconds: 30, lockRetries: 1, lockBaseDelayMs: 200 });
  return { dataDir, backendUrl, engine };
}

const request = (name: string): StackRequest => ({ environment: name, layer: "foundation", spec: { name, aws: { region: "eu-west-2" } } as never, inputs: {} });

/** The plain CLI on the same stacks, as docs/running-against-aws.md tells users to do. */
function plainCli(dataDir: string, args: string[]) {
  return spawnSync("pulumi", [...args, "--non-interactive"], {
    cwd: path.join(dataDir, "workspaces", `${args.includes("--stack") ? args[args.indexOf("--stack") + 1] : ""}`),
    encoding: "utf8",
    env: { ...process.env, PULUMI_CONFIG_PASSPHRASE_FILE: path.join(dataDir, "passphrase"), PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
}

t.test("up, outputs, preview, destroy on a local backend", { skip, timeout: 300_000 }, async (t) => {
  const { engine, dataDir } = setup();
  await engine.ensureReady();
  const events: EngineEvent[] = [];
  const up = await engine.up(request("gpt"), { onEvent: (e) => events.push(e), signal: new AbortController().signal });
  t.ok(up.summary.create >= 3, "stack + pet + password (the default provider may count too)");
  t.same(up.changes.map((c) => c.type).sort(), ["random:index/randomPassword:RandomPassword", "random:index/randomPet:RandomPet"]);
  t.equal(up.outputs?.password.secret, true);
  t.type(up.outputs?.password.value, "string");
  t.equal(up.outputs?.petName.secret, false);
  t.ok(events.some((e) => e.kind === "resource-pre" && e.type === "random:index/randomPet:RandomPet"));
  t.ok(events.some((e) => e.kind === "summary"));
  t.notOk(JSON.stringify(events).includes(String(up.outputs?.password.value)), "the secret never rides an event");

  const outputs = await engine.outputs({ environment: "gpt", layer: "foundation" });
  t.same(outputs, up.outputs);

  const preview = await engine.preview(request("gpt"), { onEvent: () => {}, signal: new AbortController().signal });
  t.same(preview.changes, [], "no pending changes after up");

  const drift = await engine.previewRefresh(request("gpt"), { onEvent: () => {}, signal: new AbortController().signal });
  t.same(drift.changes, [], "random resources do not drift");

  // The same stack opens with the plain CLI (passphrase file, same backend).
  const plain = plainCli(dataDir, ["stack", "output", "petName", "--stack", "gpt-foundation"]);
  t.equal(plain.stdout.trim(), up.outputs?.petName.value, plain.stderr);

  const destroyed = await engine.destroy(request("gpt"), { onEvent: () => {}, signal: new AbortController().signal });
  t.ok(destroyed.summary.delete >= 3);
  t.same(await engine.outputs({ environment: "gpt", layer: "foundation" }), {});
});

t.test("outputs of a stack that does not exist are empty", { skip }, async (t) => {
  const { engine } = setup();
  t.same(await engine.outputs({ environment: "nothing", layer: "foundation" }), {});
});

t.test("cancel: aborting a running up ends it as CANCELLED and leaves the stack usable", { skip, timeout: 300_000 }, async (t) => {
  const { engine } = setup();
  await engine.ensureReady();
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 5_000);
  const err = await engine.up(request("slowc"), { onEvent: () => {}, signal: ac.signal }).catch((e) => e);
  t.equal(err.code, "CANCELLED", err.detail);
  const report = await engine.recover({ environment: "slowc", layer: "foundation" });
  t.type(report.lockReleased, "boolean");
});

t.test("recovery of a killed update: pending operations are dropped and named, the next up runs", { skip, timeout: 300_000 }, async (t) => {
  const { engine, dataDir } = setup();
  await engine.ensureReady();
  await engine.up(request("rec"), { onEvent: () => {}, signal: new AbortController().signal });
  // What a killed run leaves: a pending operation in the state (written as the plain CLI would see it).
  const exported = plainCli(dataDir, ["stack", "export", "--stack", "rec-foundation"]);
  t.equal(exported.status, 0, exported.stderr);
  const state = JSON.parse(exported.stdout);
  const pet = state.deployment.resources.find((r: { type: string }) => r.type === "random:index/randomPet:RandomPet");
  state.deployment.pending_operations = [{ resource: pet, type: "updating" }];
  const file = path.join(dataDir, "edited.json");
  writeFileSync(file, JSON.stringify(state));
  const imported = plainCli(dataDir, ["stack", "import", "--file", file, "--stack", "rec-foundation"]);
  t.equal(imported.status, 0, imported.stderr);

  const blocked = await engine.up(request("rec"), { onEvent: () => {}, signal: new AbortController().signal }).catch((e) => e);
  t.equal(blocked.code, "PENDING_OPERATIONS", blocked.detail);

  const report = await engine.recover({ environment: "rec", layer: "foundation" });
  t.same(report.clearedPendingOperations, [pet.urn]);
  t.ok(readdirSync(path.join(dataDir, "recovery")).some((f) => f.endsWith(".orig")), "the state before the repair is kept");
  const up = await engine.up(request("rec"), { onEvent: () => {}, signal: new AbortController().signal });
  t.ok(up.summary.same >= 2, "the next up runs");
  await engine.destroy(request("rec"), { onEvent: () => {}, signal: new AbortController().signal });
});

t.test("resolved paths", async (t) => {
  t.ok(fileURLToPath(programModule).endsWith("random-program.ts"), "the test program exists where the engine will load it");
  t.ok(readFileSync(fileURLToPath(programModule), "utf8").includes("foundationLayer"));
});
