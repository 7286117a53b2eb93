/**
 * A deterministic model of what AWS, Kubernetes, Helm, PostgreSQL and
 * `@pulumi/random` return for the resources the layers create: ids, ARNs,
 * endpoints, generated passwords. Same inputs → same outputs, so plans are
 * stable and tests can recompute any value (including the "known secret
 * values" that must never show up in plan output).
 *
 * Values look real (ARN shapes, the 6-character Secrets Manager suffix, the
 * `rds!db-<uuid>` master secret) because policy rules and components parse
 * them the way they would parse the real thing.
 */
import { createHash } from "node:crypto";
import type { MockHooks, MockResourceResult, RegisteredResource } from "./mock-runtime.js";
import { APPS, names, type EnvironmentSpec } from "./spec.js";
import type { FoundationOutputs, PlatformInputs } from "./layers/types.js";

/** Where the modelled cloud lives. */
export interface CloudContext {
  /** Environment name (the stack prefix); part of some generated names. */
  environment: string;
  /** Defaults to 123456789012. */
  accountId?: string;
  /** Defaults to eu-west-2 (the incident's region). */
  region?: string;
}

export const DEFAULT_ACCOUNT_ID = "123456789012";
export const DEFAULT_REGION = "eu-west-2";

/** Hex digest of the parts: the seed of every generated value. */
export function hash(...parts: unknown[]): string {
  return createHash("sha256").update(parts.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join("\u0000")).digest("hex");
}

