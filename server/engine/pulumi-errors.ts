/**
 * Classification of pulumi engine failures, in one place (DESIGN §6: the
 * Automation API matches `ConcurrentUpdateError` on stderr text, and so must
 * we for everything else). Input: what a failed command left behind — the
 * error's name, stderr, the first error diagnostic of the event stream, and
 * whether the run was aborted. Output: an `EngineError` whose `message` is
 * safe for any client and whose `detail` is redacted stderr for admins.
 *
 * The texts matched here are recorded in test/fixtures/engine-events/stderr/
 * with their sources (the SDK's errors.ts, the CLI's messages, the AWS
 * provider's messages as quoted in issue threads).
 */
import { EngineError } from "./port.js";
import type { EngineErrorCode } from "./port.js";
import type { Redactor } from "./redact.js";
import { firstLine } from "./pulumi-events.js";

export const INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";

/** What is known about a failed engine command. */
export interface FailureInput {
  /** `err.name`: CommandError, ConcurrentUpdateError, StackNotFoundError, … */
  name?: string;
  /** The error's message (for a CommandError it embeds stdout and stderr). */
  message?: string;
  stderr?: string;
  /** First error diagnostic of the event stream (already redacted), with its URN. */
  diagnostic?: { message: string; urn?: string };
  /** The run's AbortSignal fired. */
  aborted?: boolean;
  /** The CLI was interrupted (SIGINT) or reported cancellation. */
  cancelEvent?: boolean;
}

interface Rule {
  code: EngineErrorCode;
  test: RegExp;
  message: (m: RegExpMatchArray, input: FailureInput) => string;
  fix?: string;
}

const CLI_MISSING = /spawn pulumi ENOENT|ENOENT: pulumi|pulumi: (command )?not found|Command failed with ENOENT/i;

/** Ordered: the first rule that matches wins (specific before general). */
const RULES: Rule[] = [
  {
    code: "ENGINE_UNAVAILABLE",
    test: CLI_MISSING,
    message: () => "Pulumi CLI not found on PATH",
    fix: `install it: ${INSTALL_URL} (or set GOLDENPATH_PULUMI_VERSION to install a pinned CLI into the data directory)`,
  },
  {
    code: "ENGINE_UNAVAILABLE",
    // Current CLIs: "no resource plugin 'pulumi-resource-aws' found in the workspace at version v7.48.0";
    // older: "no resource plugin 'aws-v6.0.0' found in the workspace or on your $PATH".
    test: /no resource plugin '(?:pulumi-resource-)?([a-z0-9-]+?)(?:-v[\d.]+)?' found in the workspace(?: at version (v?[\d.]+[\w.-]*))?/i,
    message: (m) => `Pulumi provider plugin "${m[1]}"${m[2] ? ` ${m[2]}` : ""} is not installed`,
    fix: "restart the server so it installs the provider plugins, or run `pulumi plugin install resource <name> <version>`; `goldenpath doctor` lists what is missing",
  },
  {
    code: "ENGINE_UNAVAILABLE",
    test: /Pulumi CLI version .* is (lower than|older than|less than) the minimum|minimum version|failed to install pulumi|error downloading plugin|could not download plugin/i,
    message: () => "the Pulumi CLI or a plugin is missing or too old",
    fix: `install a current Pulumi CLI: ${INSTALL_URL}`,
  },
  {
    code: "STACK_LOCKED",
    test: /the stack is currently locked by|\[409\] Conflict: Another update is currently in progress/i,
    message: () => "another operation holds the stack's lock",
    fix: "wait for it to finish; if the process that held it is gone, recover the stack (the server does this on start) or run `pulumi cancel` on it",
  },
  {
    code: "PENDING_OPERATIONS",
    test: /the current deployment has (\d+) resource\(s\) with pending operations/i,
    message: (m) => `the stack has ${m[1]} resource(s) with pending operations left by an interrupted run`,
    fix: "recover the stack (clears pending operations; check the listed resources in the AWS console, they may exist untracked), then refresh",
  },
  {
    code: "WRONG_ACCOUNT",
    test: /AWS account ID not allowed: (\d{12})|AWS account ID forbidden: (\d{12})/i,
    message: (m) => `the AWS credentials belong to account ${m[1] ?? m[2]}, which the spec's aws.allowedAccountIds does not allow`,
    fix: "switch to credentials for an allowed account (AWS_PROFILE), or fix aws.allowedAccountIds in the spec",
  },
  {
    code: "CREDENTIALS",
    test: /ExpiredToken(Exception)?|security token included in the request is expired|token has expired|RequestExpired|SSO session .* expired|refresh (the )?(sso|session) token/i,
    message: () => "the AWS credentials have expired",
    fix: "renew them (`aws sso login`, or fresh temporary credentials) and retry",
  },
  {
    code: "CREDENTIALS",
    test: /NoCredentialProviders|no valid credential sources|failed to refresh cached credentials|InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClientException|could not load credentials|Unable to locate credentials|AuthFailure|get credentials: failed/i,
    message: () => "no valid AWS credentials were found",
    fix: "configure credentials for the server's process (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, or an instance role); `goldenpath doctor` checks them",
  },
  {
    code: "CANCELLED",
    test: /\b(update|preview|refresh|destroy|operation) (was )?cancel+ed\b|\^C received; cancel+ing/i,
    message: () => "the operation was cancelled",
  },
  {
    code: "INTERNAL",
    test: /passphrase must be set|incorrect passphrase|failed to decrypt|constructing secrets manager/i,
    message: () => "the stack's secrets could not be decrypted with the configured secrets provider",
    fix: "check the passphrase file in the data directory (or GOLDENPATH_SECRETS_PROVIDER) is the one the stack was created with",
  },
];

