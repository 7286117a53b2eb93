/**
 * How stored records are shown over HTTP. The admin-only error detail is
 * included only when the caller is an admin; secret outputs are masked
 * unless an admin asked for them.
 */
import { LAYERS, stackName } from "../../programs/layers/types.js";
import type { DriftStatus } from "../store/drift.js";
import type { EnvironmentRecord } from "../store/environments.js";
import type { OperationRecord } from "../store/operations.js";
import type { StackOutputs } from "../engine/port.js";

export const SECRET_MASK = "[secret]";

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function operationView(op: OperationRecord, opts: { admin?: boolean } = {}) {
  return {
    id: op.id,
    environment: op.environment,
    kind: op.kind,
    status: op.status,
    engine: op.engine as "pulumi" | "simulate",
    specRevision: op.specRevision,
    phases: op.phases,
    summary: op.summary,
    error: op.error,
    ...(opts.admin ? { errorDetail: op.errorDetail } : {}),
    requestedBy: op.requestedBy,
    cancelRequested: op.cancelRequested,
    createdAt: iso(op.createdAt)!,
    startedAt: iso(op.startedAt),
    finishedAt: iso(op.finishedAt),
    links: { self: `/v1/operations/${op.id}`, events: `/v1/operations/${op.id}/events`, cancel: `/v1/operations/${op.id}/cancel` },
  };
}

export function environmentSummaryView(env: EnvironmentRecord, last: OperationRecord | undefined, drift?: DriftStatus) {
  return {
    name: env.name,
    revision: env.revision,
    status: env.status,
    engine: env.engine as "pulumi" | "simulate",
    region: env.spec.aws.region,
    lastOperation: last ? { id: last.id, kind: last.kind, status: last.status, createdAt: iso(last.createdAt)!, finishedAt: iso(last.finishedAt) } : null,
    drift: drift ? { status: drift.status, checkedAt: iso(drift.checkedAt) } : { status: "unknown" as const, checkedAt: null },
    createdAt: iso(env.createdAt)!,
    updatedAt: iso(env.updatedAt)!,
  };
}

export function environmentDetailView(env: EnvironmentRecord, last: OperationRecord | undefined, outputs: Record<string, StackOutputs>, drift?: DriftStatus) {
  return {
    ...environmentSummaryView(env, last, drift),
    spec: env.spec as unknown as Record<string, unknown>,
    layers: LAYERS.map((layer) => ({ name: layer, stack: stackName(env.name, layer), outputs: Object.keys(outputs[layer] ?? {}).length })),
  };
}

export function outputsView(layers: Record<string, StackOutputs>, showSecrets: boolean) {
  const out: Record<string, Record<string, unknown>> = {};
  const secrets: string[] = [];
  for (const [layer, outputs] of Object.entries(layers)) {
    out[layer] = {};
    for (const [key, o] of Object.entries(outputs)) {
      if (o.secret) secrets.push(`${layer}.${key}`);
      out[layer][key] = o.secret && !showSecrets ? SECRET_MASK : o.value;
    }
  }
  return { layers: out, secrets };
}
