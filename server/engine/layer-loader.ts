/**
 * Loads a layer's program factory for an engine child: the real layer
 * (`programs/layers/<layer>.ts`) or, when a program module is configured
 * (GOLDENPATH_SIMULATE_PROGRAMS, tests), that module's `<layer>Layer` export.
 * Loaded on demand, so operations that run no program never load the SDK.
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { LayerFactory, LayerName } from "../../programs/layers/types.js";
import { EngineError } from "./port.js";

/** The module a layer's program comes from, as `import()` takes it (a file path or URL). */
export function layerModuleUrl(layer: LayerName, programModule?: string): string {
  if (programModule) return isAbsolute(programModule) ? pathToFileURL(programModule).href : programModule;
  return new URL(`../../programs/layers/${layer}.js`, import.meta.url).href;
}

export async function loadLayerFactory(layer: LayerName, programModule?: string): Promise<LayerFactory<LayerName>> {
  const mod = layerModuleUrl(layer, programModule);
  const exported = (await import(mod))[`${layer}Layer`];
  if (typeof exported !== "function") throw new EngineError("INTERNAL", `${mod} does not export ${layer}Layer`);
  return exported as LayerFactory<LayerName>;
}