/** `n` characters from `alphabet`, derived from the seed (looks random, is not). */
function pick(seed: string, n: number, alphabet: string): string {
  let out = "";
  let block = seed;
  while (out.length < n) {
    block = hash(block);
    for (let i = 0; i + 1 < block.length && out.length < n; i += 2) {
      out += alphabet[parseInt(block.slice(i, i + 2), 16) % alphabet.length];
    }
  }
  return out;
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const HEX = "0123456789abcdef";

function uuid(seed: string): string {
  const h = hash("uuid", seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The `result` of a `random:index/randomPassword:RandomPassword` (or
 * RandomString) named `name` with these inputs. Tests call this to know
 * which values must never be printed.
 */
export function randomResult(name: string, inputs: Record<string, unknown>): string {
  const length = typeof inputs.length === "number" ? inputs.length : 16;
  let alphabet = "";
  if (inputs.lower !== false) alphabet += LOWER;
  if (inputs.upper !== false) alphabet += UPPER;
  if (inputs.numeric !== false && inputs.number !== false) alphabet += DIGITS;
  const special = inputs.special !== false && inputs.special !== undefined ? String(inputs.overrideSpecial ?? "!#$%&*()-_=+[]{}<>:?") : "";
  alphabet += special;
  if (!alphabet) alphabet = LOWER;
  return pick(`random:${name}:${length}`, length, alphabet);
}

/** The password RDS generates for its managed master secret. */
export function masterPassword(ctx: CloudContext, identifier: string): string {
  return pick(`rds-master:${account(ctx)}:${region(ctx)}:${identifier}`, 28, LOWER + UPPER + DIGITS);
}

/** The bearer token a modelled `aws eks get-token` would hand out (kubeconfig tokens). */
export function clusterToken(ctx: CloudContext, clusterName: string): string {
  return `k8s-aws-v1.${pick(`eks-token:${account(ctx)}:${region(ctx)}:${clusterName}`, 40, LOWER + UPPER + DIGITS)}`;
}

const account = (ctx: CloudContext) => ctx.accountId ?? DEFAULT_ACCOUNT_ID;
const region = (ctx: CloudContext) => ctx.region ?? DEFAULT_REGION;

/** `<account>.dkr.ecr.<region>.amazonaws.com` */
export function ecrRegistry(ctx: CloudContext): string {
  return `${account(ctx)}.dkr.ecr.${region(ctx)}.amazonaws.com`;
}

/** The modelled cluster's API endpoint, OIDC issuer and certificate. */
export function clusterModel(ctx: CloudContext, clusterName: string) {
  const id = hash("eks", account(ctx), region(ctx), clusterName).slice(0, 32).toUpperCase();
  const endpoint = `https://${id}.gr7.${region(ctx)}.eks.amazonaws.com`;
  const oidcIssuer = `https://oidc.eks.${region(ctx)}.amazonaws.com/id/${id}`;
  const certificateAuthority = Buffer.from(`-----BEGIN CERTIFICATE-----\n${pick(`ca:${id}`, 64, LOWER + UPPER + DIGITS)}\n-----END CERTIFICATE-----\n`).toString("base64");
  const clusterSecurityGroupId = `sg-${pick(`cluster-sg:${id}`, 17, HEX)}`;
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [
      {
        name: clusterName,
        user: {
          // A resolved token stands in for the exec plugin's output so that tests can
          // check the kubeconfig (a secret) never leaks into plan output.
          token: clusterToken(ctx, clusterName),
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region(ctx), "--output", "json"],
          },
        },
      },
    ],
  };
  return {
    endpoint,
    oidcIssuer,
    oidcProviderUrl: oidcIssuer.replace(/^https:\/\//, ""),
    oidcProviderArn: `arn:aws:iam::${account(ctx)}:oidc-provider/${oidcIssuer.replace(/^https:\/\//, "")}`,
    certificateAuthority,
    clusterSecurityGroupId,
    nodeSecurityGroupId: `sg-${pick(`node-sg:${id}`, 17, HEX)}`,
    arn: `arn:aws:eks:${region(ctx)}:${account(ctx)}:cluster/${clusterName}`,
    kubeconfig,
    kubeconfigJson: JSON.stringify(kubeconfig),
  };
}

/** Every secret value the model has generated in this process (random results, master passwords, kubeconfigs). */
const generatedSecrets = new Set<string>();

/** Values a plan must never print; the "no secret in plain inputs" rule looks for them. */
export function knownSecretValues(): string[] {
  return [...generatedSecrets];
}

function remember<T extends string>(v: T): T {
  if (v.length >= 8) generatedSecrets.add(v);
  return v;
}

const str = (v: unknown, fallback: string) => (typeof v === "string" && v ? v : fallback);

/** Physical name: the explicit `name` input, else Pulumi's auto-name (logical name + 7 hex chars). */
function physicalName(r: RegisteredResource, raw: Record<string, unknown>, key = "name"): string {
  return str(raw[key], `${r.name}-${hash("autoname", r.urn).slice(0, 7)}`);
}

/** Outputs for a custom (or remote component) resource. */
export function modelResource(ctx: CloudContext, r: RegisteredResource, raw: Record<string, unknown>): MockResourceResult {
  const acct = account(ctx);
  const reg = region(ctx);
  const seed = r.urn;
  const hex = (n: number) => pick(`${seed}:hex`, n, HEX);
  const base = { ...raw };
  const tagsAll = raw.tags && typeof raw.tags === "object" ? { tagsAll: raw.tags } : {};
  const arn = (service: string, resource: string, global = false) =>
    `arn:aws:${service}:${global ? "" : reg}:${acct}:${resource}`;
  const t = r.type;

  if (t.startsWith("pulumi:providers:")) return { id: uuid(seed), state: base };

  switch (t) {
    case "aws:ec2/vpc:Vpc": {
      const id = `vpc-${hex(17)}`;
      return { id, state: { ...base, ...tagsAll, arn: arn("ec2", `vpc/${id}`), defaultSecurityGroupId: `sg-${pick(`${seed}:dsg`, 17, HEX)}`, mainRouteTableId: `rtb-${pick(`${seed}:rtb`, 17, HEX)}`, ownerId: acct } };
    }
    case "aws:ec2/subnet:Subnet": {
      const id = `subnet-${hex(17)}`;
      return { id, state: { ...base, ...tagsAll, arn: arn("ec2", `subnet/${id}`), availabilityZone: str(raw.availabilityZone, `${reg}a`), ownerId: acct } };
    }
    case "aws:ec2/internetGateway:InternetGateway":
      return { id: `igw-${hex(17)}`, state: { ...base, ...tagsAll, ownerId: acct } };
    case "aws:ec2/eip:Eip": {
      const n = parseInt(hash(seed).slice(0, 6), 16);
      return { id: `eipalloc-${hex(17)}`, state: { ...base, ...tagsAll, allocationId: `eipalloc-${hex(17)}`, publicIp: `18.${130 + (n % 40)}.${(n >> 8) % 256}.${n % 256}`, domain: "vpc" } };
    }
    case "aws:ec2/natGateway:NatGateway":
      return { id: `nat-${hex(17)}`, state: { ...base, ...tagsAll, privateIp: `10.0.${parseInt(hex(2), 16)}.${parseInt(hex(4).slice(2), 16) % 250}` } };
    case "aws:ec2/routeTable:RouteTable":
      return { id: `rtb-${hex(17)}`, state: { ...base, ...tagsAll, ownerId: acct } };
    case "aws:ec2/routeTableAssociation:RouteTableAssociation":
      return { id: `rtbassoc-${hex(17)}`, state: base };
    case "aws:ec2/route:Route":
      return { id: `r-${str(raw.routeTableId, "rtb")}${hash(raw.destinationCidrBlock ?? "").slice(0, 8)}`, state: base };
    case "aws:ec2/securityGroup:SecurityGroup": {
      const id = `sg-${hex(17)}`;
      return { id, state: { ...base, ...tagsAll, name: physicalName(r, raw), arn: arn("ec2", `security-group/${id}`), ownerId: acct } };
    }
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      return { id: `sgrule-${pick(seed, 10, DIGITS)}`, state: base };
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
    case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
      const id = `sgr-${hex(17)}`;
      return { id, state: { ...base, ...tagsAll, arn: arn("ec2", `security-group-rule/${id}`), securityGroupRuleId: id } };
    }
    case "aws:ecr/repository:Repository": {
      const name = physicalName(r, raw);
      return { id: name, state: { ...base, ...tagsAll, name, arn: arn("ecr", `repository/${name}`), registryId: acct, repositoryUrl: `${ecrRegistry(ctx)}/${name}` } };
    }
    case "aws:ecr/lifecyclePolicy:LifecyclePolicy":
      return { id: str(raw.repository, r.name), state: { ...base, registryId: acct } };
    case "aws:rds/parameterGroup:ParameterGroup":
    case "aws:rds/subnetGroup:SubnetGroup": {
      const name = physicalName(r, raw);
      const kind = t.includes("parameter") ? "pg" : "subgrp";
      return { id: name, state: { ...base, ...tagsAll, name, arn: arn("rds", `${kind}:${name}`) } };
    }
    case "aws:rds/instance:Instance": {
      const identifier = physicalName(r, raw, "identifier");
      const port = typeof raw.port === "number" ? raw.port : 5432;
      const address = `${identifier}.${pick(`${acct}:${reg}:rds`, 12, LOWER + DIGITS)}.${reg}.rds.amazonaws.com`;
      const secretArn = arn("secretsmanager", `secret:rds!db-${uuid(`${seed}:master`)}-${pick(`${seed}:sfx`, 6, LOWER + UPPER + DIGITS)}`);
      const resourceId = `db-${pick(`${seed}:rid`, 26, UPPER + DIGITS)}`;
      remember(masterPassword(ctx, identifier));
      return {
        id: identifier,
        state: {
          ...base, ...tagsAll, identifier, address, port, endpoint: `${address}:${port}`, resourceId,
          arn: arn("rds", `db:${identifier}`), hostedZoneId: "Z1TTGA775OQIYO", status: "available",
          username: str(raw.username, "postgres"),
          masterUserSecrets: raw.manageMasterUserPassword
            ? [{ secretArn, secretStatus: "active", kmsKeyId: arn("kms", `key/${uuid(`${seed}:kms`)}`) }]
            : [],
        },
      };
    }
    case "aws:secretsmanager/secret:Secret": {
      const name = physicalName(r, raw);
      const a = arn("secretsmanager", `secret:${name}-${pick(`${seed}:sfx`, 6, LOWER + UPPER + DIGITS)}`);
      return { id: a, state: { ...base, ...tagsAll, name, arn: a } };
    }
    case "aws:secretsmanager/secretVersion:SecretVersion": {
      const versionId = uuid(seed);
      return { id: `${str(raw.secretId, "secret")}|${versionId}`, state: { ...base, arn: str(raw.secretId, ""), versionId, versionStages: ["AWSCURRENT"] } };
    }
    case "aws:iam/role:Role": {
      const name = physicalName(r, raw);
      return { id: name, state: { ...base, ...tagsAll, name, arn: arn("iam", `role/${name}`, true), uniqueId: `AROA${pick(seed, 17, UPPER + DIGITS)}` } };
    }
    case "aws:iam/policy:Policy": {
      const name = physicalName(r, raw);
      const a = arn("iam", `policy/${name}`, true);
      return { id: a, state: { ...base, ...tagsAll, name, arn: a, policyId: `ANPA${pick(seed, 17, UPPER + DIGITS)}` } };
    }
    case "aws:iam/rolePolicy:RolePolicy":
      return { id: `${str(raw.role, "role")}:${physicalName(r, raw)}`, state: base };
    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
      return { id: `${str(raw.role, "role")}-${hash(seed).slice(0, 20)}`, state: base };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
      const url = str(raw.url, "https://oidc").replace(/^https:\/\//, "");
      return { id: arn("iam", `oidc-provider/${url}`, true), state: { ...base, arn: arn("iam", `oidc-provider/${url}`, true) } };
    }
    case "aws:eks/cluster:Cluster": {
      const name = physicalName(r, raw);
      const c = clusterModel(ctx, name);
      return {
        id: name,
        state: {
          ...base, ...tagsAll, name, arn: c.arn, endpoint: c.endpoint, status: "ACTIVE",
          certificateAuthority: { data: c.certificateAuthority },
          identities: [{ oidcs: [{ issuer: c.oidcIssuer }] }],
          vpcConfig: { ...(raw.vpcConfig as object), clusterSecurityGroupId: c.clusterSecurityGroupId },
        },
      };
    }
    case "aws:eks/nodeGroup:NodeGroup":
      return { id: `${str(raw.clusterName, "cluster")}:${physicalName(r, raw, "nodeGroupName")}`, state: { ...base, ...tagsAll, arn: arn("eks", `nodegroup/${str(raw.clusterName, "cluster")}/${physicalName(r, raw, "nodeGroupName")}/${uuid(seed)}`), status: "ACTIVE" } };
    case "aws:eks/accessEntry:AccessEntry":
    case "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
    case "aws:eks/addon:Addon":
      return { id: `${str(raw.clusterName, "cluster")}#${hash(seed).slice(0, 12)}`, state: base };
    case "eks:index:Cluster": {
      const name = str(raw.name, `${r.name}-eksCluster-${hash("autoname", seed).slice(0, 7)}`);
      const c = clusterModel(ctx, name);
      remember(c.kubeconfigJson);
      remember(c.kubeconfig.users[0].user.token);
      return {
        id: "",
        state: {
          kubeconfig: c.kubeconfig,
          kubeconfigJson: c.kubeconfigJson,
          clusterSecurityGroupId: c.clusterSecurityGroupId,
          nodeSecurityGroupId: c.nodeSecurityGroupId,
          oidcProviderArn: c.oidcProviderArn,
          oidcProviderUrl: c.oidcProviderUrl,
          oidcIssuer: c.oidcIssuer,
          eksClusterName: name,
          core: {
            cluster: { name, arn: c.arn, endpoint: c.endpoint, certificateAuthority: { data: c.certificateAuthority }, vpcConfig: { clusterSecurityGroupId: c.clusterSecurityGroupId } },
            endpoint: c.endpoint,
            clusterSecurityGroupId: c.clusterSecurityGroupId,
            oidcProvider: { arn: c.oidcProviderArn, url: c.oidcProviderUrl },
            vpcId: raw.vpcId,
            subnetIds: [...((raw.privateSubnetIds as string[]) ?? []), ...((raw.publicSubnetIds as string[]) ?? [])],
          },
        },
      };
    }
    case "eks:index:ManagedNodeGroup":
      return { id: "", state: { nodeGroup: { ...raw, status: "ACTIVE", arn: arn("eks", `nodegroup/${str(raw.clusterName, "cluster")}/${str(raw.nodeGroupName, r.name)}/${uuid(seed)}`) } } };
    case "aws:route53/record:Record":
      return { id: `${str(raw.zoneId, "Z")}_${str(raw.name, r.name)}_${str(raw.type, "A")}`, state: { ...base, fqdn: str(raw.name, r.name) } };
    case "random:index/randomPassword:RandomPassword": {
      const result = remember(randomResult(r.name, raw));
      return { id: "none", state: { ...base, result, bcryptHash: `$2a$10$${pick(`${seed}:bcrypt`, 53, LOWER + UPPER + DIGITS + "./")}` } };
    }
    case "random:index/randomString:RandomString":
      return { id: "none", state: { ...base, result: remember(randomResult(r.name, raw)) } };
    case "random:index/randomId:RandomId": {
      const n = typeof raw.byteLength === "number" ? raw.byteLength : 8;
      const h = hash("randomId", seed).slice(0, n * 2);
      return { id: Buffer.from(h, "hex").toString("base64url"), state: { ...base, hex: h, b64Url: Buffer.from(h, "hex").toString("base64url"), dec: BigInt(`0x${h}`).toString() } };
    }
    case "random:index/randomUuid:RandomUuid": {
      const u = uuid(seed);
      return { id: u, state: { ...base, result: u } };
    }
    case "kubernetes:helm.sh/v3:Release": {
      const name = physicalName(r, raw);
      const namespace = str(raw.namespace, "default");
      return { id: `${namespace}/${name}`, state: { ...base, name, namespace, status: { name, namespace, chart: raw.chart, version: raw.version, revision: 1, status: "deployed", appVersion: raw.version } } };
    }
  }

  if (t.startsWith("kubernetes:")) {
    const meta = (raw.metadata as Record<string, unknown>) ?? {};
    const name = str(meta.name, `${r.name}-${hash("autoname", seed).slice(0, 8)}`);
    const cluster = /:(Namespace|ClusterRole|ClusterRoleBinding|CustomResourceDefinition|ClusterSecretStore|StorageClass|IngressClass)$/.test(t);
    const namespace = cluster ? undefined : str(meta.namespace, "default");
    return {
      id: namespace ? `${namespace}/${name}` : name,
      state: { ...base, metadata: { ...meta, name, ...(namespace ? { namespace } : {}), uid: uuid(seed), resourceVersion: "1", generation: 1 } },
    };
  }
  if (t.startsWith("postgresql:")) return { id: str(raw.name, r.name), state: base };
  if (t.startsWith("aws:")) {
    const service = t.split(":")[1].split("/")[0];
    const name = physicalName(r, raw);
    return { id: name, state: { ...base, ...tagsAll, arn: arn(service, `${t.split(":")[2].toLowerCase()}/${name}`) } };
  }
  return { id: `${r.name}-${hash(seed).slice(0, 8)}`, state: base };
}

