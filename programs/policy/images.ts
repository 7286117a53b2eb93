/** Find the container images a planned resource deploys (Helm values and pod specs). */
import type { RegisteredResource } from "../mock-runtime.js";
import { splitImage, type ImageParts } from "../components/values.js";

/** An image reference found in a resource's inputs. */
export interface FoundImage {
  /** Dotted path of the input holding it. */
  path: string;
  /** Reconstructed reference: `[registry/]repository[:tag][@digest]`. */
  ref: string;
  parts: ImageParts;
}

function fromObject(o: Record<string, unknown>): string | undefined {
  if (typeof o.repository !== "string" || !o.repository) return undefined;
  const registry = typeof o.registry === "string" && o.registry ? `${o.registry}/` : "";
  const tag = typeof o.tag === "string" && o.tag ? `:${o.tag}` : "";
  const digest = typeof o.digest === "string" && o.digest ? `@${o.digest}` : "";
  return `${registry}${o.repository}${tag}${digest}`;
}

/** Every `image` key (string, or `{registry, repository, tag, digest}` as charts take it). */
export function findImages(r: RegisteredResource): FoundImage[] {
  const out: FoundImage[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}.${i}`));
    if (!v || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (k === "image") {
        const ref = typeof x === "string" ? x : x && typeof x === "object" ? fromObject(x as Record<string, unknown>) : undefined;
        if (ref && ref !== "[secret]" && ref !== "[unknown]") {
          out.push({ path: p, ref, parts: splitImage(ref) });
          continue;
        }
      }
      walk(x, p);
    }
  };
  walk(r.inputs, "");
  return out;
}

/** Resources that deploy containers: Helm releases and Kubernetes workloads. */
export function deploysImages(r: RegisteredResource): boolean {
  return r.type === "kubernetes:helm.sh/v3:Release" || /^kubernetes:(apps|batch|core)\/v1:(Deployment|StatefulSet|DaemonSet|Job|CronJob|Pod)$/.test(r.type);
}
