/**
 * Where registry credentials come from. The mirror asks a provider per
 * registry host at the moment it needs them, so short-lived ECR tokens are
 * fetched late and refreshed before they expire. Credentials are handed to the
 * registry client and to skopeo (through a 0600 authfile), never logged.
 */
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { normaliseRegistry } from "./reference.js";

/** A username and password (or token) for one registry. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Answers the credentials for a registry host, or `undefined` to go anonymous. */
export interface CredentialProvider {
  credentialsFor(registry: string, signal?: AbortSignal): Promise<RegistryCredentials | undefined>;
}

/** Credentials for the mirror's target registry (ECR in production). */
export type TargetCredentials = CredentialProvider;

/** Fixed credentials per host (tests, and registries with a robot account). */
export class StaticCredentials implements CredentialProvider {
  private readonly byHost: Map<string, RegistryCredentials>;

  constructor(entries: Record<string, RegistryCredentials> | Iterable<[string, RegistryCredentials]>) {
    const pairs = Symbol.iterator in Object(entries) ? [...(entries as Iterable<[string, RegistryCredentials]>)] : Object.entries(entries);
    this.byHost = new Map(pairs.map(([host, creds]) => [normaliseRegistry(host), creds]));
  }

  async credentialsFor(registry: string): Promise<RegistryCredentials | undefined> {
    return this.byHost.get(normaliseRegistry(registry));
  }
}

/** Anonymous access everywhere. */
export const anonymous: CredentialProvider = { credentialsFor: async () => undefined };

/** Tries each provider in order; the first that knows the host wins. */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return {
    async credentialsFor(registry, signal) {
      for (const provider of providers) {
        const found = await provider.credentialsFor(registry, signal);
        if (found) return found;
      }
      return undefined;
    },
  };
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Account and region of an ECR registry host, or undefined for any other host. */
export function parseEcrHost(registry: string): { accountId: string; region: string } | undefined {
  const match = ECR_HOST.exec(registry.toLowerCase());
  return match ? { accountId: match[1], region: match[2] } : undefined;
}

/** Options of {@link EcrCredentials}. */
export interface EcrCredentialsOptions {
  /** Client to use; by default one per region, with the SDK's default credential chain. */
  readonly client?: Pick<ECRClient, "send">;
  /** Refresh this long before the token's expiry (default 5 minutes). */
  readonly refreshMarginMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * ECR credentials from `GetAuthorizationToken`: a 12-hour token whose decoded
 * form is `AWS:<password>`. Only answers for `*.dkr.ecr.<region>.amazonaws.com`.
 */
export class EcrCredentials implements CredentialProvider {
  private readonly cache = new Map<string, { creds: RegistryCredentials; expiresAt: number }>();
  private readonly clients = new Map<string, Pick<ECRClient, "send">>();

  constructor(private readonly options: EcrCredentialsOptions = {}) {}

  async credentialsFor(registry: string, signal?: AbortSignal): Promise<RegistryCredentials | undefined> {
    const ecr = parseEcrHost(registry);
    if (!ecr) return undefined;
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(registry);
    if (cached && cached.expiresAt - (this.options.refreshMarginMs ?? 300_000) > now) return cached.creds;

    const client = this.clientFor(ecr.region);
    const answer = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
    const data = answer.authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error(`ECR returned no authorization token for ${registry}`);
    const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new Error(`ECR returned a malformed authorization token for ${registry}`);
    const creds = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    this.cache.set(registry, { creds, expiresAt: data.expiresAt?.getTime() ?? now + 3_600_000 });
    return creds;
  }

  private clientFor(region: string): Pick<ECRClient, "send"> {
    if (this.options.client) return this.options.client;
    let client = this.clients.get(region);
    if (!client) {
      client = new ECRClient({ region });
      this.clients.set(region, client);
    }
    return client;
  }
}
