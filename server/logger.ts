/**
 * pino settings for the service: request ids on every line, and redaction of
 * the Authorization header and of any field whose name says it holds a
 * secret, at any of the depths our log calls use.
 */
import type { LoggerOptions } from "pino";

const SECRET_FIELDS = ["password", "token", "secret", "kubeconfig", "passphrase", "adminToken", "databaseUrl", "connectionString"];

function redactPaths(): string[] {
  const paths = ['req.headers.authorization', 'req.headers["idempotency-key"]', "headers.authorization"];
  for (const f of SECRET_FIELDS) paths.push(f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`);
  return paths;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths(), censor: "[redacted]" },
    serializers: {
      // Only method, route url (without the query) and ids: queries could carry anything.
      req: (req: { method: string; url: string; id: string; hostname?: string }) => ({ method: req.method, url: req.url.split("?")[0], id: req.id }),
    },
  };
}
