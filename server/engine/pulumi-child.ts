/**
 * Child-process entry of the pulumi engine (run through `child-process.ts`):
 * one operation per process, so a crashing or leaking run — the CLI, the
 * inline program's language server, hundreds of MB of SDK — cannot take the
 * API down (DESIGN §6). The work itself is `runPulumiOperation` in
 * `pulumi.ts`, the one module allowed to import the Automation API.
 */
import { serveChild } from "./child-process.js";
import type { EngineEvent } from "./port.js";
import { runPulumiOperation, type PulumiRequest } from "./pulumi.js";

serveChild<PulumiRequest, unknown, EngineEvent>(runPulumiOperation);
