import t from "tap";
import { componentMocks } from "../../helpers/component-mocks.js";

const { resources, settle, resolve } = await componentMocks({
  outputs: (type, _name, inputs) => (type === "aws:iam/role:Role" ? { arn: `arn:aws:iam::123456789012:role/${inputs.name}` } : undefined),
});
const { IrsaRole, EXTERNAL_SECRETS_SA, LOAD_BALANCER_SA, secretsReadPolicy } = await import("../../../programs/components/irsa-role.js");
const { loadBalancerControllerPolicy } = await import("../../../programs/components/load-balancer-policy.js");

const ISSUER = "oidc.eks.eu-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const PROVIDER_ARN = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
const SECRET_ARNS = [
  "arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/keycloak/db-AbCdEf",
  "arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath/dev/backstage/db-GhIjKl",
];

t.test("role is assumable only by the one service account through the cluster's OIDC provider", async (t) => {
  const role = new IrsaRole("eso", {
    roleName: "dev-external-secrets-irsa",
    oidcProviderArn: PROVIDER_ARN,
    oidcProviderUrl: `https://${ISSUER}`,
    serviceAccount: EXTERNAL_SECRETS_SA,
    policy: secretsReadPolicy(SECRET_ARNS),
    tags: { "goldenpath:environment": "dev" },
  });
  t.equal(await resolve(role.roleArn), "arn:aws:iam::123456789012:role/dev-external-secrets-irsa");
  await settle();
  const r = resources.find((x) => x.type === "aws:iam/role:Role" && x.name === "eso-role")!;
  t.equal(r.inputs.name, "dev-external-secrets-irsa");
  t.equal(r.inputs.tags["goldenpath:environment"], "dev");
  const trust = JSON.parse(r.inputs.assumeRolePolicy);
  t.equal(trust.Statement.length, 1);
  const s = trust.Statement[0];
  t.equal(s.Effect, "Allow");
  t.equal(s.Action, "sts:AssumeRoleWithWebIdentity");
  t.same(s.Principal, { Federated: PROVIDER_ARN });
  t.same(s.Condition, {
    StringEquals: {
      [`${ISSUER}:sub`]: "system:serviceaccount:external-secrets:external-secrets",
      [`${ISSUER}:aud`]: "sts.amazonaws.com",
    },
  }, "issuer has no https:// prefix and both sub and aud are pinned");
});

t.test("inline policy is exactly the one passed in", async (t) => {
  await settle();
  const p = resources.find((x) => x.type === "aws:iam/rolePolicy:RolePolicy" && x.name === "eso-policy")!;
  const doc = JSON.parse(p.inputs.policy);
  t.same(doc, secretsReadPolicy(SECRET_ARNS));
  t.same(doc.Statement[0].Action, ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]);
  t.same(doc.Statement[0].Resource, [...SECRET_ARNS].sort());
});

t.test("secretsReadPolicy refuses wildcards, non-ARNs and an empty list", async (t) => {
  t.throws(() => secretsReadPolicy([]), /none/);
  t.throws(() => secretsReadPolicy(["arn:aws:secretsmanager:eu-west-2:123456789012:secret:goldenpath*"]), /exact/);
  t.throws(() => secretsReadPolicy(["goldenpath/dev/keycloak/db"]), /exact/);
  t.same(secretsReadPolicy([SECRET_ARNS[0], SECRET_ARNS[0]]).Statement[0].Resource, [SECRET_ARNS[0]], "deduplicated");
});

t.test("load balancer controller policy: the controller's required actions, partition-aware", async (t) => {
  const doc = loadBalancerControllerPolicy("aws-cn");
  const actions = doc.Statement.flatMap((s) => s.Action as string[]);
  for (const a of [
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:RegisterTargets",
    "ec2:CreateSecurityGroup",
    "ec2:GetSecurityGroupsForVpc",
    "iam:CreateServiceLinkedRole",
  ]) t.ok(actions.includes(a), a);
  const arns = JSON.stringify(doc).match(/arn:[a-z-]+:/g) ?? [];
  t.ok(arns.length > 0 && arns.every((a) => a === "arn:aws-cn:"), "every ARN in the partition");
  t.equal(LOAD_BALANCER_SA.namespace, "kube-system");
  t.equal(LOAD_BALANCER_SA.name, "aws-load-balancer-controller");
});

t.test("rejects a service account that is not a DNS label pair", async (t) => {
  t.throws(
    () => new IrsaRole("bad", { roleName: "r", oidcProviderArn: PROVIDER_ARN, oidcProviderUrl: ISSUER, serviceAccount: { namespace: "Kube System", name: "x" }, policy: secretsReadPolicy(SECRET_ARNS) }),
    /DNS labels/,
  );
});
