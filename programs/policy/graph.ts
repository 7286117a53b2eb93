/** Small queries over a plan graph shared by the rules. */
import type { RegisteredResource } from "../mock-runtime.js";
import type { PlanGraph } from "./types.js";

export function allResources(g: PlanGraph): RegisteredResource[] {
  return g.layers.flatMap((l) => l.resources);
}

export function ofType(g: PlanGraph, type: string | RegExp): RegisteredResource[] {
  return allResources(g).filter((r) => (typeof type === "string" ? r.type === type : type.test(r.type)));
}

/** Kubernetes custom resources of a kind (CustomResource registers as `kubernetes:<apiVersion>:<kind>`). */
export function ofKind(g: PlanGraph, kind: string): RegisteredResource[] {
  return allResources(g).filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`));
}

/** The URN of the stack of a layer, else of the first layer: where spec-level findings point. */
export function stackUrn(g: PlanGraph, layer?: string): string {
  return (g.layers.find((l) => l.name === layer) ?? g.layers[0])?.stackUrn ?? `urn:pulumi:${g.environment}::goldenpath::pulumi:pulumi:Stack::unknown`;
}

/** The outputs of the foundation layer, if it was planned. */
export function foundationOutputs(g: PlanGraph): Record<string, unknown> {
  return g.layers.find((l) => l.name === "foundation")?.outputs ?? {};
}

/** Whether `from` depends on `to`, directly or through other dependencies or ancestors' dependencies. */
export function dependsTransitively(g: PlanGraph, from: RegisteredResource, to: string): boolean {
  const byUrn = new Map(allResources(g).map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const stack = [from.urn];
  while (stack.length) {
    const u = stack.pop()!;
    if (seen.has(u)) continue;
    seen.add(u);
    const r = byUrn.get(u);
    if (!r) continue;
    if (r.dependsOn.includes(to)) return true;
    stack.push(...r.dependsOn);
    if (r.parent) stack.push(r.parent);
  }
  return false;
}

/** Read a dotted path from a values tree. */
export function at(v: unknown, path: string): unknown {
  let cur = v;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Visit every string leaf with its dotted path. */
export function walkStrings(v: unknown, visit: (path: string, s: string) => void, path = ""): void {
  if (typeof v === "string") visit(path, v);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, visit, path ? `${path}.${i}` : String(i)));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walkStrings(x, visit, path ? `${path}.${k}` : k);
}

/** The Helm release of an app (by release name). */
export function appRelease(g: PlanGraph, app: string): RegisteredResource | undefined {
  return ofType(g, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === app);
}
