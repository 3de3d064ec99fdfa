/**
 * One proxied stream: the upstream's events, redacted, as wire frames on an
 * {@link SseTarget}, with the idle and total timeouts, and the upstream
 * cancelled the moment the client is gone or the stream must stop. Shared by
 * the node server and the fetch handler.
 */
import { defer, Subject, takeUntil } from "rxjs";
import type { Model, StreamFn } from "../src/core/types.js";
import { emptyUsage } from "./assistant-message-builder.js";
import type { ProxyRedactor } from "./proxy-redact.js";
import { SseWriter } from "./proxy-sse-writer.js";
import type { SseTarget } from "./proxy-sse-writer.js";
import { toWireEvent } from "./proxy-wire.js";
import type { ProxyRequest } from "./proxy-wire.js";

/** What {@link pipeUpstream} needs. */
export type PipeSettings = {
  target: SseTarget;
  upstream: StreamFn;
  model: Model;
  request: ProxyRequest;
  apiKey: string | undefined;
  redaction: ProxyRedactor;
  maxBufferedBytes: number;
  upstreamIdleTimeoutMs: number;
  upstreamTimeoutMs: number;
};

/** A stream in flight. */
export type PipedStream = {
  /** The response closed (ended, or the client went away): stop the upstream if it still runs, clear the timers. */
  closed(): void;
  /** The server is closing: stop the upstream and end the client's stream with an `aborted` error event. */
  shutdown(): void;
};

/** Starts streaming `settings.upstream` to `settings.target`. */
export function pipeUpstream(settings: PipeSettings): PipedStream {
  const { redaction, upstreamIdleTimeoutMs, upstreamTimeoutMs } = settings;
  const controller = new AbortController();
  let terminal = false;
  // takeUntil unsubscribes the upstream even in the middle of a synchronous burst.
  const cancelled$ = new Subject<void>();
  let cancelled = false;
  const writer = new SseWriter(settings.target, { maxBufferedBytes: settings.maxBufferedBytes, redact: (text) => redaction.text(text), onOverflow: cancel });
  const fail = (reason: "error" | "aborted", errorMessage: string) => {
    terminal = true;
    for (const held of redaction.flushAll()) writer.send(held);
    writer.end({ type: "error", reason, errorMessage: redaction.errorText(errorMessage), usage: emptyUsage() });
  };

  // The upstream gets `upstreamIdleTimeoutMs` between events and `upstreamTimeoutMs` in all.
  const giveUp = (text: string) => {
    if (terminal || cancelled) return;
    cancel();
    fail("error", text);
  };
  const idleTimer = setTimeout(
    () => giveUp(`Proxy: the upstream sent nothing for ${upstreamIdleTimeoutMs} ms (upstreamIdleTimeoutMs); stream cancelled.`),
    upstreamIdleTimeoutMs,
  );
  const totalTimer = setTimeout(
    () => giveUp(`Proxy: the upstream stream took longer than ${upstreamTimeoutMs} ms (upstreamTimeoutMs); stream cancelled.`),
    upstreamTimeoutMs,
  );

  const { upstream, model, request, apiKey } = settings;
  const source = defer(() => upstream(model, request.context, { ...request.options, ...(apiKey ? { apiKey } : {}), signal: controller.signal }));
  source.pipe(takeUntil(cancelled$)).subscribe({
    next(event) {
      idleTimer.refresh();
      const wire = toWireEvent(event);
      if (!wire || terminal || cancelled) return;
      for (const out of redaction.events(wire)) {
        if (out.type === "done" || out.type === "error") {
          terminal = true;
          writer.end(out);
        } else writer.send(out);
      }
    },
    error(error: unknown) {
      if (!terminal && !cancelled) fail("error", `Upstream failed: ${error instanceof Error ? error.message : String(error)}`);
    },
    complete() {
      if (!terminal && !cancelled) fail("error", "Upstream ended without a terminal event.");
    },
  });

  function cancel(): void {
    if (cancelled) return;
    cancelled = true;
    // Unsubscribe first: an upstream answering the abort signal must not get its own terminal event through.
    cancelled$.next();
    controller.abort();
  }

  return {
    closed() {
      clearTimeout(idleTimer);
      clearTimeout(totalTimer);
      // The client went away before the end: stop the upstream request at once.
      if (!terminal) cancel();
      else cancelled$.next();
    },
    shutdown() {
      cancel();
      if (!terminal) fail("aborted", "Proxy server is shutting down.");
    },
  };
}
