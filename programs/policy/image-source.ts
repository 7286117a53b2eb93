/**
 * DESIGN §4.1: images come from the environment's own ECR, pinned by digest
 * (or an immutable tag there); never `latest`, never Docker Hub at deploy
 * time. The incident's "Manifest Not Found" was `docker.io/bitnami/*` tags
 * that moved; its `exec format error`, a `latest` pushed from a laptop.
 */
import type { Rule, Finding } from "./types.js";
import { allResources } from "./graph.js";
import { deploysImages, findImages } from "./images.js";
import { APPS } from "../spec.js";

export const RULE = "image-source";

export const imageSource: Rule = (g) => {
  const findings: Finding[] = [];
  const ownRegistry = `${g.accountId}.dkr.ecr.${g.region}.amazonaws.com`;
  const immutableRepos = new Set(
    allResources(g)
      .filter((r) => r.type === "aws:ecr/repository:Repository" && r.inputs.imageTagMutability === "IMMUTABLE")
      .map((r) => String(r.inputs.name)),
  );
  for (const r of allResources(g).filter(deploysImages)) {
    const isApp = r.type === "kubernetes:helm.sh/v3:Release" && (APPS as readonly string[]).includes(String(r.inputs.name));
    for (const img of findImages(r)) {
      const { registry, repository, tag, digest } = img.parts;
      const where = `${img.path} of ${r.name}`;
      if (!digest && (!tag || tag === "latest")) {
        findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `${where} is ${img.ref}: \`latest\` (or no tag) changes under you; pin a digest (@sha256:…) of the image mirrored into ECR` });
        continue;
      }
      if (registry === "docker.io") {
        findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `${where} pulls ${img.ref} from Docker Hub at deploy time (rate limits; Bitnami's versioned tags moved to bitnamilegacy in 2025); set images.<app>.source and let goldenpath mirror it into ${ownRegistry}` });
        continue;
      }
      const own = registry === ownRegistry;
      if (isApp && !own) {
        findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `${where} is ${img.ref}, not the environment's ECR mirror (${ownRegistry}); remove the image override from apps.${r.inputs.name}.values and set images.${r.inputs.name}.source instead` });
      } else if (own && !digest && !immutableRepos.has(repository)) {
        findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `${where} is ${img.ref}: a tag in a mutable repository can be overwritten; pin the digest` });
      } else if (!own && !digest) {
        findings.push({ rule: RULE, severity: "error", urn: r.urn, message: `${where} is ${img.ref} from ${registry} by tag; pin a digest or mirror it into ${ownRegistry}` });
      } else if (!own) {
        findings.push({ rule: RULE, severity: "warning", urn: r.urn, message: `${where} is pulled from ${registry} at deploy time (pinned by digest); mirror it into ${ownRegistry} to remove the external dependency` });
      }
    }
  }
  return findings;
};
