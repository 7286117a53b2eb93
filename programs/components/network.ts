/**
 * The environment's network: a new VPC (public and private subnets over 2–3
 * AZs, an internet gateway, NAT gateway(s), route tables, and the subnet tags
 * EKS and the AWS Load Balancer Controller discover subnets by), or an existing
 * VPC given by ids, in which case nothing is created.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { type Tags, withTags } from "./tags.js";

/** A new VPC. Counts are plain values: they decide how many resources exist. */
export interface NewVpcArgs {
  /** IPv4 CIDR of the VPC, /16 to /24. */
  readonly cidr: string;
  /** Availability zones to spread subnets over (2–3). */
  readonly azCount: number;
  /** One NAT gateway shared by all private subnets, or one per AZ. */
  readonly natGateways: "single" | "one-per-az";
}

/** An existing VPC and its subnets; subnets must already carry the EKS/ELB discovery tags. */
export interface ExistingVpcArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
}

export interface NetworkArgs {
  /** EKS cluster name, for the `kubernetes.io/cluster/<name>` subnet tag. */
  readonly clusterName: pulumi.Input<string>;
  /** Exactly one of `newVpc` and `existingVpc`. */
  readonly newVpc?: NewVpcArgs;
  readonly existingVpc?: ExistingVpcArgs;
  /** Tags for every resource created. */
  readonly tags?: Tags;
}

/**
 * Subnet `netnum` of size /(prefix+newbits) inside `cidr` (Terraform's
 * cidrsubnet): keeps subnet layout deterministic without an invoke.
 */
export function cidrSubnet(cidr: string, newbits: number, netnum: number): string {
  const [addr, len] = cidr.split("/");
  const prefix = Number(len) + newbits;
  if (prefix > 28) throw new Error(`${cidr} is too small to split into /${prefix} subnets`);
  const base = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const start = base - (base % 2 ** (32 - Number(len))) + netnum * size;
  const octets = [24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256);
  return `${octets.join(".")}/${prefix}`;
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:aws:Network", name, {}, opts);
    if (!!args.newVpc === !!args.existingVpc) {
      throw new pulumi.ResourceError("give exactly one of newVpc and existingVpc", this);
    }
    if (args.existingVpc) {
      this.vpcId = pulumi.output(args.existingVpc.vpcId);
      this.privateSubnetIds = pulumi.output(args.existingVpc.privateSubnetIds);
      this.publicSubnetIds = pulumi.output(args.existingVpc.publicSubnetIds);
    } else {
      const v = args.newVpc!;
      const len = Number(v.cidr.split("/")[1]);
      if (!(len >= 16 && len <= 24)) throw new pulumi.ResourceError(`VPC CIDR ${v.cidr} must be /16 to /24`, this);
      if (!(v.azCount >= 2 && v.azCount <= 3)) throw new pulumi.ResourceError(`azCount ${v.azCount} must be 2 or 3`, this);
      const created = this.createVpc(name, args, v);
      this.vpcId = created.vpcId;
      this.privateSubnetIds = created.privateSubnetIds;
      this.publicSubnetIds = created.publicSubnetIds;
    }
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }

  private createVpc(name: string, args: NetworkArgs, v: NewVpcArgs) {
    const parent = { parent: this };
    const tag = (n: string, extra: Record<string, pulumi.Input<string>> = {}) => withTags(args.tags, { Name: n, ...extra });
    const clusterTag = pulumi.output(args.clusterName).apply((c) => `kubernetes.io/cluster/${c}`);
    const subnetTags = (n: string, role: string) =>
      pulumi.all([withTags(args.tags, { Name: n, [role]: "1" }), clusterTag]).apply(([t, k]) => ({ ...t, [k]: "shared" }));

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: v.cidr,
      enableDnsHostnames: true, // EKS nodes and the RDS endpoint need DNS names
      enableDnsSupport: true,
      tags: tag(`${name}-vpc`),
    }, parent);
    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, parent).names;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag(`${name}-igw`) }, parent);

    const publicRt = new aws.ec2.RouteTable(`${name}-public-rt`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: tag(`${name}-public-rt`),
    }, parent);

    const publicSubnets: aws.ec2.Subnet[] = [];
    const privateSubnets: aws.ec2.Subnet[] = [];
    const nats: aws.ec2.NatGateway[] = [];
    for (let i = 0; i < v.azCount; i++) {
      const az = azs.apply((names) => {
        if (names.length < v.azCount) throw new Error(`region has ${names.length} available AZs; azCount is ${v.azCount}`);
        return names[i];
      });
      // Private subnets hold nodes and pods (the VPC CNI gives pods VPC IPs), so
      // they get three quarters of the space; public ones only load balancers and NAT.
      const pub = new aws.ec2.Subnet(`${name}-public-${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(v.cidr, 4, 12 + i),
        mapPublicIpOnLaunch: false,
        tags: subnetTags(`${name}-public-${i}`, "kubernetes.io/role/elb"),
      }, parent);
      const priv = new aws.ec2.Subnet(`${name}-private-${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(v.cidr, 2, i),
        tags: subnetTags(`${name}-private-${i}`, "kubernetes.io/role/internal-elb"),
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}-rta`, { subnetId: pub.id, routeTableId: publicRt.id }, parent);
      publicSubnets.push(pub);
      privateSubnets.push(priv);

      if (i === 0 || v.natGateways === "one-per-az") {
        const eip = new aws.ec2.Eip(`${name}-nat-${i}-eip`, { domain: "vpc", tags: tag(`${name}-nat-${i}`) }, { parent: this, dependsOn: [igw] });
        nats.push(new aws.ec2.NatGateway(`${name}-nat-${i}`, {
          allocationId: eip.id,
          subnetId: pub.id,
          connectivityType: "public",
          tags: tag(`${name}-nat-${i}`),
        }, { parent: this, dependsOn: [igw] }));
      }
      const nat = nats[v.natGateways === "one-per-az" ? i : 0];
      const privateRt = new aws.ec2.RouteTable(`${name}-private-${i}-rt`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
        tags: tag(`${name}-private-${i}-rt`),
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}-rta`, { subnetId: priv.id, routeTableId: privateRt.id }, parent);
    }
    return {
      vpcId: vpc.id,
      privateSubnetIds: pulumi.all(privateSubnets.map((s) => s.id)),
      publicSubnetIds: pulumi.all(publicSubnets.map((s) => s.id)),
    };
  }
}
