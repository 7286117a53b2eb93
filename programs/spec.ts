/**
 * The environment spec: one document per environment, used alike by the API
 * body, `stacks/*.yaml`, the CLI and the Pulumi programs.
 *
 * Every field has a default, so `{ name, aws: { region } }` is a whole spec.
 * Validation runs before anything is stored or run and reports field paths;
 * every AWS name derived from the spec is checked against its AWS limit here
 * (see `derivedNames`), so an overflow is a validation error, not an AWS
 * failure twenty minutes into an `up`.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";

/** Lowercase DNS-1123 label: Kubernetes names, and the prefix of every AWS name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** PostgreSQL identifiers we create (roles, databases): unquoted, lowercase. */
const PG_IDENT = /^[a-z_][a-z0-9_]*$/;
/** AWS account ids are twelve digits. */
const ACCOUNT_ID = /^\d{12}$/;
/** Region codes like eu-west-2, us-gov-west-1, ap-southeast-3. */
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;
/** Five-field cron (minute hour day-of-month month day-of-week). */
const CRON = /^(\S+\s+){4}\S+$/;
/** An image reference: [registry/]path[:tag][@sha256:digest]. Deep parsing lives in the mirror. */
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const ARCHITECTURES = ["amd64", "arm64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** EKS AMI type for each node architecture (AL2023; AL2 is end-of-life in 2025). */
export const AMI_TYPES: Record<Architecture, string> = {
  amd64: "AL2023_x86_64_STANDARD",
  arm64: "AL2023_ARM_64_STANDARD",
};

/** The applications the platform deploys; each has an image, an ECR repository and a database. */
export const APPS = ["keycloak", "backstage"] as const;
export type AppName = (typeof APPS)[number];

const NodeGroup = z
  .strictObject({
    /** Node group name; part of the EKS node group and its IAM role name. */
    name: z.string().regex(DNS_LABEL, "must be a lowercase DNS label").max(40),
    /** EC2 instance types; all must match `architecture`. */
    instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, "not an EC2 instance type")).min(1).default(["t3.large"]),
    /** CPU architecture of the nodes: drives `amiType`, and every image must exist for it. */
    architecture: z.enum(ARCHITECTURES).default("amd64"),
    minSize: z.number().int().min(0).max(100).default(2),
    desiredSize: z.number().int().min(0).max(100).default(2),
    maxSize: z.number().int().min(1).max(100).default(4),
    /** Root volume size in GiB. */
    diskSize: z.number().int().min(20).max(1000).default(50),
    capacityType: z.enum(["ON_DEMAND", "SPOT"]).default("ON_DEMAND"),
  })
  .superRefine((g, ctx) => {
    if (!(g.minSize <= g.desiredSize && g.desiredSize <= g.maxSize)) {
      ctx.addIssue({ code: "custom", path: ["desiredSize"], message: "sizes must satisfy minSize ≤ desiredSize ≤ maxSize" });
    }
    for (const [i, t] of g.instanceTypes.entries()) {
      const graviton = /^[a-z]+\d+[a-z]*g[a-z]*\./.test(t) && !/^(g\d|p\d)/.test(t);
      if (graviton !== (g.architecture === "arm64")) {
        ctx.addIssue({
          code: "custom",
          path: ["instanceTypes", i],
          message: `${t} is ${graviton ? "arm64 (Graviton)" : "x86_64"} but the node group's architecture is ${g.architecture}`,
        });
      }
    }
  });

const NewVpc = z.strictObject({
    /** CIDR of a new VPC. */
    cidr: z.cidrv4().default("10.0.0.0/16"),
    /** Availability zones to spread subnets (and NAT gateways) over. */
    azCount: z.number().int().min(2).max(3).default(2),
    /** One NAT gateway per AZ (prod) or one shared (cheaper). */
    natGateways: z.enum(["single", "one-per-az"]).default("single"),
});
const ExistingVpc = z.strictObject({
    /** An existing VPC to deploy into. */
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "not a VPC id"),
    privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet id")).min(2),
    publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet id")).min(2),
});
/** A new VPC (the default), or an existing one when `vpcId` is given. */
const Network = z.union([NewVpc, ExistingVpc]);

