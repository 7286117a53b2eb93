/**
 * PostgreSQL roles, databases and grants for every `database.applications[]`
 * entry: the incident created `keycloak_app` and `backstage_app` by hand
 * (DESIGN §4.6). Two ways to run the same intent:
 *
 * - `provider`: `@pulumi/postgresql` from the machine running Pulumi, which
 *   needs network reach to RDS (a VPN or a runner inside the VPC).
 * - `job`: an idempotent Kubernetes Job inside the cluster, which already
 *   reaches RDS through the cluster security group. Credentials come from the
 *   ESO-synced Secrets through `secretKeyRef`; no value is in the Job spec.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as kubernetes from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import type { ApplicationSpec } from "../spec.js";
import { dependsOnWith, plainEnv, secretEnv, type EnvVar } from "./values.js";

export type Provisioner = "provider" | "job";

/**
 * `auto` picks the provider only when the runner saw RDS answer on its port;
 * an unknown reachability means the Job, which works from anywhere.
 */
export function resolveProvisioner(setting: "auto" | "provider" | "job", databaseReachable: boolean | undefined): Provisioner {
  if (setting === "auto") return databaseReachable === true ? "provider" : "job";
  return setting;
}

/**
 * psql client for the Job: the official image from ECR Public (the same
 * digest as Docker Hub's `postgres:16.4-alpine` index, without Docker Hub's
 * pull limits). It is not mirrored into the environment's ECR yet; see the
 * `image` argument to supply a mirrored one.
 */
export const POSTGRES_CLIENT_IMAGE =
  "public.ecr.aws/docker/library/postgres:16.4-alpine@sha256:5660c2cbfea50c7a9127d17dc4e48543eedd3d7a41a595a2dfa572471e37e64c";

/** Namespace the provisioning Job runs in. */
export const PROVISIONING_NAMESPACE = "goldenpath-system";

