/**
 * The engine factory: `simulate` or `pulumi`, as configured (never chosen
 * silently). Adapters are imported lazily: only the configured one is loaded.
 */
import fp from "fastify-plugin";
import type { Config } from "../config.js";
import type { Engine } from "./port.js";

declare module "fastify" {
  interface FastifyInstance {
    engine: Engine;
  }
}

export async function createEngine(config: Config): Promise<Engine> {
  if (config.engine === "simulate") {
    const { SimulateEngine } = await import("./simulate.js");
    return new SimulateEngine({
      dataDir: config.dataDir,
      timeScale: config.simulateTimeScale,
      ...(config.simulatePrograms ? { programModule: config.simulatePrograms } : {}),
    });
  }
  const { PulumiEngine } = await import("./pulumi.js");
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