const Cluster = z.strictObject({
  /** Kubernetes version of the EKS control plane. */
  version: z.string().regex(/^1\.(2[89]|3\d)$/, "must be an EKS Kubernetes version 1.28–1.39").default("1.33"),
  nodeGroups: z
    .array(NodeGroup)
    .min(1)
    .prefault([{ name: "general" }])
    .superRefine((groups, ctx) => {
      const seen = new Set<string>();
      groups.forEach((g, i) => {
        if (seen.has(g.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate node group name ${g.name}` });
        seen.add(g.name);
      });
    }),
  /** CIDRs allowed to reach the public API endpoint; empty makes the endpoint private only. */
  endpointPublicAccessCidrs: z.array(z.cidrv4()).default(["0.0.0.0/0"]),
  /** IAM principals (roles/users) granted cluster admin through EKS access entries. */
  adminPrincipalArns: z.array(z.string().regex(ARN, "not an IAM ARN")).default([]),
});

const Application = z.strictObject({
  /** Which app's database this is (keycloak, backstage). */
  name: z.enum(APPS),
  /** PostgreSQL role the app logs in as. */
  user: z.string().regex(PG_IDENT, "must be a lowercase PostgreSQL identifier").max(63),
  /** Database owned by that role. */
  database: z.string().regex(PG_IDENT, "must be a lowercase PostgreSQL identifier").max(63),
  /** Create the database (else only the role). */
  createDatabase: z.boolean().default(true),
  /** Allow the role to create databases (Backstage creates one per plugin). */
  createDb: z.boolean().default(false),
});

const DEFAULT_APPLICATIONS: z.input<typeof Application>[] = [
  { name: "keycloak", user: "keycloak_app", database: "keycloak" },
  { name: "backstage", user: "backstage_app", database: "backstage", createDb: true },
];

const Database = z.strictObject({
  /** PostgreSQL major (or major.minor) version. */
  engineVersion: z.string().regex(/^(16|17)(\.\d+)?$/, "must be PostgreSQL 16 or 17").default("16"),
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "not an RDS instance class").default("db.t4g.medium"),
  /** GiB. */
  allocatedStorage: z.number().int().min(20).max(65536).default(20),
  /** Storage autoscaling ceiling in GiB (0 disables). */
  maxAllocatedStorage: z.number().int().min(0).max(65536).default(100),
  multiAz: z.boolean().default(false),
  /** Refuse deletes of the instance; turn off only for throwaway environments. */
  deletionProtection: z.boolean().default(true),
  /** Take a final snapshot when the instance is destroyed. */
  finalSnapshot: z.boolean().default(true),
  backupRetentionDays: z.number().int().min(0).max(35).default(7),
  port: z.number().int().min(1150).max(65535).default(5432),
  applications: z
    .array(Application)
    .prefault(DEFAULT_APPLICATIONS)
    .superRefine((apps, ctx) => {
      const users = new Set<string>();
      const dbs = new Set<string>();
      const names = new Set<string>();
      apps.forEach((a, i) => {
        if (names.has(a.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate application ${a.name}` });
        if (users.has(a.user)) ctx.addIssue({ code: "custom", path: [i, "user"], message: `duplicate user ${a.user}` });
        if (a.createDatabase && dbs.has(a.database)) ctx.addIssue({ code: "custom", path: [i, "database"], message: `duplicate database ${a.database}` });
        if (["postgres", "rdsadmin", "rds_superuser", "public"].includes(a.user)) {
          ctx.addIssue({ code: "custom", path: [i, "user"], message: `${a.user} is reserved by PostgreSQL/RDS` });
        }
        if (["postgres", "rdsadmin", "template0", "template1"].includes(a.database)) {
          ctx.addIssue({ code: "custom", path: [i, "database"], message: `${a.database} is reserved by PostgreSQL/RDS` });
        }
        names.add(a.name);
        users.add(a.user);
        dbs.add(a.database);
      });
    }),
  /**
   * How roles and databases are created: `provider` (@pulumi/postgresql from the
   * machine running Pulumi; needs network reach to RDS), `job` (an idempotent
   * Kubernetes Job inside the cluster), `auto` (provider when RDS answers on its
   * port from here, else job).
   */
  provisioner: z.enum(["auto", "provider", "job"]).default("job"),
});

const Image = z.strictObject({
  /** Source image to mirror into the environment's ECR (any registry). */
  source: z.string().regex(IMAGE_REF, "not an image reference (registry/repository:tag or @sha256:digest)"),
  /** Pin a platform (e.g. linux/arm64); must match the node groups' architectures. */
  platform: z.enum(["linux/amd64", "linux/arm64"]).optional(),
});

