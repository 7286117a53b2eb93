/**
 * Turning a registry's failed answer into a typed mirror error that quotes the
 * registry (`MANIFEST_UNKNOWN: manifest unknown`) and nothing else: no
 * request headers, no stack, no credentials.
 */
import { ImageNotFoundError, RegistryAuthError, RegistryProtocolError, RegistryUnreachableError } from "./errors.js";

/** The first entry of a distribution error body `{errors:[{code,message}]}`, if any. */
export async function registryAnswer(res: Response): Promise<{ code?: string; message?: string }> {
  try {
    const json = JSON.parse(await res.text()) as { errors?: Array<{ code?: string; message?: string }> };
    const first = json.errors?.[0];
    return { code: first?.code, message: first?.message };
  } catch {
    return {};
  }
}

/** The typed error for a non-2xx answer about `image`. */
export async function registryError(image: string, host: string, res: Response): Promise<Error> {
  const { code, message } = await registryAnswer(res);
  const answer = code ? `${code}${message ? `: ${message}` : ""}` : `HTTP ${res.status}`;
  if (res.status === 404) return new ImageNotFoundError(image, code, message);
  if (res.status === 401 || res.status === 403) {
    // Docker Hub answers 401 for a repository that does not exist, so say both.
    return new RegistryAuthError(image, host, res.status, `${answer} (the repository may not exist, or it needs credentials)`);
  }
  if (res.status === 429) return new RegistryUnreachableError(image, host, `rate limited (${answer}); configure credentials or a pull-through cache`);
  if (res.status >= 500) return new RegistryUnreachableError(image, host, `server error ${res.status} (${answer})`);
  return new RegistryProtocolError(image, `the registry answered ${res.status} (${answer})`);
}

/** A readable phrase for a socket error code. */
export function describeNetworkCode(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused (ECONNREFUSED)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name does not resolve (${code})`;
    case "ECONNRESET":
      return "the connection was reset (ECONNRESET)";
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return `the connection timed out (${code})`;
    default:
      return code.startsWith("ERR_TLS") || code.includes("CERT") ? `TLS failed (${code})` : `the connection failed (${code})`;
  }
}
