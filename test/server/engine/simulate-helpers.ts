/** Shared setup of the simulate engine tests (not a test file itself). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";
import { EnvironmentSpec, type EnvironmentSpecInput } from "../../../programs/spec.js";
import type { LayerName } from "../../../programs/layers/types.js";
import { SimulateEngine, type SimulateEngineOptions } from "../../../server/engine/simulate.js";
import { EngineError, type EngineEvent, type RunResult } from "../../../server/engine/port.js";

export const TINY_LAYERS = new URL("../../fixtures/engine/tiny-layers.ts", import.meta.url).href;

export function tempDataDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), "goldenpath-sim-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function engine(t: Test, opts: Partial<SimulateEngineOptions> = {}): SimulateEngine {
  const e = new SimulateEngine({ dataDir: tempDataDir(t), timeScale: 0, programModule: TINY_LAYERS, ...opts });
  t.teardown(() => e.close());
  return e;
}

export function spec(input: Partial<EnvironmentSpecInput> = {}, name = "sim"): EnvironmentSpec {
  return EnvironmentSpec.parse({ name, aws: { region: "eu-west-2" }, ...input });
}

type Op = "up" | "preview" | "refresh" | "previewRefresh" | "destroy";

/** Run one operation; collect its events. */
export async function run(
  e: SimulateEngine,
  op: Op,
  s: EnvironmentSpec,
  layer: LayerName = "foundation",
  extra: { inputs?: unknown; refresh?: boolean; signal?: AbortSignal; onEvent?: (ev: EngineEvent) => void } = {},
): Promise<{ result: RunResult; events: EngineEvent[] }> {
  const events: EngineEvent[] = [];
  const result = await e[op](
    { environment: s.name, layer, spec: s, inputs: (extra.inputs ?? {}) as never },
    { onEvent: (ev) => { events.push(ev); extra.onEvent?.(ev); }, signal: extra.signal ?? new AbortController().signal, refresh: extra.refresh },
  );
  return { result, events };
}

/** Run an operation expected to fail; return its EngineError and events. */
export async function runFailing(e: SimulateEngine, op: Op, s: EnvironmentSpec, layer: LayerName = "foundation", extra: Parameters<typeof run>[4] = {}) {
  const events: EngineEvent[] = [];
  try {
    await run(e, op, s, layer, { ...extra, onEvent: (ev) => { events.push(ev); extra.onEvent?.(ev); } });
  } catch (err) {
    if (err instanceof EngineError) return { error: err, events };
    throw err;
  }
  throw new Error(`expected ${op} to fail`);
}

/** Foundation outputs as the runner passes them to the platform layer (raw values). */
export function rawOutputs(result: RunResult): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result.outputs ?? {}).map(([k, o]) => [k, o.value]));
}