/** Default sources: the official Keycloak image and the Backstage project's image. */
export const DEFAULT_IMAGES: Record<AppName, string> = {
  keycloak: "quay.io/keycloak/keycloak:26.4.2",
  backstage: "ghcr.io/backstage/backstage:1.45.0",
};

/** Where a Helm chart comes from: a repository + name + version, an OCI reference, or a local path. */
const ChartSource = z.union([
  z.strictObject({
    repo: z.url({ protocol: /^https?$/ }),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "not a chart name"),
    version: z.string().regex(/^\d+\.\d+\.\d+([-+][\w.-]+)?$/, "must be an exact chart version (no ranges)"),
  }),
  z.strictObject({
    oci: z.string().regex(/^oci:\/\/[^\s]+$/, "must start with oci://"),
    version: z.string().regex(/^\d+\.\d+\.\d+([-+][\w.-]+)?$/, "must be an exact chart version (no ranges)"),
  }),
  z.strictObject({
    /** A chart directory or .tgz on the machine that runs Pulumi. */
    path: z.string().min(1),
  }),
]);
export type ChartSource = z.infer<typeof ChartSource>;

/** codecentric keycloakx: the chart made for the official Keycloak image. */
export const KEYCLOAKX_CHART = { repo: "https://codecentric.github.io/helm-charts", name: "keycloakx", version: "7.0.1" };
/** Bitnami's Keycloak chart (OCI), for `flavor: bitnami`; needs a Bitnami-layout image. */
export const BITNAMI_KEYCLOAK_CHART = { oci: "oci://registry-1.docker.io/bitnamicharts/keycloak", version: "24.4.0" };
export const BACKSTAGE_CHART = { repo: "https://backstage.github.io/charts", name: "backstage", version: "2.5.1" };

const Values = z.record(z.string(), z.unknown());

const Keycloak = z.strictObject({
  enabled: z.boolean().default(true),
  /** `keycloakx` (codecentric, official image) or `bitnami` (needs a Bitnami-layout image). */
  flavor: z.enum(["keycloakx", "bitnami"]).default("keycloakx"),
  /** Default follows the flavor: codecentric keycloakx, or Bitnami's chart (see `keycloakChart`). */
  chart: ChartSource.optional(),
  hostname: z.string().regex(HOSTNAME, "not a DNS hostname").optional(),
  replicas: z.number().int().min(1).max(10).default(1),
  /** Extra chart values, merged over the generated ones (never put secrets here). */
  values: Values.default({}),
});

const Backstage = z.strictObject({
  enabled: z.boolean().default(true),
  chart: ChartSource.default(BACKSTAGE_CHART),
  hostname: z.string().regex(HOSTNAME, "not a DNS hostname").optional(),
  replicas: z.number().int().min(1).max(10).default(1),
  values: Values.default({}),
});

const Ingress = z.strictObject({
  /** ACM certificate for the apps' hostnames; without it the ALB listens on HTTP only. */
  certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "not an ACM certificate ARN").optional(),
  /** Route53 hosted zone for DNS records of the apps' hostnames. */
  route53ZoneId: z.string().regex(/^Z[0-9A-Z]{1,31}$/, "not a Route53 zone id").optional(),
  scheme: z.enum(["internal", "internet-facing"]).default("internet-facing"),
});

const Drift = z.strictObject({
  /** Cron schedule of drift checks; unset uses the server default (every 6 hours). */
  schedule: z.string().regex(CRON, "must be a five-field cron expression").optional(),
  /** Queue an `up` with refresh when a check finds cloud drift. */
  remediate: z.boolean().default(false),
});

const Aws = z.strictObject({
  region: z.string().regex(REGION, "not an AWS region code"),
  /** Refuse to run in any other account. */
  allowedAccountIds: z.array(z.string().regex(ACCOUNT_ID, "must be a 12-digit AWS account id")).optional(),
});

const TagKey = z.string().min(1).max(128).refine((k) => !k.toLowerCase().startsWith("aws:"), "tag keys starting with aws: are reserved");

