/**
 * Chart sources → `helm.v3.Release` arguments. A spec names a chart one of
 * three ways (DESIGN §2): a classic repository + name + version, an
 * `oci://` reference + version, or a local path (directory or .tgz on the
 * machine running Pulumi). Everything else about a Release is up to the
 * component that creates it.
 */
import type { ChartSource } from "../spec.js";

/** The chart-locating subset of `helm.v3.ReleaseArgs`. */
export interface ReleaseChartArgs {
  chart: string;
  version?: string;
  repositoryOpts?: { repo: string };
}

/** Map a spec chart source onto the Release's `chart`/`version`/`repositoryOpts`. */
export function releaseChartArgs(source: ChartSource): ReleaseChartArgs {
  if ("repo" in source) {
    return { chart: source.name, version: source.version, repositoryOpts: { repo: source.repo } };
  }
  if ("oci" in source) {
    // Helm takes the whole OCI reference as the chart name; a repositoryOpts.repo
    // would be prefixed to it and break the reference.
    return { chart: source.oci.replace(/\/+$/, ""), version: source.version };
  }
  // A local chart carries its own version in Chart.yaml; pinning it again here
  // would only make Helm refuse a chart someone bumped on purpose.
  return { chart: source.path };
}

/** A short label for outputs and messages: `codecentric/keycloakx@7.1.5`, `oci://…@1.0.0`, or the path. */
export function describeChart(source: ChartSource): string {
  if ("repo" in source) return `${source.repo.replace(/\/+$/, "")}/${source.name}@${source.version}`;
  if ("oci" in source) return `${source.oci}@${source.version}`;
  return source.path;
}

/** The chart's name as Helm knows it (last path element, without `.tgz`/version suffix). */
export function chartName(source: ChartSource): string {
  if ("repo" in source) return source.name;
  const last = ("oci" in source ? source.oci : source.path).replace(/\/+$/, "").split("/").pop() ?? "";
  return last.replace(/\.tgz$/, "").replace(/-\d+\.\d+\.\d+([-+][\w.-]+)?$/, "");
}
