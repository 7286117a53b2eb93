/**
 * The first admin token. `GOLDENPATH_ADMIN_TOKEN` when set; otherwise one is
 * generated on first start and written to `<data dir>/admin-token` (mode
 * 0600). The value is never logged: callers log the file path only.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Queryable } from "../store/db.js";
import { insertToken, tokenHashExists } from "../store/tokens.js";
import { generateToken, hashToken } from "./tokens.js";

export const BOOTSTRAP_TOKEN_NAME = "bootstrap-admin";

export interface BootstrapResult {
  /** Where the generated token is, when it came from a file. */
  file?: string;
  /** Whether this start created the token row. */
  created: boolean;
}

export async function ensureAdminToken(db: Queryable, dataDir: string, configured?: string): Promise<BootstrapResult> {
  let value = configured;
  let file: string | undefined;
  if (!value) {
    file = path.join(dataDir, "admin-token");
    if (existsSync(file)) {
      value = (await readFile(file, "utf8")).trim();
    } else {
      value = generateToken();
      await mkdir(dataDir, { recursive: true });
      await writeFile(file, value + "\n", { mode: 0o600, flag: "wx" }).catch(async (err: NodeJS.ErrnoException) => {
        // Another process wrote it first: use theirs.
        if (err.code !== "EEXIST") throw err;
        value = (await readFile(file!, "utf8")).trim();
      });
      await chmod(file, 0o600);
    }
  }
  const hash = hashToken(value!);
  // A revoked bootstrap token stays revoked: only a hash never seen is inserted.
  if (await tokenHashExists(db, hash)) return { file, created: false };
  const name = configured ? "admin" : BOOTSTRAP_TOKEN_NAME;
  // The configured value changed (or the file was replaced): the old one stops working.
  await db.query("UPDATE tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", [name]);
  const created = await insertToken(db, name, "admin", hash);
  return { file, created: created !== undefined };
}