export const EnvironmentSpec = z
  .strictObject({
    /** Environment name: prefixes every AWS and Kubernetes name. */
    name: z.string().min(1).max(20).regex(DNS_LABEL, "must be a lowercase DNS-1123 label (a-z, 0-9, -)"),
    aws: Aws,
    network: Network.prefault({}),
    cluster: Cluster.prefault({}),
    database: Database.prefault({}),
    images: z
      .strictObject({
        keycloak: Image.prefault({ source: DEFAULT_IMAGES.keycloak }),
        backstage: Image.prefault({ source: DEFAULT_IMAGES.backstage }),
      })
      .prefault({}),
    apps: z.strictObject({ keycloak: Keycloak.prefault({}), backstage: Backstage.prefault({}) }).prefault({}),
    ingress: Ingress.prefault({}),
    /** Secrets are `<prefix>/<env>/<app>/db`. */
    secretsPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "lowercase letters, digits and - (up to 31)").default("goldenpath"),
    drift: Drift.prefault({}),
    /** Applied to every taggable AWS resource (plus goldenpath's own tags). */
    tags: z.record(TagKey, z.string().max(256)).default({}),
  })
  .superRefine((spec, ctx) => {
    for (const n of derivedNames(spec)) {
      if (n.value.length > n.limit) {
        ctx.addIssue({
          code: "custom",
          path: n.path,
          message: `derived ${n.what} "${n.value}" is ${n.value.length} characters; AWS allows ${n.limit}`,
        });
      }
    }
    const apps = new Set(spec.database.applications.map((a) => a.name));
    for (const app of APPS) {
      if (spec.apps[app].enabled && !apps.has(app)) {
        ctx.addIssue({ code: "custom", path: ["database", "applications"], message: `${app} is enabled but has no database application entry` });
      }
      const pin = spec.images[app].platform;
      if (pin) {
        const needed = new Set(spec.cluster.nodeGroups.map((g) => `linux/${g.architecture}`));
        if (!needed.has(pin) || needed.size > 1) {
          ctx.addIssue({
            code: "custom",
            path: ["images", app, "platform"],
            message: `${app} is pinned to ${pin} but the node groups run ${[...needed].join(", ")}`,
          });
        }
      }
      if (/(^|[/:])latest$/.test(spec.images[app].source.split("@")[0]) || !/[:@]/.test(spec.images[app].source.split("/").pop() ?? "")) {
        ctx.addIssue({ code: "custom", path: ["images", app, "source"], message: "pin a version tag or digest; `latest` (or no tag) is not allowed" });
      }
    }
    if (spec.ingress.route53ZoneId) {
      for (const app of APPS) {
        if (spec.apps[app].enabled && !spec.apps[app].hostname) {
          ctx.addIssue({ code: "custom", path: ["apps", app, "hostname"], message: "a hostname is required when ingress.route53ZoneId is set" });
        }
      }
    }
  });

/** The Keycloak chart to install: the spec's, else the default of its flavor. */
export function keycloakChart(keycloak: { flavor: "keycloakx" | "bitnami"; chart?: ChartSource }): ChartSource {
  return keycloak.chart ?? (keycloak.flavor === "bitnami" ? BITNAMI_KEYCLOAK_CHART : KEYCLOAKX_CHART);
}

/** A validated spec with every default filled in. */
export type EnvironmentSpec = z.infer<typeof EnvironmentSpec>;
/** What a user writes: every field but `name` and `aws.region` optional. */
export type EnvironmentSpecInput = z.input<typeof EnvironmentSpec>;
export type NodeGroupSpec = EnvironmentSpec["cluster"]["nodeGroups"][number];
export type ApplicationSpec = EnvironmentSpec["database"]["applications"][number];

/** An AWS/Kubernetes name derived from the spec, with its limit and the field that drives it. */
export interface DerivedName {
  what: string;
  value: string;
  limit: number;
  path: (string | number)[];
}

type NamingInput = Pick<EnvironmentSpec, "name" | "secretsPrefix"> & {
  cluster: { nodeGroups: { name: string }[] };
  database: { applications: { name: string }[] };
};

/**
 * Every AWS name the programs derive from the spec. Components take their
 * names from `names(spec)`, and validation checks each against its limit, so
 * the two cannot disagree.
 */
