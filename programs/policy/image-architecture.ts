/**
 * DESIGN §4.2: every image exists for the node groups' architecture. The
 * incident's `exec format error` was an arm64 image (pushed from an Apple
 * Silicon laptop) on amd64 nodes. The registry check itself is the mirror's;
 * here: a platform pin that differs from the node groups, and node groups
 * whose AMI type disagrees with their declared architecture.
 */
import type { Rule, Finding } from "./types.js";
import { allResources, appRelease, stackUrn } from "./graph.js";
import { AMI_TYPES, APPS, architectures, type Architecture } from "../spec.js";

export const RULE = "image-architecture";

const archOfAmi = (ami: unknown): Architecture | undefined =>
  (Object.entries(AMI_TYPES).find(([, v]) => v === ami)?.[0] as Architecture | undefined) ??
  (typeof ami === "string" ? (/ARM/.test(ami) ? "arm64" : /x86_64/.test(ami) ? "amd64" : undefined) : undefined);

export const imageArchitecture: Rule = (g, spec) => {
  const findings: Finding[] = [];
  const nodeGroups = allResources(g).filter((r) => /NodeGroup$/.test(r.type) && r.inputs.amiType !== undefined);
  const planned = new Set<Architecture>(architectures(spec));
  for (const ng of nodeGroups) {
    const arch = archOfAmi(ng.inputs.amiType);
    if (arch) planned.add(arch);
    const declared = spec.cluster.nodeGroups.find((s) => String(ng.inputs.nodeGroupName ?? ng.name).endsWith(s.name));
    if (declared && arch && arch !== declared.architecture) {
      findings.push({ rule: RULE, severity: "error", urn: ng.urn, message: `node group ${declared.name} is declared ${declared.architecture} but its amiType ${String(ng.inputs.amiType)} is ${arch}; set amiType ${AMI_TYPES[declared.architecture]}` });
    }
  }
  for (const app of APPS) {
    if (!spec.apps[app].enabled) continue;
    const pin = spec.images[app].platform;
    if (!pin) continue;
    const others = [...planned].filter((a) => `linux/${a}` !== pin);
    if (others.length) {
      findings.push({
        rule: RULE,
        severity: "error",
        urn: appRelease(g, app)?.urn ?? stackUrn(g, "platform"),
        message: `images.${app}.platform pins ${pin}, but node groups run ${others.map((a) => `linux/${a}`).join(", ")}: pods would fail with "exec format error". Remove the pin (goldenpath mirrors the node groups' architectures) or pin ${others.map((a) => `linux/${a}`).join(", ")}`,
      });
    }
  }
  return findings;
};
