/**
 * API token values: random, prefixed so they are recognisable in a leak scan
 * (`gp_` + 32 random bytes, base64url), stored only as SHA-256 hashes and
 * compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Queryable } from "../store/db.js";
import { findActiveByHash, type Role, type TokenRecord } from "../store/tokens.js";

export const TOKEN_PATTERN = /^gp_[A-Za-z0-9_-]{43}$/;
const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function generateToken(): string {
  return `gp_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLE_RANK[have] >= ROLE_RANK[need];
}

/** The active token a presented value belongs to, if any. */
export async function verifyToken(db: Queryable, presented: string): Promise<TokenRecord | undefined> {
  // Bound the work an attacker can make us do before hashing.
  if (presented.length === 0 || presented.length > 512) return undefined;
  const hash = hashToken(presented);
  const row = await findActiveByHash(db, hash);
  if (!row) return undefined;
  // The lookup is by hash (an index); comparing the digests in constant time
  // keeps the final check free of early-exit timing all the same.
  if (!timingSafeEqual(Buffer.from(hash, "hex"), Buffer.from(row.hash, "hex"))) return undefined;
  const { hash: _h, ...token } = row;
  return token;
}
