/**
 * Tails the store for this replica: one dedicated connection LISTENs to the
 * notifications the store's triggers send on every event insert and every
 * operation status or cancel change, whichever replica wrote them (DESIGN
 * §8). A notification only says "look"; followers re-read the store, so a
 * notification lost while reconnecting costs latency, not data (followers
 * also poll slowly as a fallback).
 */
import { EventEmitter } from "node:events";
import pg from "pg";

/** A change of an operation's status or cancel flag, as notified. */
export interface OperationChange {
  id: string;
  status: string;
  cancelRequested: boolean;
}

export class EventBus {
  private client?: pg.Client;
  private readonly emitter = new EventEmitter();
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly connectionString: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    // One listener per SSE follower: many followers are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: "goldenpath-listen" });
    client.on("error", (err) => {
      this.onError(err);
      this.scheduleReconnect();
    });
    client.on("end", () => this.scheduleReconnect());
    client.on("notification", (n) => {
      const payload = n.payload ?? "";
      if (n.channel === "goldenpath_events") {
        const [id, seq] = payload.split(":");
        this.emitter.emit(`event:${id}`, Number(seq));
      } else if (n.channel === "goldenpath_operations") {
        const [id, status, cancel] = payload.split(":");
        const change: OperationChange = { id, status, cancelRequested: cancel === "true" };
        this.emitter.emit(`operation:${id}`, change);
        this.emitter.emit("operation", change);
      }
    });
    await client.connect();
    await client.query("LISTEN goldenpath_events");
    await client.query("LISTEN goldenpath_operations");
    this.client = client;
  }

  private scheduleReconnect() {
    if (this.stopped || this.reconnectTimer) return;
    this.client = undefined;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().catch((err) => {
        this.onError(err);
        this.scheduleReconnect();
      });
    }, 1000);
    this.reconnectTimer.unref();
  }

  /** New events of one operation (the seq just written). */
  onEvent(operationId: string, fn: (seq: number) => void): () => void {
    this.emitter.on(`event:${operationId}`, fn);
    return () => this.emitter.off(`event:${operationId}`, fn);
  }

  /** Status or cancel changes of one operation, or of all (`"*"`). */
  onOperation(operationId: string | "*", fn: (change: OperationChange) => void): () => void {
    const name = operationId === "*" ? "operation" : `operation:${operationId}`;
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = undefined;
    this.emitter.removeAllListeners();
    await c?.end().catch(() => {});
  }
}
