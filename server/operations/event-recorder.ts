/**
 * Stores an operation's events one by one, in order, as they happen: the
 * engine's callback is synchronous, so writes are chained and `flush()`
 * waits for them. Whatever a crash interrupts, every event written before it
 * is in the store.
 */
import type { Pool } from "../store/db.js";
import { appendEvent } from "../store/events.js";

export class EventRecorder {
  private seq: number;
  private chain: Promise<void> = Promise.resolve();
  private failure?: Error;

  constructor(
    private readonly pool: Pool,
    private readonly operationId: string,
    lastSeq = 0,
  ) {
    this.seq = lastSeq;
  }

  record(kind: string, data: Record<string, unknown>): void {
    const seq = ++this.seq;
    this.chain = this.chain.then(() =>
      appendEvent(this.pool, this.operationId, seq, kind, data).catch((err: Error) => {
        this.failure ??= err;
      }),
    );
  }

  /** Wait for every event recorded so far to be stored; throws if one could not be. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }
}
