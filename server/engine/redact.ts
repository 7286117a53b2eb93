/**
 * Redaction of secrets from anything the pulumi engine hands back: stderr,
 * diagnostics, stack outputs, exported deployments and update history.
 *
 * The Automation API returns secrets in plain text from `stackOutputs()`,
 * `exportStack()` (it runs `stack export --show-secrets`) and `history()`
 * (DESIGN §6, "known traps"), and a provider error can echo an input value.
 * So every text that leaves the engine goes through a `Redactor` that knows
 * the secret values of this run (passphrase, secret outputs, plaintext
 * secrets of the state) and a few shapes that are secrets whatever their
 * value (AWS keys, URL passwords, bearer tokens, PEM keys).
 */

/** What a redacted value reads as, everywhere (the CLI's own mask). */
export const MASK = "[secret]";

/** Pulumi's marker for a secret value in state and exports (`resource.SecretSig`). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SIG_KEY = SECRET_SIG;
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Values shorter than this are not scrubbed by value (too many false hits: "true", "5432"). */
const MIN_SECRET_LENGTH = 6;

/** Secrets recognisable by shape alone. */
const PATTERNS: [RegExp, string][] = [
  // AWS access key ids (long-lived AKIA, temporary ASIA).
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, MASK],
  // `aws_secret_access_key = …`, `AWS_SESSION_TOKEN=…`, `PULUMI_CONFIG_PASSPHRASE=…`, `password: …`.
  [
    /\b(aws_secret_access_key|aws_session_token|secret_?access_?key|session_?token|pulumi_config_passphrase|pulumi_access_token|password|passwd|client_secret)(["']?\s*[:=]\s*["']?)([^\s"',;}]+)/gi,
    `$1$2${MASK}`,
  ],
  // userinfo passwords in URLs: postgres://user:pass@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)@/gi, `$1${MASK}@`],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${MASK}`],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, MASK],
  // Kubeconfig tokens and certificate data.
  [/\b(token|client-key-data|client-certificate-data)(:\s*)(\S{16,})/g, `$1$2${MASK}`],
];

/**
 * Scrubs known secret values and secret-shaped text. `add` more values as
 * they become known (a run's secret outputs, a state's plaintext secrets).
 */
export class Redactor {
  private readonly values = new Set<string>();

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Remember a secret value; non-strings are remembered as their JSON too. */
  add(value: unknown): void {
    if (value === undefined || value === null) return;
    if (typeof value === "string") {
      if (value.length >= MIN_SECRET_LENGTH) {
        this.values.add(value);
        // Values travel JSON-escaped inside stderr and diagnostics too.
        const escaped = JSON.stringify(value).slice(1, -1);
        if (escaped !== value) this.values.add(escaped);
        // A multi-line secret (kubeconfig, PEM) leaks line by line as well.
        for (const line of value.split("\n")) {
          if (line.trim().length >= 16) this.values.add(line.trim());
          // …and as the value of a `key: value` line (a kubeconfig token, a cert blob).
          const kv = line.match(/^\s*-?\s*[\w.-]+:\s*(\S{16,})\s*$/);
          if (kv) this.values.add(kv[1]);
        }
      }
      return;
    }
    if (typeof value === "object") {
      this.add(JSON.stringify(value));
      for (const v of Object.values(value as Record<string, unknown>)) this.add(v);
    }
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is masked whole.
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    for (const v of sorted) if (out.includes(v)) out = out.split(v).join(MASK);
    for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  }
}

/** A stack output as the Automation API's `stackOutputs()` returns it (value in plain text). */
export interface PlainOutput {
  value: unknown;
  secret: boolean;
}

/**
 * Outputs with the secret ones still marked (the runner needs real values,
 * e.g. the foundation's kubeconfig for the platform layer; the store keeps
 * them marked and the API serves them masked). Their values are taught to
 * the redactor so they can never reach a log, event or error.
 */
export function collectSecretOutputs(outputs: Record<string, PlainOutput>, redactor: Redactor): Record<string, PlainOutput> {
  const out: Record<string, PlainOutput> = {};
  for (const [k, o] of Object.entries(outputs)) {
    if (o.secret) redactor.add(o.value);
    out[k] = { value: o.value, secret: o.secret };
  }
  return out;
}

/** Outputs for an audience that may not see secrets: secret values read `[secret]`. */
export function maskOutputs(outputs: Record<string, PlainOutput>): Record<string, PlainOutput> {
  const out: Record<string, PlainOutput> = {};
  for (const [k, o] of Object.entries(outputs)) out[k] = { value: o.secret ? MASK : o.value, secret: o.secret };
  return out;
}

function isSecretObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG_VALUE;
}

/**
 * Walk a deployment (or any JSON) and replace every secret object's
 * `plaintext` with the mask, teaching the values to the redactor. Objects
 * with only `ciphertext` stay as they are (ciphertext is safe to keep).
 */
export function redactDeployment<T>(value: T, redactor?: Redactor): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (isSecretObject(v)) {
      if ("plaintext" in v) {
        const plain = v.plaintext;
        if (redactor) {
          redactor.add(plain);
          // plaintext is the JSON encoding of the value; the bare string leaks too.
          try {
            redactor.add(JSON.parse(String(plain)));
          } catch {
            /* not JSON: already added */
          }
        }
        return { ...v, plaintext: JSON.stringify(MASK) };
      }
      return v;
    }
    if (typeof v === "object" && v !== null) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * An update-history entry (`history()` with showSecrets) reduced to what is
 * safe to store: config values marked secret are masked.
 */
export function redactHistoryConfig(config: Record<string, { value: string; secret?: boolean }>, redactor?: Redactor) {
  const out: Record<string, { value: string; secret: boolean }> = {};
  for (const [k, c] of Object.entries(config)) {
    if (c.secret) redactor?.add(c.value);
    out[k] = { value: c.secret ? MASK : c.value, secret: !!c.secret };
  }
  return out;
}
