import t from "tap";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PulumiEngine, requiredPlugins, PLUGIN_PACKAGES } from "../../../server/engine/pulumi.js";
import { EngineError } from "../../../server/engine/port.js";
import { ensurePassphrase, readPassphrase } from "../../../server/engine/passphrase.js";
import { hasPulumiCli } from "./pulumi-cli-helper.js";

const tmp = () => mkdtempSync(path.join(tmpdir(), "gp-pulumi-"));

t.test("plugin versions come from the installed @pulumi/* packages", async (t) => {
  const plugins = requiredPlugins();
  t.same(plugins.map((p) => p.name), [...PLUGIN_PACKAGES]);
  for (const p of plugins) t.match(p.version, /^\d+\.\d+\.\d+/);
});

t.test("passphrase: generated once, 0600, stable across reads", async (t) => {
  const dir = tmp();
  const a = await ensurePassphrase(dir);
  const b = await ensurePassphrase(dir);
  t.equal(a, b);
  t.ok(a.length >= 32);
  t.equal(statSync(path.join(dir, "passphrase")).mode & 0o777, 0o600);
  t.equal(await readPassphrase(dir), a);
  const all = await Promise.all([1, 2, 3].map(() => ensurePassphrase(path.join(dir, "concurrent"))));
  t.equal(new Set(all).size, 1, "concurrent first starts agree on one passphrase");
});

t.test("without the CLI, ensureReady fails fast with ENGINE_UNAVAILABLE naming the CLI and the fix", { skip: hasPulumiCli ? "pulumi CLI is on PATH here" : false }, async (t) => {
  const dir = tmp();
  const engine = new PulumiEngine({ dataDir: dir, backendUrl: `file://${dir}/state`, secretsProvider: "passphrase" });
  const started = Date.now();
  const err = await engine.ensureReady().catch((e) => e);
  t.ok(err instanceof EngineError);
  t.equal(err.code, "ENGINE_UNAVAILABLE");
  t.match(err.message, /^Pulumi CLI not found on PATH/);
  t.match(err.fix, "https://www.pulumi.com/docs/iac/download-install/");
  t.ok(Date.now() - started < 10_000, "fast");
  // Remembered: a burst of requests does not spawn a burst of CLIs.
  const again = Date.now();
  const err2 = await engine.ensureReady().catch((e) => e);
  t.equal(err2.code, "ENGINE_UNAVAILABLE");
  t.ok(Date.now() - again < 50, "second answer from memory");
  t.throws(() => statSync(path.join(dir, "passphrase")), "nothing generated before the CLI is found");
});

t.test("without the CLI, operations refuse with ENGINE_UNAVAILABLE before spawning anything", { skip: hasPulumiCli ? "pulumi CLI is on PATH here" : false }, async (t) => {
  const dir = tmp();
  const engine = new PulumiEngine({ dataDir: dir, backendUrl: `file://${dir}/state`, secretsProvider: "passphrase" });
  const events: unknown[] = [];
  const err = await engine
    .up({ environment: "dev", layer: "foundation", spec: { name: "dev", aws: { region: "eu-west-2" } } as never, inputs: {} }, { onEvent: (e) => events.push(e), signal: new AbortController().signal })
    .catch((e) => e);
  t.equal(err.code, "ENGINE_UNAVAILABLE");
  t.same(events, []);
  t.equal((await engine.outputs({ environment: "dev", layer: "foundation" }).catch((e) => e)).code, "ENGINE_UNAVAILABLE");
});
