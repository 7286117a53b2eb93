import t from "tap";
import { componentMocks } from "../../helpers/component-mocks.js";

const { resources, settle, resolve } = await componentMocks({
  calls: {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: ["eu-west-2a", "eu-west-2b", "eu-west-2c"], zoneIds: ["euw2-az1", "euw2-az2", "euw2-az3"] }),
  },
});
const { Network, cidrSubnet } = await import("../../../programs/components/network.js");

const ofType = (type: string, prefix: string) => resources.filter((r) => r.type === type && r.name.startsWith(prefix));

t.test("cidrSubnet carves deterministic, non-overlapping subnets", async (t) => {
  t.equal(cidrSubnet("10.0.0.0/16", 2, 0), "10.0.0.0/18");
  t.equal(cidrSubnet("10.0.0.0/16", 2, 2), "10.0.128.0/18");
  t.equal(cidrSubnet("10.0.0.0/16", 4, 12), "10.0.192.0/20");
  t.equal(cidrSubnet("10.20.0.0/20", 4, 14), "10.20.14.0/24");
  t.throws(() => cidrSubnet("10.0.0.0/26", 4, 0), /too small/);
});

t.test("new VPC: subnets over azCount AZs with EKS/ELB discovery tags, one NAT per AZ", async (t) => {
  const net = new Network("net", {
    clusterName: "dev-eks",
    newVpc: { cidr: "10.0.0.0/16", azCount: 3, natGateways: "one-per-az" },
    tags: { "goldenpath:environment": "dev" },
  });
  const [priv, pub, vpcId] = await Promise.all([resolve(net.privateSubnetIds), resolve(net.publicSubnetIds), resolve(net.vpcId)]);
  await settle();
  t.equal(vpcId, "net-vpc-id");
  t.same(priv, ["net-private-0-id", "net-private-1-id", "net-private-2-id"]);
  t.same(pub, ["net-public-0-id", "net-public-1-id", "net-public-2-id"]);

  const vpc = ofType("aws:ec2/vpc:Vpc", "net")[0];
  t.equal(vpc.inputs.cidrBlock, "10.0.0.0/16");
  t.equal(vpc.inputs.enableDnsHostnames, true);
  t.equal(vpc.inputs.tags["goldenpath:environment"], "dev");

  const subnets = ofType("aws:ec2/subnet:Subnet", "net");
  t.equal(subnets.length, 6);
  for (const s of subnets) {
    t.equal(s.inputs.tags["kubernetes.io/cluster/dev-eks"], "shared", `${s.name} has the cluster tag`);
    t.equal(s.inputs.tags["goldenpath:environment"], "dev", `${s.name} keeps the environment tags`);
    const isPublic = s.name.includes("public");
    t.equal(s.inputs.tags[isPublic ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"], "1", `${s.name} role tag`);
    t.notOk(s.inputs.tags[isPublic ? "kubernetes.io/role/internal-elb" : "kubernetes.io/role/elb"], `${s.name} has only its own role tag`);
  }
  t.same(new Set(subnets.map((s) => s.inputs.availabilityZone)), new Set(["eu-west-2a", "eu-west-2b", "eu-west-2c"]));
  t.equal(new Set(subnets.map((s) => s.inputs.cidrBlock)).size, 6, "subnet CIDRs are distinct");

  t.equal(ofType("aws:ec2/natGateway:NatGateway", "net").length, 3);
  t.equal(ofType("aws:ec2/internetGateway:InternetGateway", "net").length, 1);
  const privateRts = ofType("aws:ec2/routeTable:RouteTable", "net-private");
  t.same(privateRts.map((r) => r.inputs.routes[0].natGatewayId).sort(), ["net-nat-0-id", "net-nat-1-id", "net-nat-2-id"]);
  const publicRt = ofType("aws:ec2/routeTable:RouteTable", "net-public")[0];
  t.equal(publicRt.inputs.routes[0].gatewayId, "net-igw-id");
});

t.test("single NAT gateway is shared by every private route table", async (t) => {
  const net = new Network("one", { clusterName: "dev-eks", newVpc: { cidr: "10.1.0.0/16", azCount: 2, natGateways: "single" } });
  await resolve(net.privateSubnetIds);
  await settle();
  t.equal(ofType("aws:ec2/natGateway:NatGateway", "one").length, 1);
  const rts = ofType("aws:ec2/routeTable:RouteTable", "one-private");
  t.equal(rts.length, 2);
  t.ok(rts.every((r) => r.inputs.routes[0].natGatewayId === "one-nat-0-id"));
});

t.test("existing VPC: passes ids through and creates no network resources", async (t) => {
  const before = resources.length;
  const net = new Network("ext", {
    clusterName: "dev-eks",
    existingVpc: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-aaaaaaaa", "subnet-bbbbbbbb"], publicSubnetIds: ["subnet-cccccccc", "subnet-dddddddd"] },
  });
  t.equal(await resolve(net.vpcId), "vpc-0123456789abcdef0");
  t.same(await resolve(net.privateSubnetIds), ["subnet-aaaaaaaa", "subnet-bbbbbbbb"]);
  t.same(await resolve(net.publicSubnetIds), ["subnet-cccccccc", "subnet-dddddddd"]);
  await settle();
  const created = resources.slice(before).filter((r) => r.type.startsWith("aws:"));
  t.same(created, [], "no AWS resources in existing-VPC mode");
});

t.test("rejects both or neither of newVpc/existingVpc, and bad sizes", async (t) => {
  t.throws(() => new Network("bad1", { clusterName: "x" }), /exactly one/);
  t.throws(
    () => new Network("bad2", {
      clusterName: "x",
      newVpc: { cidr: "10.0.0.0/16", azCount: 2, natGateways: "single" },
      existingVpc: { vpcId: "vpc-1", privateSubnetIds: [], publicSubnetIds: [] },
    }),
    /exactly one/,
  );
  t.throws(() => new Network("bad3", { clusterName: "x", newVpc: { cidr: "10.0.0.0/26", azCount: 2, natGateways: "single" } }), /\/16 to \/24/);
});