export function names(spec: Pick<EnvironmentSpec, "name" | "secretsPrefix">) {
  const env = spec.name;
  return {
    cluster: `${env}-eks`,
    rdsInstance: `${env}-postgres`,
    rdsParameterGroup: `${env}-postgres-tls`,
    rdsSubnetGroup: `${env}-postgres-subnets`,
    externalSecretsRole: `${env}-external-secrets-irsa`,
    loadBalancerRole: `${env}-aws-load-balancer-irsa`,
    clusterRole: `${env}-eks-cluster-role`,
    nodeGroup: (group: string) => `${env}-${group}`,
    nodeRole: (group: string) => `${env}-${group}-node-role`,
    ecrRepository: (app: string) => `${env}/${app}`,
    secret: (app: string) => `${spec.secretsPrefix}/${env}/${app}/db`,
    /** IAM resource pattern covering exactly this environment's secrets (ARNs end in -XXXXXX). */
    secretArnPattern: (region: string, account: string) =>
      `arn:aws:secretsmanager:${region}:${account}:secret:${spec.secretsPrefix}/${env}/*`,
  };
}

export function derivedNames(spec: NamingInput): DerivedName[] {
  const n = names(spec);
  const out: DerivedName[] = [
    { what: "EKS cluster name", value: n.cluster, limit: 100, path: ["name"] },
    { what: "RDS instance identifier", value: n.rdsInstance, limit: 63, path: ["name"] },
    { what: "RDS parameter group name", value: n.rdsParameterGroup, limit: 255, path: ["name"] },
    { what: "IAM role name", value: n.externalSecretsRole, limit: 64, path: ["name"] },
    { what: "IAM role name", value: n.loadBalancerRole, limit: 64, path: ["name"] },
    { what: "IAM role name", value: n.clusterRole, limit: 64, path: ["name"] },
  ];
  spec.cluster.nodeGroups.forEach((g, i) => {
    out.push({ what: "EKS node group name", value: n.nodeGroup(g.name), limit: 63, path: ["cluster", "nodeGroups", i, "name"] });
    out.push({ what: "IAM role name", value: n.nodeRole(g.name), limit: 64, path: ["cluster", "nodeGroups", i, "name"] });
  });
  spec.database.applications.forEach((a, i) => {
    out.push({ what: "ECR repository name", value: n.ecrRepository(a.name), limit: 256, path: ["database", "applications", i, "name"] });
    // Secrets Manager allows 512 characters, but the ARN adds a 7-character suffix
    // and External Secrets keys are Kubernetes-safe only up to 253.
    out.push({ what: "Secrets Manager secret name", value: n.secret(a.name), limit: 253, path: ["secretsPrefix"] });
  });
  return out;
}

/** A spec failed validation; `issues` carry field paths. */
export class SpecError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid environment spec: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`);
    this.name = "SpecError";
  }
}

/** Dotted field path as clients see it: `cluster.nodeGroups.0.name`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Validate an already-parsed document. Throws SpecError with field paths. */
export function validateSpec(doc: unknown): EnvironmentSpec {
  const r = EnvironmentSpec.safeParse(doc);
  if (!r.success) {
    let issues = r.error.issues;
    // zod reports a failed union against one branch; with `vpcId` present the
    // user meant an existing VPC, so report that branch's issues.
    const network = (doc as { network?: unknown } | null)?.network;
    if (network && typeof network === "object" && "vpcId" in network) {
      const inner = ExistingVpc.safeParse(network);
      const rest = issues.filter((i) => i.path[0] !== "network");
      issues = inner.success ? rest : [...rest, ...inner.error.issues.map((i) => ({ ...i, path: ["network", ...i.path] }))];
    }
    throw new SpecError(
      issues.flatMap((i) =>
        // zod reports unknown keys on the parent object; name each key's own path.
        i.code === "unrecognized_keys"
          ? i.keys.map((k) => ({ path: fieldPath([...i.path, k]), message: `unknown field ${k}` }))
          : [{ path: fieldPath(i.path), message: i.message }],
      ),
    );
  }
  return r.data;
}

/** Parse YAML or JSON text (JSON is YAML) and validate it. */
export function parseSpec(text: string): EnvironmentSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text, { strict: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError([{ path: "", message: `not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}` }]);
  }
  return validateSpec(doc);
}

/** The node group architectures every image must exist for. */
export function architectures(spec: Pick<EnvironmentSpec, "cluster">): Architecture[] {
  return [...new Set(spec.cluster.nodeGroups.map((g) => g.architecture))].sort() as Architecture[];
}
