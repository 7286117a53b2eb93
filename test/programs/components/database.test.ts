import t from "tap";
import { componentMocks } from "../../helpers/component-mocks.js";

const MASTER_ARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-0a1b2c3d-4e5f-6789-abcd-ef0123456789-AbCdEf";
const { resources, settle, resolve } = await componentMocks({
  outputs: (type, _name, inputs) =>
    type === "aws:rds/instance:Instance"
      ? {
          address: `${inputs.identifier}.abcdefghijkl.eu-west-2.rds.amazonaws.com`,
          // RDS reports the managed master secret only when asked to manage it.
          ...(inputs.manageMasterUserPassword ? { masterUserSecrets: [{ secretArn: MASTER_ARN, secretStatus: "active", kmsKeyId: "" }] } : {}),
        }
      : undefined,
});
const { Database, parameterGroupFamily } = await import("../../../programs/components/database.js");
const { names } = await import("../../../programs/spec.js");

const find = (type: string, name: string) => resources.find((r) => r.type === type && r.name === name)!;

function database(name: string, env: string, overrides: Partial<ConstructorParameters<typeof Database>[1]> = {}) {
  const n = names({ name: env, secretsPrefix: "goldenpath" });
  return new Database(name, {
    identifier: n.rdsInstance,
    parameterGroupName: n.rdsParameterGroup,
    subnetGroupName: n.rdsSubnetGroup,
    engineVersion: "16",
    instanceClass: "db.t4g.medium",
    allocatedStorage: 20,
    maxAllocatedStorage: 100,
    multiAz: false,
    deletionProtection: true,
    finalSnapshot: true,
    backupRetentionDays: 7,
    port: 5432,
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-aaaaaaaa", "subnet-bbbbbbbb"],
    allowedSecurityGroupIds: ["sg-cluster0123456789"],
    tags: { "goldenpath:environment": env },
    ...overrides,
  });
}

t.test("parameter group family follows the engine major", async (t) => {
  t.equal(parameterGroupFamily("16"), "postgres16");
  t.equal(parameterGroupFamily("17.2"), "postgres17");
  t.throws(() => parameterGroupFamily("latest"));
});

t.test("TLS-only, encrypted, private, RDS-managed master password, protected (prod-like)", async (t) => {
  const db = database("db", "prod", { multiAz: true });
  t.equal(await resolve(db.masterSecretArn), MASTER_ARN, "master secret ARN comes from masterUserSecrets[0]");
  t.equal(await resolve(db.address), "prod-postgres.abcdefghijkl.eu-west-2.rds.amazonaws.com");
  await settle();

  const pg = find("aws:rds/parameterGroup:ParameterGroup", "db-params");
  t.equal(pg.inputs.name, "prod-postgres-tls");
  t.equal(pg.inputs.family, "postgres16");
  t.same(pg.inputs.parameters.filter((p: any) => p.name === "rds.force_ssl").map((p: any) => p.value), ["1"], "rds.force_ssl=1");

  const inst = find("aws:rds/instance:Instance", "db-instance");
  t.equal(inst.inputs.identifier, "prod-postgres");
  t.equal(inst.inputs.engine, "postgres");
  t.equal(inst.inputs.engineVersion, "16");
  t.equal(inst.inputs.parameterGroupName, "prod-postgres-tls");
  t.equal(inst.inputs.storageEncrypted, true);
  t.equal(inst.inputs.publiclyAccessible, false);
  t.equal(inst.inputs.manageMasterUserPassword, true);
  t.notOk("password" in inst.inputs, "no master password passes through the program");
  t.equal(inst.inputs.caCertIdentifier, "rds-ca-rsa2048-g1");
  t.equal(inst.inputs.copyTagsToSnapshot, true);
  t.equal(inst.inputs.performanceInsightsEnabled, false);
  t.equal(inst.inputs.multiAz, true);
  t.equal(inst.inputs.allocatedStorage, 20);
  t.equal(inst.inputs.maxAllocatedStorage, 100);
  t.equal(inst.inputs.backupRetentionPeriod, 7);
  t.equal(inst.inputs.deletionProtection, true);
  t.equal(inst.inputs.skipFinalSnapshot, false);
  t.equal(inst.inputs.finalSnapshotIdentifier, "prod-postgres-final");
  t.same(inst.inputs.vpcSecurityGroupIds, ["db-sg-id"], "only the database's own security group");
  t.equal(inst.inputs.dbSubnetGroupName, "prod-postgres-subnets");
  t.equal(inst.inputs.tags["goldenpath:environment"], "prod");

  const subnets = find("aws:rds/subnetGroup:SubnetGroup", "db-subnets");
  t.same(subnets.inputs.subnetIds, ["subnet-aaaaaaaa", "subnet-bbbbbbbb"]);
});

t.test("security group: the only ingress is the db port from the cluster security group", async (t) => {
  await settle();
  const sg = find("aws:ec2/securityGroup:SecurityGroup", "db-sg");
  t.equal(sg.inputs.vpcId, "vpc-0123456789abcdef0");
  t.equal(sg.inputs.ingress.length, 1);
  const rule = sg.inputs.ingress[0];
  t.match(rule, { protocol: "tcp", fromPort: 5432, toPort: 5432 });
  t.same(rule.securityGroups, ["sg-cluster0123456789"]);
  t.notOk(rule.cidrBlocks?.length, "no CIDR ingress");
  t.notOk(rule.ipv6CidrBlocks?.length, "no IPv6 CIDR ingress");
  t.notOk(rule.self, "no self ingress");
  t.notOk(resources.some((r) => r.type.startsWith("aws:vpc/securityGroupIngressRule") || r.type === "aws:ec2/securityGroupRule:SecurityGroupRule"), "no separate rules open it further");
});

t.test("throwaway environment: no deletion protection, no final snapshot, custom port", async (t) => {
  const db = database("tmp", "pr-42", { deletionProtection: false, finalSnapshot: false, port: 6432, maxAllocatedStorage: 0, engineVersion: "17.2" });
  await resolve(db.masterSecretArn);
  await settle();
  const inst = find("aws:rds/instance:Instance", "tmp-instance");
  t.equal(inst.inputs.deletionProtection, false);
  t.equal(inst.inputs.skipFinalSnapshot, true);
  t.notOk(inst.inputs.finalSnapshotIdentifier);
  t.notOk(inst.inputs.maxAllocatedStorage, "storage autoscaling off when 0");
  t.equal(inst.inputs.port, 6432);
  t.equal(find("aws:rds/parameterGroup:ParameterGroup", "tmp-params").inputs.family, "postgres17");
  const rule = find("aws:ec2/securityGroup:SecurityGroup", "tmp-sg").inputs.ingress[0];
  t.equal(rule.fromPort, 6432);
  t.equal(rule.toPort, 6432);
});

t.test("rejects an unsupported engine and a database open to no security group", async (t) => {
  t.throws(() => database("bad1", "bad", { engineVersion: "15" }), /16 or 17/);
  t.throws(() => database("bad2", "bad", { allowedSecurityGroupIds: [] }), /security group/);
});
