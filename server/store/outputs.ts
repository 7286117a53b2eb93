/** Stack outputs as of the last successful operation, per environment and layer. */
import type { LayerName } from "../../programs/layers/types.js";
import type { StackOutputs } from "../engine/port.js";
import type { Queryable } from "./db.js";

/** Replace a layer's outputs (inside the operation's final transaction). */
export async function replaceOutputs(db: Queryable, environment: string, layer: LayerName, outputs: StackOutputs, operationId: string): Promise<void> {
  await db.query("DELETE FROM outputs WHERE environment = $1 AND layer = $2", [environment, layer]);
  for (const [key, o] of Object.entries(outputs)) {
    await db.query(
      "INSERT INTO outputs (environment, layer, key, value, secret, operation_id) VALUES ($1, $2, $3, $4, $5, $6)",
      [environment, layer, key, JSON.stringify(o.value ?? null), o.secret, operationId],
    );
  }
}

export async function deleteOutputs(db: Queryable, environment: string, layer?: LayerName): Promise<void> {
  await db.query("DELETE FROM outputs WHERE environment = $1 AND ($2::text IS NULL OR layer = $2)", [environment, layer ?? null]);
}

/** Outputs per layer, secrets still in the clear: callers mask them. */
export async function getOutputs(db: Queryable, environment: string): Promise<{ layers: Record<string, StackOutputs>; updatedAt: Date | null; operationId: string | null }> {
  const r = await db.query("SELECT layer, key, value, secret, updated_at, operation_id FROM outputs WHERE environment = $1 ORDER BY layer, key", [environment]);
  const layers: Record<string, StackOutputs> = {};
  let updatedAt: Date | null = null;
  let operationId: string | null = null;
  for (const row of r.rows) {
    (layers[row.layer] ??= {})[row.key] = { value: row.value, secret: row.secret };
    if (!updatedAt || row.updated_at > updatedAt) {
      updatedAt = row.updated_at;
      operationId = row.operation_id;
    }
  }
  return { layers, updatedAt, operationId };
}
