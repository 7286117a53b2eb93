/**
 * Webhook signatures. Every delivery carries
 *
 *   Goldenpath-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *
 * where the HMAC key is the webhook's secret and the signed text is
 * `<t>.<raw request body>`. A receiver recomputes the HMAC over the raw body
 * it received, compares in constant time, and rejects timestamps older than
 * its tolerance (replay protection). The scheme is Stripe's, which receivers
 * already know how to verify.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "goldenpath-signature";

export function sign(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

export interface VerifyOptions {
  /** Seconds a signature stays acceptable (default 300). */
  toleranceSeconds?: number;
  now?: number;
}

/** Verify a signature header against the raw body. Returns false on any mismatch. */
export function verify(secret: string, body: string, header: string | undefined, opts: VerifyOptions = {}): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const part of header.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    parts.set(k, [...(parts.get(k) ?? []), part.slice(i + 1).trim()]);
  }
  const t = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  // Several v1 values may be present while a secret is rotated.
  return (parts.get("v1") ?? []).some((v) => {
    const got = Buffer.from(v);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
