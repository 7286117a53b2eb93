/**
 * One Secrets Manager secret per application database: `<prefix>/<env>/<app>/db`
 * holding exactly what the app and the External Secrets sync need (host, port,
 * username, password, database). Passwords are generated here; they exist only
 * inside secret outputs and the secret's value.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { Tags } from "./tags.js";

/** Specials that survive URLs, psql conninfo strings, JDBC URLs, env files and YAML unquoted. */
export const PASSWORD_SPECIALS = "-_";
export const PASSWORD_LENGTH = 40;

/** The keys of every application secret's JSON value (DESIGN §4.5). */
export const SECRET_KEYS = ["host", "port", "username", "password", "database"] as const;

export interface AppSecretSpec {
  /** Application name (keycloak, backstage); the key of the outputs. */
  readonly app: string;
  /** Secret name (`names(spec).secret(app)`). */
  readonly secretName: string;
  /** PostgreSQL role the app logs in as. */
  readonly username: string;
  /** The app's database. */
  readonly database: string;
}

export interface AppSecretsArgs {
  readonly applications: AppSecretSpec[];
  /** Database endpoint host. */
  readonly host: pulumi.Input<string>;
  /** Database port. */
  readonly port: pulumi.Input<number>;
  /** Days a deleted secret stays recoverable; 0 deletes at once so a throwaway environment can be re-created under the same names. */
  readonly recoveryWindowInDays?: pulumi.Input<number>;
  /** KMS key for the secrets; the AWS-managed Secrets Manager key when unset. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  readonly tags?: Tags;
}

export class AppSecrets extends pulumi.ComponentResource {
  /** Secret name per app. */
  public readonly secretNames: pulumi.Output<Record<string, string>>;
  /** Secret ARN per app (with Secrets Manager's random 6-character suffix). */
  public readonly secretArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:aws:AppSecrets", name, {}, opts);
    const seen = new Set<string>();
    for (const a of args.applications) {
      if (seen.has(a.app)) throw new pulumi.ResourceError(`application ${a.app} appears twice`, this);
      seen.add(a.app);
    }
    const secretNames: Record<string, pulumi.Output<string>> = {};
    const secretArns: Record<string, pulumi.Output<string>> = {};
    for (const a of args.applications) {
      const password = new random.RandomPassword(`${name}-${a.app}-password`, {
        length: PASSWORD_LENGTH,
        special: true,
        overrideSpecial: PASSWORD_SPECIALS,
        minLower: 2,
        minUpper: 2,
        minNumeric: 2,
      }, { parent: this });
      const secret = new aws.secretsmanager.Secret(`${name}-${a.app}`, {
        name: a.secretName,
        description: `PostgreSQL credentials of ${a.app} (${a.username}@${a.database})`,
        recoveryWindowInDays: args.recoveryWindowInDays,
        kmsKeyId: args.kmsKeyArn,
        tags: args.tags,
      }, { parent: this });
      new aws.secretsmanager.SecretVersion(`${name}-${a.app}-value`, {
        secretId: secret.id,
        // pulumi.secret explicitly: the mock monitor and some engines do not
        // apply RandomPassword's additionalSecretOutputs, and this value must
        // never be plain anywhere.
        secretString: pulumi.secret(
          pulumi.all([args.host, args.port, password.result]).apply(([host, port, pw]) =>
            JSON.stringify({ host, port, username: a.username, password: pw, database: a.database }),
          ),
        ),
      }, { parent: this });
      secretNames[a.app] = secret.name;
      secretArns[a.app] = secret.arn;
    }
    this.secretNames = pulumi.output(secretNames);
    this.secretArns = pulumi.output(secretArns);
    this.registerOutputs({ secretNames: this.secretNames, secretArns: this.secretArns });
  }
}
