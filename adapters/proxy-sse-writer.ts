/**
 * Writes wire events to one response as SSE `data:` lines, with
 * backpressure. An upstream Observable cannot be paused, so while the
 * socket is congested (`write()` returned false, no `drain` yet) events wait
 * in a queue where consecutive deltas of one block are merged into one
 * event; the client rebuilds the same message from fewer, larger deltas.
 * If what waits still exceeds `maxBufferedBytes`, the stream is cancelled
 * rather than buffered without bound.
 */
import type { ProxyWireEvent } from "./proxy-wire.js";

/**
 * Where the frames go: node's `ServerResponse` as it is, or the fetch
 * handler's body stream (`./proxy-fetch.ts`). `write` returns false when the
 * reader is behind; `drain` says it caught up.
 */
export type SseTarget = {
  write(chunk: string): boolean;
  end(): unknown;
  readonly destroyed: boolean;
  once(event: "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
};

type DeltaEvent = Extract<ProxyWireEvent, { delta: string }>;

/** Options of an {@link SseWriter}. */
export type SseWriterOptions = {
  /** Most bytes allowed to wait for a slow client. */
  maxBufferedBytes: number;
  /** Applied to every serialised event (removes secrets). */
  redact: (text: string) => string;
  /** Called once when the client fell too far behind; the writer is already closed then. */
  onOverflow: () => void;
};

/** One SSE response being written. */
export class SseWriter {
  private readonly pending: ProxyWireEvent[] = [];
  private pendingBytes = 0;
  private congested = false;
  private closed = false;

  constructor(
    private readonly res: SseTarget,
    private readonly options: SseWriterOptions,
  ) {}

  /** True once `end` ran or the client went away. */
  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  /** Sends an event now, or queues it (merged when possible) until the client drains. */
  send(event: ProxyWireEvent): void {
    if (this.isClosed) return;
    if (!this.congested) {
      this.write(event);
      return;
    }
    const last = this.pending[this.pending.length - 1];
    if (last && "delta" in event && "delta" in last && last.type === event.type && last.contentIndex === event.contentIndex) {
      (last as DeltaEvent).delta += event.delta;
    } else {
      // Copy: a merged delta must not alter an object the caller still holds.
      this.pending.push({ ...event });
    }
    this.pendingBytes += "delta" in event ? event.delta.length + 8 : 64;
    if (this.pendingBytes > this.options.maxBufferedBytes) {
      this.pending.length = 0;
      this.pendingBytes = 0;
      this.end({
        type: "error",
        reason: "error",
        errorMessage: `Proxy: the client read too slowly (over ${this.options.maxBufferedBytes} bytes waiting); stream cancelled.`,
        usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
      });
      this.options.onOverflow();
    }
  }

  /** Writes what waits, then `last` (a terminal event), and ends the response. */
  end(last?: ProxyWireEvent): void {
    if (this.isClosed) return;
    this.closed = true;
    this.res.off("drain", this.flush);
    // Bounded by maxBufferedBytes; node writes it out after the congestion clears.
    for (const event of this.pending) this.res.write(this.frame(event));
    this.pending.length = 0;
    if (last) this.res.write(this.frame(last));
    this.res.end();
  }

  private write(event: ProxyWireEvent): void {
    if (!this.res.write(this.frame(event))) {
      this.congested = true;
      this.res.once("drain", this.flush);
    }
  }

  private readonly flush = (): void => {
    this.congested = false;
    let i = 0;
    while (i < this.pending.length && !this.congested && !this.isClosed) this.write(this.pending[i++]!);
    this.pending.splice(0, i);
    this.pendingBytes = 0;
    for (const event of this.pending) this.pendingBytes += "delta" in event ? event.delta.length + 8 : 64;
  };

  private frame(event: ProxyWireEvent): string {
    return `data: ${this.options.redact(JSON.stringify(event))}\n\n`;
  }
}
