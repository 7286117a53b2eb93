import t from "tap";
import { MASK, Redactor, SECRET_SIG, collectSecretOutputs, maskOutputs, redactDeployment, redactHistoryConfig } from "../../../server/engine/redact.js";

t.test("known values are masked wherever they appear, longest first", async (t) => {
  const r = new Redactor(["s3cr3t-value", "s3cr3t-value-longer", undefined, "abc"]);
  t.equal(r.redact("a s3cr3t-value-longer b s3cr3t-value c"), `a ${MASK} b ${MASK} c`);
  t.equal(r.redact("abc stays: too short to match safely"), "abc stays: too short to match safely");
});

t.test("JSON-escaped and line-by-line forms of multi-line secrets are masked", async (t) => {
  const kubeconfig = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n";
  const r = new Redactor([kubeconfig]);
  t.notMatch(r.redact(JSON.stringify({ kubeconfig })), /LS0tLS1CRUdJTi/);
  t.notMatch(r.redact("line: certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"), /LS0tLS1CRUdJTi/);
});

t.test("secret shapes are masked without knowing the value", async (t) => {
  const r = new Redactor();
  const text = [
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "PULUMI_CONFIG_PASSPHRASE=hunter2hunter2",
    "postgres://keycloak_app:pa55w0rd@db:5432/keycloak",
    "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig",
    '"password": "opensesame"',
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
  ].join("\n");
  const out = r.redact(text);
  for (const leak of ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "hunter2hunter2", "pa55w0rd", "eyJhbGciOiJSUzI1NiJ9", "opensesame", "MIIEow"]) {
    t.notOk(out.includes(leak), `masks ${leak}`);
  }
  t.match(out, /postgres:\/\/keycloak_app:\[secret\]@db:5432/, "keeps the rest of the URL for diagnosis");
  t.equal(r.redact("password authentication failed for user keycloak_app"), "password authentication failed for user keycloak_app");
});

t.test("stackOutputs: secret outputs keep their value and mark, and are taught to the redactor; masked view hides them", async (t) => {
  const r = new Redactor();
  const plain = {
    clusterName: { value: "dev", secret: false },
    kubeconfig: { value: "apiVersion: v1\nusers:\n- name: x\n  user:\n    token: k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbQ", secret: true },
    dbPassword: { value: { user: "admin", password: "Xy9-very-secret" }, secret: true },
  };
  const stored = collectSecretOutputs(plain, r);
  t.same(stored, plain, "values kept for the runner (e.g. kubeconfig for the platform layer)");
  t.notMatch(r.redact("oops: k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbQ and Xy9-very-secret"), /aHR0cHM6|Xy9-very/);
  const masked = maskOutputs(stored);
  t.same(masked, { clusterName: { value: "dev", secret: false }, kubeconfig: { value: MASK, secret: true }, dbPassword: { value: MASK, secret: true } });
});

t.test("exportStack plaintext secrets are masked and learnt; ciphertext is kept", async (t) => {
  const r = new Redactor();
  const deployment = {
    version: 3,
    deployment: {
      resources: [
        {
          urn: "urn:pulumi:dev-foundation::goldenpath::random:index/randomPassword:RandomPassword::p",
          outputs: {
            length: 32,
            result: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify("plain-Secret-42") },
            bcryptHash: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc:def" },
          },
        },
      ],
      pending_operations: [],
    },
  };
  const out = redactDeployment(deployment, r);
  const text = JSON.stringify(out);
  t.notMatch(text, /plain-Secret-42/);
  t.match(text, /v1:abc:def/);
  t.equal(deployment.deployment.resources[0].outputs.result.plaintext, JSON.stringify("plain-Secret-42"), "input not mutated");
  t.equal(r.redact("leak plain-Secret-42"), `leak ${MASK}`);
});

t.test("history config: secret values masked", async (t) => {
  const r = new Redactor();
  const out = redactHistoryConfig({ "aws:region": { value: "eu-west-2" }, "goldenpath:token": { value: "tok-123456", secret: true } }, r);
  t.same(out, { "aws:region": { value: "eu-west-2", secret: false }, "goldenpath:token": { value: MASK, secret: true } });
  t.equal(r.redact("tok-123456"), MASK);
});