/** Data sources and provider functions. */
export function modelCall(ctx: CloudContext, token: string, args: Record<string, unknown>): Record<string, unknown> {
  const acct = account(ctx);
  const reg = region(ctx);
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: acct, arn: `arn:aws:iam::${acct}:role/goldenpath-operator`, userId: `AROA${pick(acct, 17, UPPER + DIGITS)}:goldenpath`, id: acct };
    case "aws:index/getRegion:getRegion":
      return { name: reg, region: reg, id: reg, endpoint: `ec2.${reg}.amazonaws.com`, description: reg };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const names = ["a", "b", "c"].map((s) => `${reg}${s}`);
      return { names, zoneIds: names.map((_, i) => `${reg.replace(/-/g, "").slice(0, 3)}${reg.split("-")[1].slice(0, 1)}${reg.slice(-1)}-az${i + 1}`), id: reg, state: "available", groupNames: [reg] };
    }
    case "aws:secretsmanager/getSecretVersion:getSecretVersion": {
      const secretId = str(args.secretId, "secret");
      const identifier = /rds!db-/.test(secretId) ? secretId : secretId;
      return {
        arn: secretId, id: `${secretId}|AWSCURRENT`, secretId, versionId: uuid(secretId), versionStage: "AWSCURRENT", versionStages: ["AWSCURRENT"],
        secretString: JSON.stringify({ username: "postgres", password: remember(masterPassword(ctx, identifier)) }),
      };
    }
    case "aws:iam/getPolicyDocument:getPolicyDocument": {
      const statements = ((args.statements as Record<string, unknown>[]) ?? []).map((s) => ({
        Effect: s.effect ?? "Allow",
        ...(s.sid ? { Sid: s.sid } : {}),
        ...(s.actions ? { Action: s.actions } : {}),
        ...(s.resources ? { Resource: s.resources } : {}),
        ...(s.principals ? { Principal: Object.fromEntries((s.principals as { type: string; identifiers: string[] }[]).map((p) => [p.type, p.identifiers])) } : {}),
        ...(s.conditions ? { Condition: Object.fromEntries((s.conditions as { test: string; variable: string; values: string[] }[]).map((c) => [c.test, { [c.variable]: c.values }])) } : {}),
      }));
      const json = JSON.stringify({ Version: "2012-10-17", Statement: statements });
      return { json, minifiedJson: json, id: hash(json).slice(0, 10) };
    }
    case "aws:eks/getClusterAuth:getClusterAuth":
      return { name: args.name, id: args.name, token: remember(clusterToken(ctx, str(args.name, "cluster"))) };
  }
  return { ...args };
}

