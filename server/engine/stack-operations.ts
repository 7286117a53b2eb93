/**
 * The five stack operations of the engine port, each one `run(op, …)` in an
 * adapter: both engines extend this and implement only `run`.
 */
import type { Engine, RunOptions, RunResult, StackRequest } from "./port.js";

export type StackOperation = "up" | "preview" | "refresh" | "previewRefresh" | "destroy";

export abstract class StackOperations implements Pick<Engine, StackOperation> {
  protected abstract run(op: StackOperation, stack: StackRequest, opts: RunOptions): Promise<RunResult>;

  up(stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    return this.run("up", stack, opts);
  }
  preview(stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    return this.run("preview", stack, opts);
  }
  refresh(stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    return this.run("refresh", stack, opts);
  }
  previewRefresh(stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    return this.run("previewRefresh", stack, opts);
  }
  destroy(stack: StackRequest, opts: RunOptions): Promise<RunResult> {
    return this.run("destroy", stack, opts);
  }
}
