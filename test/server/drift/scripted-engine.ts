/**
 * A scripted engine at the port (not a test file): answers drift questions
 * from `script`, instantly, so tests of scheduling, notifications and
 * metrics need no child process. Named `simulate` so the image service
 * simulates images instead of reaching a registry.
 */
import { EngineError, emptySummary, type Engine, type ResourceChange, type RunResult } from "../../../server/engine/port.js";

export interface Script {
  cloud: Partial<Record<"foundation" | "platform", ResourceChange[]>>;
  pending: Partial<Record<"foundation" | "platform", ResourceChange[]>>;
  /** previewRefresh throws this when set. */
  fail?: EngineError;
}

export function scriptedEngine(script: Script): Engine & { calls: string[] } {
  const calls: string[] = [];
  const result = (changes: ResourceChange[] = []): RunResult => ({ summary: { ...emptySummary(), update: changes.length }, changes });
  const outputs = { vpcId: { value: "vpc-1", secret: false }, clusterName: { value: "c", secret: false } };
  return {
    name: "simulate",
    calls,
    async ensureReady() {},
    async up(s, o) {
      calls.push(`up:${s.layer}:${o.refresh ? "refresh" : "plain"}`);
      return { ...result(), outputs: s.layer === "foundation" ? outputs : {} };
    },
    async preview(s) {
      calls.push(`preview:${s.layer}`);
      return result(script.pending[s.layer]);
    },
    async refresh(s) {
      calls.push(`refresh:${s.layer}`);
      return result();
    },
    async previewRefresh(s) {
      calls.push(`previewRefresh:${s.layer}`);
      if (script.fail) throw script.fail;
      return result(script.cloud[s.layer]);
    },
    async destroy(s) {
      calls.push(`destroy:${s.layer}`);
      return result();
    },
    async outputs() {
      return outputs;
    },
    async recover() {
      return { clearedPendingOperations: [], lockReleased: false };
    },
    async close() {},
  };
}

export const RDS_DRIFT: ResourceChange = { urn: "urn:pulumi:x-foundation::goldenpath::aws:rds/instance:Instance::db", type: "aws:rds/instance:Instance", change: "update", properties: ["publiclyAccessible"] };