/** Client-safe message of an error diagnostic: its first line, length-capped. */
function diagnosticSummary(message: string): string {
  const line = firstLine(message);
  return line.length > 400 ? `${line.slice(0, 397)}…` : line;
}

/** The URNs a pending-operations error names (`  * <urn>, interrupted while creating`). */
export function pendingOperationUrns(text: string): string[] {
  const urns = [...text.matchAll(/^\s*\*\s*(?:(?:creating|updating|deleting|reading)\s+)?(urn:pulumi:[^\s,]+)/gm)].map((m) => m[1]);
  return [...new Set(urns)];
}

/**
 * Classify a failure. Text is searched in the order a human would: the
 * engine's diagnostic, then stderr, then the error message.
 */
export function classifyFailure(input: FailureInput, redactor?: Redactor): EngineError {
  const scrub = (s: string) => (redactor ? redactor.redact(s) : s);
  const text = [input.diagnostic?.message, input.stderr, input.message].filter(Boolean).join("\n");
  const detail = text ? scrub(text).slice(-20_000) : undefined;

  if (input.aborted) return new EngineError("CANCELLED", "the operation was cancelled", { detail });
  if (input.name === "ConcurrentUpdateError") {
    const r = RULES.find((x) => x.code === "STACK_LOCKED")!;
    return new EngineError("STACK_LOCKED", r.message([] as unknown as RegExpMatchArray, input), { detail, fix: r.fix });
  }
  for (const rule of RULES) {
    const m = text.match(rule.test);
    if (m) return new EngineError(rule.code, rule.message(m, input), { detail, fix: rule.fix, urn: input.diagnostic?.urn });
  }
  if (input.diagnostic?.urn) {
    // A resource operation failed in the cloud: its first error line names the cause.
    const msg = scrub(diagnosticSummary(input.diagnostic.message));
    return new EngineError("PROVIDER_ERROR", msg || "a resource operation failed", { urn: input.diagnostic.urn, detail });
  }
  if (input.diagnostic) {
    const msg = scrub(diagnosticSummary(input.diagnostic.message));
    return new EngineError("PROVIDER_ERROR", msg || "the Pulumi program failed", { detail });
  }
  return new EngineError("INTERNAL", "the Pulumi engine failed; an admin can see its output on the operation", { detail });
}

/** Whether a failure is worth retrying after a wait (only a held lock is). */
export function isRetryable(err: EngineError): boolean {
  return err.code === "STACK_LOCKED";
}

/**
 * Run `attempt` and retry it while the stack is locked, with exponential
 * backoff, a bounded number of times; then the last STACK_LOCKED stands.
 */
export async function withLockRetry<T>(
  attempt: () => Promise<T>,
  opts: { retries?: number; baseDelayMs?: number; signal?: AbortSignal; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const retries = opts.retries ?? 5;
  const base = opts.baseDelayMs ?? 2000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof EngineError) || !isRetryable(e) || i >= retries || opts.signal?.aborted) {
        if (e instanceof EngineError && e.code === "STACK_LOCKED" && i > 0) {
          throw new EngineError("STACK_LOCKED", `${e.message} (still locked after ${i + 1} attempts)`, { detail: e.detail, fix: e.fix, urn: e.urn });
        }
        throw e;
      }
      await sleep(Math.min(base * 2 ** i, 60_000));
    }
  }
}

/** The no-CLI error `ensureReady()` throws: what makes the API answer 503 fast. */
export function cliMissingError(detail?: string): EngineError {
  return new EngineError("ENGINE_UNAVAILABLE", `Pulumi CLI not found on PATH: the pulumi engine cannot run on this host`, {
    fix: `install it: ${INSTALL_URL} (or set GOLDENPATH_PULUMI_VERSION to have the server install that version into its data directory, or use GOLDENPATH_ENGINE=simulate to try goldenpath without a cloud)`,
    detail,
  });
}
