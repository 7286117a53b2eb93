#!/usr/bin/env node
// The `goldenpath` bin: runs the TypeScript CLI through tsx, so the package
// ships no build step (Node 20 cannot load .ts on its own).
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
