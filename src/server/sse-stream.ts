/**
 * One client's SSE response body, web-standard (a ReadableStream of bytes),
 * with backpressure: a frame is enqueued while the stream's queue has room;
 * while the client is congested, frames wait here, consecutive deltas of one
 * block merged into one (as the proxy's writer does), and when what waits
 * exceeds `maxBufferedBytes` the stream ends: the client reconnects with its
 * last id and is served from the replay ring or a snapshot. So a slow client
 * costs bounded memory and never stalls the agent.
 */
import type { Frame } from "./session-hub.js";

/** Options of {@link sseStream}. */
export type SseStreamOptions = {
  /** The frames to send first (a snapshot, or a replay). */
  initial: Frame[];
  /** Subscribes to new frames; returns the unsubscribe function. */
  listen(send: (frame: Frame) => void): () => void;
  /** Prefix of every frame's id (`<epoch>-<seq>`). */
  epoch: string;
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** Bytes the runtime may hold for the socket before frames wait here. */
  highWaterMark?: number;
  /** Ends the stream when the client goes away (the request's signal). */
  signal?: AbortSignal;
};

const encoder = new TextEncoder();

/** The SSE body: frames, heartbeats, merging and the bound described in the module comment. */
export function sseStream(options: SseStreamOptions): ReadableStream<Uint8Array> {
  // A waiting merged delta keeps its pieces and is serialised once, when it leaves (merging stays linear).
  const waiting: { frame: Frame; pieces?: string[] }[] = [];
  let waitingBytes = 0;
  let cleanup = () => {};
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;

  const encode = (seq: number, name: string, json: string) => encoder.encode(`id: ${options.epoch}-${seq}\nevent: ${name}\ndata: ${json}\n\n`);

  const close = () => {
    if (closed) return;
    closed = true;
    cleanup();
    try {
      controller.close();
    } catch {
      // already closed or errored by the runtime
    }
  };

  const flush = () => {
    while (!closed && waiting.length > 0 && (controller.desiredSize ?? 0) > 0) {
      const { frame, pieces } = waiting.shift()!;
      let json = frame.json;
      if (pieces) {
        json = JSON.stringify({ type: "message_update", update: { ...frame.delta!, delta: pieces.join("") } });
        waitingBytes -= pieces.reduce((bytes, piece) => bytes + piece.length, 0);
      } else waitingBytes -= json.length;
      controller.enqueue(encode(frame.seq, frame.name, json));
    }
  };

  const send = (frame: Frame) => {
    if (closed) return;
    if (waiting.length === 0 && (controller.desiredSize ?? 0) > 0) {
      controller.enqueue(encode(frame.seq, frame.name, frame.json));
      return;
    }
    const last = waiting[waiting.length - 1];
    const delta = frame.delta;
    if (last?.frame.delta && delta && last.frame.delta.type === delta.type && last.frame.delta.contentIndex === delta.contentIndex) {
      // The merged frame takes the newer id: a client resuming after it has seen both.
      if (!last.pieces) {
        waitingBytes -= last.frame.json.length - last.frame.delta.delta.length;
        last.pieces = [last.frame.delta.delta];
      }
      last.pieces.push(delta.delta);
      last.frame = { ...last.frame, seq: frame.seq };
      waitingBytes += delta.delta.length;
    } else {
      waiting.push({ frame });
      waitingBytes += frame.json.length;
    }
    if (waitingBytes > options.maxBufferedBytes) close();
  };

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        // Something to send at once, so every runtime starts the response even when nothing was missed.
        controller.enqueue(encoder.encode(": connected\n\n"));
        for (const frame of options.initial) send(frame);
        const stopListening = options.listen(send);
        const heartbeat = setInterval(() => {
          if (waiting.length === 0 && (controller.desiredSize ?? 0) > 0) controller.enqueue(encoder.encode(": ping\n\n"));
        }, options.heartbeatMs);
        const onAbort = () => close();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        cleanup = () => {
          stopListening();
          clearInterval(heartbeat);
          options.signal?.removeEventListener("abort", onAbort);
        };
        if (options.signal?.aborted) close();
      },
      pull() {
        flush();
      },
      cancel() {
        closed = true;
        cleanup();
      },
    },
    { highWaterMark: options.highWaterMark ?? 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
