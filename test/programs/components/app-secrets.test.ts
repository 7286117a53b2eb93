import t from "tap";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";

/** Wait until every resource registration in flight has reached the mocks. */
const settle = (): Promise<void> => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

type Captured = { type: string; name: string; inputs: Record<string, any> };
const resources: Captured[] = [];
const generated: string[] = [];
await pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      resources.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "random:index/randomPassword:RandomPassword") {
        const pw = `Pw${args.name.replace(/[^a-z]/g, "")}Q7x9-k_${generated.length}`.padEnd(args.inputs.length, "z");
        generated.push(pw);
        state.result = pw;
      }
      if (args.type === "aws:secretsmanager/secret:Secret") {
        state.arn = `arn:aws:secretsmanager:eu-west-2:123456789012:secret:${args.inputs.name}-Ab12Cd`;
      }
      return { id: args.type === "aws:secretsmanager/secret:Secret" ? `arn-of-${args.inputs.name}` : `${args.name}-id`, state };
    },
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "goldenpath",
  "dev-foundation",
  false,
);
const { AppSecrets, SECRET_KEYS, PASSWORD_SPECIALS } = await import("../../../programs/components/app-secrets.js");
const { names } = await import("../../../programs/spec.js");

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecretValue = (v: unknown): v is { value: unknown } => typeof v === "object" && v !== null && (v as any)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
/** Mock inputs with secret-marked values masked, as a plan would print them. */
const masked = (v: unknown): unknown =>
  isSecretValue(v) ? "[secret]" : Array.isArray(v) ? v.map(masked) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, masked(x)])) : v;
const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
const n = names({ name: "dev", secretsPrefix: "goldenpath" });

const secrets = new AppSecrets("app-secrets", {
  applications: [
    { app: "keycloak", secretName: n.secret("keycloak"), username: "keycloak_app", database: "keycloak" },
    { app: "backstage", secretName: n.secret("backstage"), username: "backstage_app", database: "backstage" },
  ],
  host: "dev-postgres.abcdefghijkl.eu-west-2.rds.amazonaws.com",
  port: 5432,
  recoveryWindowInDays: 0,
  tags: { "goldenpath:environment": "dev" },
});
const [secretNames, secretArns] = await Promise.all([resolve(secrets.secretNames), resolve(secrets.secretArns)]);
await settle();

t.test("secrets are named <prefix>/<env>/<app>/db and their ARNs are output", async (t) => {
  t.same(secretNames, { keycloak: "goldenpath/dev/keycloak/db", backstage: "goldenpath/dev/backstage/db" });
  t.same(secretArns, {
    keycloak: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/keycloak/db-Ab12Cd",
    backstage: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/backstage/db-Ab12Cd",
  });
  const s = resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret");
  t.ok(s.every((x) => x.inputs.recoveryWindowInDays === 0 && x.inputs.tags["goldenpath:environment"] === "dev"));
});

t.test("each secret holds exactly host, port, username, password, database", async (t) => {
  const versions = resources.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion");
  t.equal(versions.length, 2);
  const byApp = Object.fromEntries(versions.map((v) => [v.name.split("-").slice(-2)[0], v]));
  for (const [app, user] of [["keycloak", "keycloak_app"], ["backstage", "backstage_app"]]) {
    const v = byApp[app];
    t.equal(v.inputs.secretId, `arn-of-goldenpath/dev/${app}/db`, `${app} version belongs to its secret`);
    t.ok(isSecretValue(v.inputs.secretString), `${app} secret value is marked secret`);
    const value = JSON.parse((v.inputs.secretString as { value: string }).value);
    t.same(Object.keys(value).sort(), [...SECRET_KEYS].sort(), `${app} keys`);
    t.match(value, { host: "dev-postgres.abcdefghijkl.eu-west-2.rds.amazonaws.com", port: 5432, username: user, database: app });
    t.ok(generated.includes(value.password), `${app} password is the generated one`);
  }
  const pw = (app: string) => JSON.parse(byApp[app].inputs.secretString.value).password;
  t.not(pw("keycloak"), pw("backstage"), "one password per app");
});

t.test("passwords are long and use only URL/psql-safe characters", async (t) => {
  const pws = resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
  t.equal(pws.length, 2);
  for (const p of pws) {
    t.ok(p.inputs.length >= 32, "length ≥ 32");
    t.equal(p.inputs.overrideSpecial, PASSWORD_SPECIALS);
    t.notMatch(PASSWORD_SPECIALS, /[@:/?#%&'"\\$`\s=+]/, "no character that breaks URLs or shells");
  }
});

t.test("no generated password appears in any input that is not marked secret", async (t) => {
  t.equal(generated.length, 2);
  for (const r of resources) {
    const text = JSON.stringify(masked(r.inputs));
    for (const pw of generated) t.notOk(text.includes(pw), `${r.type} ${r.name} does not carry a password`);
  }
  const outputs = JSON.stringify({ secretNames, secretArns });
  for (const pw of generated) t.notOk(outputs.includes(pw), "component outputs carry no password");
});

t.test("rejects an application listed twice", async (t) => {
  t.throws(
    () => new AppSecrets("dup", {
      applications: [
        { app: "keycloak", secretName: "a", username: "u", database: "d" },
        { app: "keycloak", secretName: "b", username: "v", database: "e" },
      ],
      host: "h",
      port: 5432,
    }),
    /twice/,
  );
});
