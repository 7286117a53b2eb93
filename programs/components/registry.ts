/**
 * The environment's own container registry: one ECR repository per app, the
 * only place the platform pulls images from (DESIGN §4.1). Immutable tags and
 * digests make "what runs" a fact; scan on push and a lifecycle policy keep
 * the repositories safe and small.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Tags } from "./tags.js";

export interface RegistryArgs {
  /** Repository name per app (from `names(spec).ecrRepository`); keys are app names. */
  readonly repositories: Record<string, string>;
  /** Delete repositories with their images on destroy (throwaway environments only). */
  readonly forceDelete?: pulumi.Input<boolean>;
  /** Untagged images (superseded pushes, layers of old indexes) expire after this many days. */
  readonly untaggedExpiryDays?: number;
  /** Keep at most this many images per repository. */
  readonly keepLastImages?: number;
  /** KMS key for image encryption; AES256 (ECR-managed) when unset. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Tags for every repository. */
  readonly tags?: Tags;
}

/** ECR lifecycle policy: expire untagged images after `days`, keep the last `keep` images. */
export function lifecyclePolicy(days: number, keep: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `expire untagged images after ${days} days`,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: days },
        action: { type: "expire" },
      },
      {
        // A tagStatus "any" rule must have the highest priority number.
        rulePriority: 2,
        description: `keep the last ${keep} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  });
}

export class Registry extends pulumi.ComponentResource {
  /** Repository URL per app: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
  public readonly repositoryUrls: pulumi.Output<Record<string, string>>;
  public readonly repositoryArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("goldenpath:aws:Registry", name, {}, opts);
    const days = args.untaggedExpiryDays ?? 14;
    const keep = args.keepLastImages ?? 30;
    if (!(Number.isInteger(days) && days >= 1) || !(Number.isInteger(keep) && keep >= 1)) {
      throw new pulumi.ResourceError(`untaggedExpiryDays (${days}) and keepLastImages (${keep}) must be positive integers`, this);
    }
    const urls: Record<string, pulumi.Output<string>> = {};
    const arns: Record<string, pulumi.Output<string>> = {};
    for (const [app, repoName] of Object.entries(args.repositories)) {
      const repo = new aws.ecr.Repository(`${name}-${app}`, {
        name: repoName,
        // Immutable: a tag, once pushed, always names the same image; the
        // platform deploys by digest anyway.
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [args.kmsKeyArn ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn } : { encryptionType: "AES256" }],
        forceDelete: args.forceDelete ?? false,
        tags: args.tags,
      }, { parent: this });
      new aws.ecr.LifecyclePolicy(`${name}-${app}-lifecycle`, { repository: repo.name, policy: lifecyclePolicy(days, keep) }, { parent: this });
      urls[app] = repo.repositoryUrl;
      arns[app] = repo.arn;
    }
    this.repositoryUrls = pulumi.output(urls);
    this.repositoryArns = pulumi.output(arns);
    this.registerOutputs({ repositoryUrls: this.repositoryUrls, repositoryArns: this.repositoryArns });
  }
}
