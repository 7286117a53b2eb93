/**
 * Every setting of the service, from the environment, validated once at start.
 * This is the only module that reads `process.env`; everything else gets a
 * `Config`. `loadConfig(env)` is pure over its argument so tests pass their own.
 */
import path from "node:path";
import { z } from "zod";
import { ENGINE_NAMES } from "./engine/port.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const Env = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  GOLDENPATH_DATA_DIR: z.string().min(1).default("./.goldenpath"),
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional()),
  GOLDENPATH_ENGINE: z.enum(ENGINE_NAMES).default("pulumi"),
  GOLDENPATH_MAX_OPERATIONS: z.coerce.number().int().min(1).max(64).default(2),
  GOLDENPATH_ADMIN_TOKEN: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  GOLDENPATH_SIMULATE_TIME_SCALE: z.coerce.number().min(0).max(1).default(0),
  GOLDENPATH_LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  GOLDENPATH_BACKEND_URL: optionalString,
  GOLDENPATH_SECRETS_PROVIDER: z.string().min(1).default("passphrase"),
  GOLDENPATH_PULUMI_VERSION: optionalString,
  GOLDENPATH_REGISTRY_MIRRORS: optionalString,
  GOLDENPATH_SIMULATE_REGISTRY: optionalString,
  DOCKER_CONFIG: optionalString,
  GOLDENPATH_DRIFT_SCHEDULE: z.string().regex(/^(\S+\s+){4}\S+$/, "must be a five-field cron expression").default("0 */6 * * *"),
  GOLDENPATH_OIDC_ISSUER: optionalString.pipe(z.url().optional()),
  GOLDENPATH_OIDC_AUDIENCE: optionalString,
  GOLDENPATH_OIDC_ROLE_CLAIM: optionalString,
  /** Test seam of the simulate engine: a module exporting foundationLayer/platformLayer to run instead of the real layers. */
  GOLDENPATH_SIMULATE_PROGRAMS: optionalString,
  /** Seconds running operations get to finish on shutdown before they are marked interrupted. */
  GOLDENPATH_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(20),
});

/** The service's settings, resolved (paths absolute, defaults applied). */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Unset: the embedded PostgreSQL in `<dataDir>/pg`. */
  databaseUrl?: string;
  engine: (typeof ENGINE_NAMES)[number];
  maxOperations: number;
  /** Unset: generated on first start into `<dataDir>/admin-token` (mode 0600). */
  adminToken?: string;
  simulateTimeScale: number;
  logLevel: (typeof LOG_LEVELS)[number];
  backendUrl: string;
  secretsProvider: string;
  pulumiVersion?: string;
  registryMirrors?: string;
  simulateRegistry?: string;
  /** Test seam: layer programs the simulate engine runs instead of `programs/layers/*`. */
  simulatePrograms?: string;
  dockerConfig?: string;
  driftSchedule: string;
  oidc?: { issuer: string; audience: string; roleClaim: string };
  shutdownGraceSeconds: number;
}

/** A setting failed validation; names each variable and what is wrong with it (never its value). */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const r = Env.safeParse(env);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => ({ variable: String(i.path[0] ?? ""), message: i.message })));
  }
  const e = r.data;
  const dataDir = path.resolve(e.GOLDENPATH_DATA_DIR);
  let oidc: Config["oidc"];
  if (e.GOLDENPATH_OIDC_ISSUER) {
    if (!e.GOLDENPATH_OIDC_AUDIENCE) {
      throw new ConfigError([{ variable: "GOLDENPATH_OIDC_AUDIENCE", message: "required when GOLDENPATH_OIDC_ISSUER is set" }]);
    }
    oidc = { issuer: e.GOLDENPATH_OIDC_ISSUER, audience: e.GOLDENPATH_OIDC_AUDIENCE, roleClaim: e.GOLDENPATH_OIDC_ROLE_CLAIM ?? "goldenpath_role" };
  }
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    engine: e.GOLDENPATH_ENGINE,
    maxOperations: e.GOLDENPATH_MAX_OPERATIONS,
    adminToken: e.GOLDENPATH_ADMIN_TOKEN,
    simulateTimeScale: e.GOLDENPATH_SIMULATE_TIME_SCALE,
    logLevel: e.GOLDENPATH_LOG_LEVEL,
    backendUrl: e.GOLDENPATH_BACKEND_URL ?? `file://${path.join(dataDir, "state")}`,
    secretsProvider: e.GOLDENPATH_SECRETS_PROVIDER,
    pulumiVersion: e.GOLDENPATH_PULUMI_VERSION,
    registryMirrors: e.GOLDENPATH_REGISTRY_MIRRORS,
    simulateRegistry: e.GOLDENPATH_SIMULATE_REGISTRY,
    simulatePrograms: e.GOLDENPATH_SIMULATE_PROGRAMS ? path.resolve(e.GOLDENPATH_SIMULATE_PROGRAMS) : undefined,
    dockerConfig: e.DOCKER_CONFIG,
    driftSchedule: e.GOLDENPATH_DRIFT_SCHEDULE,
    oidc,
    shutdownGraceSeconds: e.GOLDENPATH_SHUTDOWN_GRACE_SECONDS,
  };
}
