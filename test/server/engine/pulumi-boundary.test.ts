import t from "tap";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const self = path.relative(root, fileURLToPath(import.meta.url));
const ALLOWED = "server/engine/pulumi.ts";

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

// Every way a module can reach the Automation API.
const PATTERNS = [
  /import\s*(type\s*)?\{[^}]*\bautomation\b[^}]*\}\s*from\s*["']@pulumi\/pulumi["']/,
  /["']@pulumi\/pulumi\/automation(\/[^"']*)?["']/,
  /\bpulumi\s*\.\s*automation\b/,
  /import\(\s*["']@pulumi\/pulumi["']\s*\)[\s\S]{0,80}\bautomation\b/,
];

t.test(`no file but ${ALLOWED} imports the Automation API`, async (t) => {
  const dirs = ["server", "programs", "cli", "test", "bench"].map((d) => path.join(root, d)).filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
  const files = dirs.flatMap(tsFiles).map((f) => path.relative(root, f));
  t.ok(files.length > 10, `scanned ${files.length} files`);
  const offenders = files.filter((f) => f !== ALLOWED && f !== self && PATTERNS.some((re) => re.test(readFileSync(path.join(root, f), "utf8"))));
  t.same(offenders, [], "only the adapter imports it");
  t.ok(PATTERNS[0].test(readFileSync(path.join(root, ALLOWED), "utf8")), "the adapter does (the check would catch it)");
});
