/**
 * Child-process entry of `planEnvironment`: reads `{spec, layers, layerModules}`
 * as JSON on stdin, plans in this (fresh) process, writes the plan as JSON on
 * stdout. Anything the programs log goes to stderr, so stdout stays one JSON
 * document.
 */
import { validateSpec } from "./spec.js";
import { planInProcess } from "./plan.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const write = process.stdout.write.bind(process.stdout);
// Route stray console output (SDK warnings, programs) away from the JSON channel.
console.log = console.info = (...args: unknown[]) => console.error(...args);

try {
  const req = JSON.parse(await readStdin()) as { spec: unknown; layers?: ("foundation" | "platform")[]; layerModules?: Record<string, string> };
  // Re-validate: the spec crossed a process boundary as JSON (defaults are idempotent).
  const spec = validateSpec(req.spec);
  const plan = await planInProcess(spec, { layers: req.layers, layerModules: req.layerModules });
  write(JSON.stringify(plan) + "\n", () => process.exit(0));
} catch (err) {
  process.stderr.write(`plan failed: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
}
