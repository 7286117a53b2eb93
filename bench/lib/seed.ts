/**
 * Seed many environments without running many operations: deploy one
 * template environment for real (an `up` of `stacks/dev.yaml` under the
 * simulate engine), capture its store rows and its simulated cloud, then
 * clone both under new names straight into another server's database (SQL)
 * and data dir (the simulate engine's per-stack JSON files). A clone looks to
 * the service exactly like an environment whose `up` succeeded.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ROOT, startServer, waitOperation } from "./server.js";
import { withClient } from "./postgres.js";
import type { BenchPostgres } from "./postgres.js";
import { progress } from "./report.js";

/** The name the template is deployed under; replaced by each clone's name everywhere. */
export const TEMPLATE_NAME = "tplenv";

/** A deployed environment, captured. */
export interface Template {
  spec: Record<string, unknown>;
  /** Output rows (layer, key, value JSON text, secret). */
  outputs: { layer: string; key: string; value: string; secret: boolean }[];
  /** `<layer>.json` → file text of the simulated cloud. */
  cloud: Record<string, string>;
  /** Seconds the template's `up` took at time scale 0 (engine work only, no modelled waits). */
  upSeconds: number;
}

export function devSpec(name: string): Record<string, unknown> {
  const spec = YAML.parse(readFileSync(path.join(ROOT, "stacks/dev.yaml"), "utf8")) as Record<string, unknown>;
  return { ...spec, name };
}

/** Deploy the template once on its own server (time scale 0) and capture it. */
export async function buildTemplate(pg: BenchPostgres): Promise<Template> {
  // Development convenience: BENCH_TEMPLATE_CACHE=<file> reuses a captured template across standalone runs.
  const cache = process.env.BENCH_TEMPLATE_CACHE;
  if (cache && existsSync(cache)) return JSON.parse(readFileSync(cache, "utf8")) as Template;
  const t = await deployTemplate(pg);
  if (cache) writeFileSync(cache, JSON.stringify(t));
  return t;
}

async function deployTemplate(pg: BenchPostgres): Promise<Template> {
  progress("template: deploying stacks/dev.yaml once (simulate, time scale 0) to clone from");
  const url = await pg.database("template");
  const server = await startServer({ env: { DATABASE_URL: url, GOLDENPATH_SIMULATE_TIME_SCALE: "0" } });
  try {
    const t0 = performance.now();
    const r = await server.request("POST", "/v1/environments", server.adminToken, devSpec(TEMPLATE_NAME));
    if (r.status !== 202) throw new Error(`POST /v1/environments answered ${r.status}`);
    const op = await waitOperation(server, server.adminToken, r.json.id, 180_000);
    if (op.status !== "succeeded") throw new Error(`template up ${op.status}: ${JSON.stringify(op.error)}`);
    const upSeconds = (performance.now() - t0) / 1000;
    const outputs = await withClient(url, async (c) =>
      (await c.query("SELECT layer, key, value::text AS value, secret FROM outputs WHERE environment = $1", [TEMPLATE_NAME])).rows,
    );
    const dir = path.join(server.dataDir, "simulate", TEMPLATE_NAME);
    const cloud: Record<string, string> = {};
    for (const f of readdirSync(dir)) if (/^(foundation|platform)\.json$/.test(f)) cloud[f] = readFileSync(path.join(dir, f), "utf8");
    return { spec: devSpec(TEMPLATE_NAME), outputs, cloud, upSeconds };
  } finally {
    await server.stop();
  }
}

export function envName(i: number): string {
  return `env${String(i).padStart(4, "0")}`;
}

const rename = (text: string, name: string) => text.split(TEMPLATE_NAME).join(name);

/**
 * Clone the template as `names` into a server's database and (optionally)
 * its data dir, in batches of one multi-row INSERT.
 */
export async function seedEnvironments(dbUrl: string, template: Template, names: string[], dataDir?: string): Promise<void> {
  await withClient(dbUrl, async (c) => {
    await c.query("BEGIN");
    for (let i = 0; i < names.length; i += 200) {
      const batch = names.slice(i, i + 200);
      const envRows: unknown[] = [];
      const envValues = batch.map((n, j) => {
        envRows.push(n, rename(JSON.stringify(template.spec), n));
        return `($${2 * j + 1}, $${2 * j + 2}::jsonb, 'ready', 'simulate')`;
      });
      await c.query(`INSERT INTO environments (name, spec, status, engine) VALUES ${envValues.join(", ")}`, envRows);
      const outRows: unknown[] = [];
      const outValues: string[] = [];
      for (const n of batch) {
        for (const o of template.outputs) {
          const k = outRows.length;
          outRows.push(n, o.layer, o.key, rename(o.value, n), o.secret);
          outValues.push(`($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}::jsonb, $${k + 5}, '00000000-0000-4000-8000-000000000000')`);
        }
      }
      if (outValues.length) await c.query(`INSERT INTO outputs (environment, layer, key, value, secret, operation_id) VALUES ${outValues.join(", ")}`, outRows);
    }
    await c.query("COMMIT");
  });
  if (dataDir) {
    for (const n of names) {
      const dir = path.join(dataDir, "simulate", n);
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
      for (const [file, text] of Object.entries(template.cloud)) writeFileSync(path.join(dir, file), rename(text, n));
    }
  }
}
