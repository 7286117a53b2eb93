/**
 * The passphrase of the default secrets provider: generated on first start
 * into `<data dir>/passphrase` (mode 0600) and read from there after, so the
 * same stacks open with the plain CLI via
 * `PULUMI_CONFIG_PASSPHRASE_FILE=<data dir>/passphrase`. It is never logged:
 * callers get the value only to hand it to the engine and to the redactor.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

export const PASSPHRASE_FILE = "passphrase";

export function passphrasePath(dataDir: string): string {
  return path.join(dataDir, PASSPHRASE_FILE);
}

/**
 * Read the passphrase, creating it first when absent. Creation uses `wx`
 * so two processes starting together cannot overwrite each other's.
 */
export async function ensurePassphrase(dataDir: string): Promise<string> {
  const file = passphrasePath(dataDir);
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 32 random bytes: far beyond what a passphrase needs, and printable.
    await fs.writeFile(file, randomBytes(32).toString("base64url") + "\n", { flag: "wx", mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return readPassphrase(dataDir);
}

/** Read an existing passphrase; refuses a file others can read. */
export async function readPassphrase(dataDir: string): Promise<string> {
  const file = passphrasePath(dataDir);
  const st = await fs.stat(file);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const value = (await fs.readFile(file, "utf8")).trim();
  if (!value) throw new Error(`${file} is empty`);
  return value;
}

/** Whether the secrets provider is the passphrase one (the default) rather than a KMS URL. */
export function usesPassphrase(secretsProvider: string): boolean {
  return secretsProvider === "passphrase" || secretsProvider === "default" || secretsProvider === "";
}
