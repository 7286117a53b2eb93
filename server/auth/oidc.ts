/**
 * Optional OIDC: bearer JWTs from an issuer (e.g. a Keycloak realm), checked
 * against its JWKS (found by discovery), its issuer and our audience, with the
 * role read from a claim (a dotted path such as `realm_access.roles`; the
 * highest goldenpath role named there wins). Only asymmetric algorithms are
 * accepted: never `none`, never HMAC (the classic key-confusion attack).
 */
import { createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from "node:crypto";
import type { Role } from "../store/tokens.js";
import { roleAtLeast } from "./tokens.js";

export interface OidcConfig {
  issuer: string;
  audience: string;
  roleClaim: string;
}

/** Who a verified JWT says the caller is. */
export interface OidcIdentity {
  subject: string;
  name: string;
  /** Undefined when the claim names no goldenpath role. */
  role?: Role;
}

const ALGORITHMS: Record<string, { hash: string; ec?: boolean; pss?: boolean }> = {
  RS256: { hash: "sha256" },
  RS384: { hash: "sha384" },
  RS512: { hash: "sha512" },
  PS256: { hash: "sha256", pss: true },
  ES256: { hash: "sha256", ec: true },
  ES384: { hash: "sha384", ec: true },
};
const ROLES: Role[] = ["viewer", "operator", "admin"];
/** Clock skew tolerated on exp/nbf. */
const LEEWAY_S = 30;
/** Do not hammer the issuer for unknown key ids. */
const JWKS_MIN_REFRESH_MS = 30_000;

export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

function claimAt(claims: Record<string, unknown>, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), claims);
}

function highestRole(value: unknown): Role | undefined {
  const names = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
  let best: Role | undefined;
  for (const n of names) {
    const role = ROLES.find((r) => r === n || n === `goldenpath-${r}`);
    if (role && (!best || roleAtLeast(role, best))) best = role;
  }
  return best;
}

export class OidcVerifier {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private jwksUri?: string;

  constructor(
    private readonly cfg: OidcConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private async refreshKeys(): Promise<void> {
    if (Date.now() - this.fetchedAt < JWKS_MIN_REFRESH_MS) return;
    this.fetchedAt = Date.now();
    if (!this.jwksUri) {
      const res = await this.fetchImpl(`${this.cfg.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`OIDC discovery answered ${res.status}`);
      this.jwksUri = String(((await res.json()) as { jwks_uri?: string }).jwks_uri ?? "");
      if (!this.jwksUri) throw new Error("OIDC discovery has no jwks_uri");
    }
    const res = await this.fetchImpl(this.jwksUri);
    if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
    const { keys } = (await res.json()) as { keys: (JsonWebKey & { kid?: string; use?: string })[] };
    const next = new Map<string, KeyObject>();
    for (const jwk of keys ?? []) {
      if (jwk.use && jwk.use !== "sig") continue;
      try {
        next.set(jwk.kid ?? "", createPublicKey({ key: jwk, format: "jwk" }));
      } catch {
        // a key type we cannot use: skip it
      }
    }
    this.keys = next;
  }

  /** The identity in a valid token; undefined for anything not valid (never throws for bad tokens). */
  async verify(token: string): Promise<OidcIdentity | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    const [h, p, s] = token.split(".");
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = decodePart(h);
      claims = decodePart(p);
    } catch {
      return undefined;
    }
    const alg = ALGORITHMS[String(header.alg)];
    if (!alg) return undefined;
    const kid = String(header.kid ?? "");
    if (!this.keys.has(kid)) await this.refreshKeys().catch(() => {});
    const key = this.keys.get(kid);
    if (!key) return undefined;
    const ok = verifySignature(
      alg.hash,
      Buffer.from(`${h}.${p}`),
      { key, ...(alg.ec ? { dsaEncoding: "ieee-p1363" as const } : {}), ...(alg.pss ? { padding: 6, saltLength: 32 } : {}) },
      Buffer.from(s, "base64url"),
    );
    if (!ok) return undefined;
    const now = Date.now() / 1000;
    if (claims.iss !== this.cfg.issuer) return undefined;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(this.cfg.audience)) return undefined;
    if (typeof claims.exp !== "number" || claims.exp < now - LEEWAY_S) return undefined;
    if (typeof claims.nbf === "number" && claims.nbf > now + LEEWAY_S) return undefined;
    const subject = String(claims.sub ?? "");
    if (!subject) return undefined;
    const name = String(claims.preferred_username ?? claims.email ?? subject).slice(0, 100);
    return { subject, name: `oidc:${name}`, role: highestRole(claimAt(claims, this.cfg.roleClaim)) };
  }
}