/** Hooks that answer from this model (the default of `runUnderMocks`). */
export function mockHooks(ctx: CloudContext): Required<MockHooks> {
  return {
    newResource: async (r, raw) => modelResource(ctx, r, raw),
    call: async (token, args) => modelCall(ctx, token, args),
  };
}

/** The cloud context of a spec: its region, and its first allowed account (else the default). */
export function cloudContext(spec: Pick<EnvironmentSpec, "name" | "aws">): Required<CloudContext> {
  return { environment: spec.name, region: spec.aws.region, accountId: spec.aws.allowedAccountIds?.[0] ?? DEFAULT_ACCOUNT_ID };
}

/** A fake mirror digest: `sha256:<sha256 of the source reference>` (stable per source). */
export function fakeDigest(source: string): string {
  return `sha256:${hash("mirror", source)}`;
}

/**
 * The foundation's outputs as the model would produce them for this spec:
 * the fallback for any key a planned foundation did not return (and the
 * whole input when only the platform layer is planned without a foundation).
 */
export function modelFoundationOutputs(spec: EnvironmentSpec, ctx: CloudContext = cloudContext(spec)): FoundationOutputs {
  const n = names(spec);
  const acct = account(ctx);
  const reg = region(ctx);
  const c = clusterModel(ctx, n.cluster);
  const apps = spec.database.applications.map((a) => a.name);
  const sid = (kind: string, i: number) => `${kind}-${pick(`${spec.name}:${kind}:${i}`, 17, HEX)}`;
  const azs = "azCount" in spec.network ? spec.network.azCount : 2;
  const address = `${n.rdsInstance}.${pick(`${acct}:${reg}:rds`, 12, LOWER + DIGITS)}.${reg}.rds.amazonaws.com`;
  return {
    region: reg,
    accountId: acct,
    vpcId: "vpcId" in spec.network ? spec.network.vpcId : sid("vpc", 0),
    privateSubnetIds: "privateSubnetIds" in spec.network ? spec.network.privateSubnetIds : Array.from({ length: azs }, (_, i) => sid("subnet", i)),
    publicSubnetIds: "publicSubnetIds" in spec.network ? spec.network.publicSubnetIds : Array.from({ length: azs }, (_, i) => sid("subnet", 10 + i)),
    clusterName: n.cluster,
    clusterEndpoint: c.endpoint,
    kubeconfig: remember(c.kubeconfigJson),
    oidcProviderArn: c.oidcProviderArn,
    oidcProviderUrl: c.oidcProviderUrl,
    clusterSecurityGroupId: c.clusterSecurityGroupId,
    ecrRegistry: ecrRegistry(ctx),
    ecrRepositoryUrls: Object.fromEntries(apps.map((a) => [a, `${ecrRegistry(ctx)}/${n.ecrRepository(a)}`])),
    dbAddress: address,
    dbPort: spec.database.port,
    dbInstanceIdentifier: n.rdsInstance,
    dbMasterSecretArn: `arn:aws:secretsmanager:${reg}:${acct}:secret:rds!db-${uuid(`${n.rdsInstance}:master`)}-${pick(`${n.rdsInstance}:sfx`, 6, LOWER + UPPER + DIGITS)}`,
    dbMasterUsername: "postgres",
    appSecretNames: Object.fromEntries(apps.map((a) => [a, n.secret(a)])),
    appSecretArns: Object.fromEntries(apps.map((a) => [a, `arn:aws:secretsmanager:${reg}:${acct}:secret:${n.secret(a)}-${pick(`${n.secret(a)}:sfx`, 6, LOWER + UPPER + DIGITS)}`])),
    externalSecretsRoleArn: `arn:aws:iam::${acct}:role/${n.externalSecretsRole}`,
    loadBalancerControllerRoleArn: `arn:aws:iam::${acct}:role/${n.loadBalancerRole}`,
  };
}

/**
 * The platform layer's inputs in a plan: the planned foundation's raw
 * outputs (modelled values fill any gap) and fake mirror digests.
 */
export function platformInputsFor(spec: EnvironmentSpec, foundationRaw: Record<string, unknown> | undefined, ctx: CloudContext = cloudContext(spec)): PlatformInputs {
  const model = modelFoundationOutputs(spec, ctx);
  const raw = foundationRaw ?? {};
  const foundation = Object.fromEntries(
    Object.entries(model).map(([k, v]) => [k, raw[k] !== undefined && raw[k] !== null ? raw[k] : v]),
  ) as unknown as FoundationOutputs;
  if (typeof foundation.kubeconfig !== "string") foundation.kubeconfig = JSON.stringify(foundation.kubeconfig);
  const images: PlatformInputs["images"] = {};
  for (const app of APPS) {
    const repository = foundation.ecrRepositoryUrls[app];
    if (repository) images[app] = { repository, digest: fakeDigest(spec.images[app].source) };
  }
  return { foundation, images, databaseReachable: false };
}
