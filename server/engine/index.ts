/**
 * The engine factory: `simulate` or `pulumi`, as configured (never chosen
 * silently). Adapters are imported lazily so a host without the Pulumi SDK's
 * heavy dependencies on the hot path still starts with `simulate`, and so a
 * missing adapter module is one clear error instead of a crash at import.
 */
import fp from "fastify-plugin";
import type { Config } from "../config.js";
import { EngineError, type Engine } from "./port.js";

declare module "fastify" {
  interface FastifyInstance {
    engine: Engine;
  }
}

// Specifiers kept in variables: TypeScript must not require the modules to exist
// to type-check this file (they are built in parallel by other work).
const SIMULATE_MODULE = "./simulate.js";
const PULUMI_MODULE = "./pulumi.js";

/** A dynamic import failed because the module file is absent (Node's and the TS loaders' wordings). */
export function isModuleNotFound(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code === "ERR_MODULE_NOT_FOUND" || /Cannot find module/.test(String(e?.message));
}

async function load(specifier: string, exportName: string): Promise<new (opts: any) => Engine> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(new URL(specifier, import.meta.url).href);
  } catch (err) {
    if (isModuleNotFound(err) && String((err as Error).message).includes(specifier.slice(2, -3))) {
      throw new EngineError("ENGINE_UNAVAILABLE", `the ${exportName} adapter (server/engine/${specifier.slice(2, -3)}.ts) is not available in this build`);
    }
    throw err;
  }
  const ctor = mod[exportName];
  if (typeof ctor !== "function") throw new EngineError("ENGINE_UNAVAILABLE", `server/engine/${specifier.slice(2, -3)}.ts does not export ${exportName}`);
  return ctor as new (opts: any) => Engine;
}

export async function createEngine(config: Config): Promise<Engine> {
  if (config.engine === "simulate") {
    const SimulateEngine = await load(SIMULATE_MODULE, "SimulateEngine");
    return new SimulateEngine({
      dataDir: config.dataDir,
      timeScale: config.simulateTimeScale,
      ...(config.simulatePrograms ? { programModule: config.simulatePrograms } : {}),
    });
  }
  const PulumiEngine = await load(PULUMI_MODULE, "PulumiEngine");
  return new PulumiEngine({
    dataDir: config.dataDir,
    backendUrl: config.backendUrl,
    secretsProvider: config.secretsProvider,
    pulumiVersion: config.pulumiVersion,
  });
}

/** The engine as a named service (`app.engine`); tests may pass their own at the port. */
export const enginePlugin = fp(
  async (app, opts: { config: Config; engine?: Engine }) => {
    const engine = opts.engine ?? (await createEngine(opts.config));
    app.decorate("engine", engine);
    app.log.info({ engine: engine.name }, "engine selected");
    app.addHook("onClose", async () => {
      await engine.close();
    });
  },
  { name: "goldenpath-engine" },
);