export interface DatabaseUsersArgs {
  /** How to create the roles: resolved with `resolveProvisioner` first. */
  readonly provisioner: Provisioner;
  /** The spec's `database.applications`. */
  readonly applications: readonly ApplicationSpec[];
  /** RDS endpoint address. */
  readonly host: pulumi.Input<string>;
  /** RDS port. */
  readonly port: pulumi.Input<number>;
  /** RDS master user name (not a superuser on RDS). */
  readonly masterUsername: pulumi.Input<string>;
  /** Secrets Manager ARN of the RDS-managed master secret (provider mode reads its password). */
  readonly masterSecretArn: pulumi.Input<string>;
  /** Secrets Manager ARN of each app's secret, by application name (provider mode reads the passwords). */
  readonly appSecretArns: Record<string, pulumi.Input<string>>;
  /** Job mode: namespace of the Job and of the synced Secrets it reads. */
  readonly namespace?: pulumi.Input<string>;
  /** Job mode: Kubernetes Secret holding the master `username`/`password`. */
  readonly masterSecretName?: string;
  /** Job mode: Kubernetes Secret holding each app's `password`, by application name. */
  readonly appSecretNames?: Record<string, string>;
  /** Job mode: psql image; defaults to `POSTGRES_CLIENT_IMAGE`. */
  readonly image?: string;
  /** Job mode: seconds a finished Job is kept before Kubernetes deletes it. */
  readonly ttlSecondsAfterFinished?: number;
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
const envName = (app: string) => `GP_PASSWORD_${app.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/**
 * The Job's SQL: safe to run any number of times. Passwords are read by psql
 * from the environment (`\getenv`), so they are neither in the spec nor in
 * any process's arguments.
 */
export function provisioningSql(applications: readonly ApplicationSpec[]): string {
  const lines = ["\\set ON_ERROR_STOP on"];
  for (const app of applications) {
    const role = quoteIdent(app.user);
    const pwVar = `pw_${app.name.replace(/[^a-z0-9_]/g, "_")}`;
    lines.push(
      `-- ${app.name}`,
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(app.user)}) THEN CREATE ROLE ${role} LOGIN; END IF; END $$;`,
      `\\getenv ${pwVar} ${envName(app.name)}`,
      `ALTER ROLE ${role} WITH LOGIN ${app.createDb ? "CREATEDB" : "NOCREATEDB"} PASSWORD :'${pwVar}';`,
    );
    if (app.createDatabase) {
      const db = quoteIdent(app.database);
      lines.push(
        // PostgreSQL 16: the RDS master (CREATEROLE, not superuser) must be able
        // to SET ROLE to a role before making it a database owner.
        `GRANT ${role} TO CURRENT_USER;`,
        `SELECT 'CREATE DATABASE ${db} OWNER ${role}' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${quoteLiteral(app.database)})\\gexec`,
        `ALTER DATABASE ${db} OWNER TO ${role};`,
        `GRANT ALL PRIVILEGES ON DATABASE ${db} TO ${role};`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** Short hash of the applications list: part of the Job name, so any change re-runs it. */
export function applicationsHash(applications: readonly ApplicationSpec[]): string {
  const canonical = applications.map((a) => [a.name, a.user, a.database, a.createDatabase, a.createDb]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 8);
}

export class DatabaseUsers extends pulumi.ComponentResource {
  readonly provisioner: Provisioner;
  /** Role names by application. */
  readonly roles: Record<string, string> = {};
  /** Database names by application (only those created). */
  readonly databases: Record<string, string> = {};
  /** Job mode: the Job's name. */
  readonly jobName?: string;

  constructor(name: string, args: DatabaseUsersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:postgres:DatabaseUsers", name, {}, opts);
    this.provisioner = args.provisioner;
    if (args.provisioner === "job") {
      if (!args.namespace || !args.masterSecretName || !args.appSecretNames) {
        throw new pulumi.ResourceError("the job provisioner needs namespace, masterSecretName and appSecretNames", this);
      }
      for (const app of args.applications) {
        if (!args.appSecretNames[app.name]) throw new pulumi.ResourceError(`no synced secret for application ${app.name}`, this);
      }
      this.jobName = this.createJob(name, args, opts?.dependsOn);
    } else if (args.provisioner === "provider") {
      for (const app of args.applications) {
        if (!args.appSecretArns[app.name]) throw new pulumi.ResourceError(`no Secrets Manager secret for application ${app.name}`, this);
      }
      this.createWithProvider(name, args);
    } else {
      throw new pulumi.ResourceError(`unknown provisioner ${String(args.provisioner)}; resolve "auto" first`, this);
    }
    for (const app of args.applications) {
      this.roles[app.name] = app.user;
      if (app.createDatabase) this.databases[app.name] = app.database;
    }
    this.registerOutputs({ provisioner: this.provisioner, roles: this.roles, databases: this.databases, jobName: this.jobName });
  }

  private secretPassword(secretId: pulumi.Input<string>): pulumi.Output<string> {
    const version = aws.secretsmanager.getSecretVersionOutput({ secretId }, { parent: this });
    return pulumi.secret(version.secretString.apply((s) => String((JSON.parse(s) as { password?: unknown }).password ?? "")));
  }

  private createWithProvider(name: string, args: DatabaseUsersArgs): void {
    const provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.host,
        port: args.port,
        database: "postgres",
        username: args.masterUsername,
        password: this.secretPassword(args.masterSecretArn),
        sslmode: "require",
        // The RDS master is a member of rds_superuser, not a superuser: the
        // provider must not use superuser-only paths (e.g. ALTER ROLE … SUPERUSER).
        superuser: false,
        connectTimeout: 15,
      },
      { parent: this },
    );
    for (const app of args.applications) {
      const role = new postgresql.Role(
        `${name}-${app.name}-role`,
        { name: app.user, login: true, password: this.secretPassword(args.appSecretArns[app.name]), createDatabase: app.createDb },
        { parent: this, provider },
      );
      const database = app.createDatabase
        ? new postgresql.Database(`${name}-${app.name}-database`, { name: app.database, owner: role.name }, { parent: this, provider })
        : undefined;
      new postgresql.Grant(
        `${name}-${app.name}-grant`,
        { database: database ? database.name : app.database, role: role.name, objectType: "database", privileges: ["ALL"] },
        { parent: this, provider },
      );
    }
  }

  private createJob(name: string, args: DatabaseUsersArgs, after: pulumi.ComponentResourceOptions["dependsOn"]): string {
    const jobName = `database-users-${applicationsHash(args.applications)}`;
    const serviceAccount = new kubernetes.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: "database-users", namespace: args.namespace }, automountServiceAccountToken: false },
      { parent: this },
    );
    const env: EnvVar[] = [
      plainEnv("PGHOST", args.host),
      plainEnv("PGPORT", pulumi.output(args.port).apply(String)),
      plainEnv("PGDATABASE", "postgres"),
      plainEnv("PGSSLMODE", "require"),
      plainEnv("PGCONNECT_TIMEOUT", "10"),
      secretEnv("PGUSER", args.masterSecretName!, "username"),
      secretEnv("PGPASSWORD", args.masterSecretName!, "password"),
      ...args.applications.map((app) => secretEnv(envName(app.name), args.appSecretNames![app.name], "password")),
    ];
    const script = `exec psql --no-psqlrc --echo-errors <<'SQL'\n${provisioningSql(args.applications)}SQL\n`;
    new kubernetes.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: jobName,
          namespace: args.namespace,
          labels: { "app.kubernetes.io/managed-by": "goldenpath", "app.kubernetes.io/component": "database-users" },
        },
        spec: {
          backoffLimit: 4,
          activeDeadlineSeconds: 900,
          ttlSecondsAfterFinished: args.ttlSecondsAfterFinished ?? 86400,
          template: {
            metadata: { labels: { "app.kubernetes.io/component": "database-users" } },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              restartPolicy: "Never",
              securityContext: { runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "psql",
                  image: args.image ?? POSTGRES_CLIENT_IMAGE,
                  imagePullPolicy: "IfNotPresent",
                  command: ["/bin/sh", "-ec", script],
                  env,
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: dependsOnWith([serviceAccount], after) },
    );
    return jobName;
  }
}
