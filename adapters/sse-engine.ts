/**
 * The one SSE request engine every HTTP provider runs on: one `fetch` per
 * attempt, the body decoded and fed to eventsource-parser, each `data:` parsed
 * once and handed to the provider's {@link SseDecoder}; retries with rxjs
 * `retry` (backoff, `retry-after`); abort, unsubscribe and the idle watchdog
 * all cancel the request. A provider file only maps its request and its events.
 */
import { createParser } from "eventsource-parser";
import { defer, Observable, retry, timer } from "rxjs";
import { redactValues, secretHeaderValues } from "../src/core/redact.js";
import type { AssistantMessageEvent, Model, StreamOptions } from "../src/core/types.js";
import { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { type ApiKeySource, backoffDelay, httpFailure, networkFailure, readFailure, StreamFailure } from "./http-errors.js";

/** {@link StreamOptions} plus knobs of the HTTP adapters. */
export type HttpStreamOptions = StreamOptions & {
  /** First backoff delay in ms when the server gives no `retry-after` (default 500; doubles per attempt, with jitter). */
  retryBaseDelayMs?: number;
};

/** A ready-to-send request. */
export type WireRequest = { url: string; headers: Record<string, string>; body: string; keySource: ApiKeySource };

/**
 * A provider's event mapping for one attempt. `event` gets each SSE event's
 * parsed JSON (`[DONE]` sets `done` itself); it throws a {@link StreamFailure}
 * for a provider error. `end` finishes the builder, or throws when the stream
 * stopped before the model did.
 */
export type SseDecoder = {
  event(data: unknown, name: string | undefined): void;
  /** True once the provider said the message is complete: the engine stops reading. */
  readonly done: boolean;
  /** True once the model finished but trailing events (usage) may follow: the engine waits {@link FINISH_GRACE_MS} more. */
  readonly finishing?: boolean;
  /** `sawEndMarker`: the stream sent `data: [DONE]`. */
  end(sawEndMarker: boolean): void;
  /** A whole JSON body, when a server ignored `stream: true`; without it such a body is an error. */
  json?(body: unknown): void;
};

/**
 * A provider: its request, and a fresh decoder per attempt. `retryAfterMs`
 * reads the wait a provider states in an HTTP error body rather than a
 * `retry-after` header (Gemini's `RetryInfo.retryDelay`).
 */
export type SseProtocol = {
  request: WireRequest;
  decoder(builder: AssistantMessageBuilder): SseDecoder;
  retryAfterMs?(errorBody: string): number | undefined;
};

/** Without `idleTimeoutMs`, a stream that sends no data for 5 minutes is given up (long enough for silent reasoning). */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** How long trailing events may take after the model finished without the stream's end marker. */
export const FINISH_GRACE_MS = 2_000;
/** The largest single SSE event accepted (a bigger one is an attack or a broken server). */
export const MAX_EVENT_CHARS = 16 * 1024 * 1024;
const ABORTED_MESSAGE = "The request was aborted.";
const QUOTE = 120;

/**
 * Streams one assistant message with `protocol`. Cold: each subscription
 * makes its own request. Never errors: provider trouble ends in one terminal
 * `error` event, then completion.
 */
export function streamSse(model: Model, options: HttpStreamOptions, protocol: () => SseProtocol): Observable<AssistantMessageEvent> {
  return new Observable<AssistantMessageEvent>((subscriber) => {
    const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (event) => subscriber.next(event));
    const end = (reason: "error" | "aborted", message: string) => {
      builder.fail(reason, message);
      subscriber.complete();
    };
    const signal = options.signal;
    if (signal?.aborted) {
      end("aborted", ABORTED_MESSAGE);
      return;
    }
    let built: SseProtocol;
    try {
      built = protocol();
    } catch (error) {
      end("error", error instanceof Error ? error.message : String(error));
      return;
    }
    const baseDelay = options.retryBaseDelayMs ?? 500;
    const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    let retries = 0;
    const run = defer(() => attempt(built, builder, model, idleMs))
      .pipe(
        retry({
          count: options.maxRetries ?? 2,
          delay: (error: unknown, attemptNo: number) => {
            if (!(error instanceof StreamFailure) || !error.retryable || builder.hasContent) throw error;
            retries = attemptNo;
            const delayMs = error.retryAfterMs ?? backoffDelay(attemptNo, baseDelay);
            subscriber.next({ type: "retry", attempt: attemptNo, delayMs, reason: error.message });
            return timer(delayMs);
          },
        }),
      )
      .subscribe({
        error: (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          const tries =
            retries > 0 && error instanceof StreamFailure && error.retryable ? ` (gave up after ${retries} ${retries === 1 ? "retry" : "retries"})` : "";
          end("error", message + tries);
        },
        complete: () => subscriber.complete(),
      });
    // Aborting tears the attempt down (cancelling the fetch or the retry wait) and keeps the partial message.
    const onAbort = () => {
      run.unsubscribe();
      end("aborted", ABORTED_MESSAGE);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    return () => {
      signal?.removeEventListener("abort", onAbort);
      run.unsubscribe();
    };
  });
}

/** One HTTP attempt as an Observable: completes when the message ended, errors with a {@link StreamFailure}. */
function attempt(protocol: SseProtocol, builder: AssistantMessageBuilder, model: Model, idleMs: number): Observable<never> {
  return new Observable<never>((subscriber) => {
    const controller = new AbortController();
    let finished = false;
    readResponse(protocol, builder, model, controller, idleMs).then(
      () => {
        finished = true;
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    // A call that ended by itself has read or cancelled its body: no abort, which would build a DOMException and wake fetch's listeners.
    return () => {
      if (!finished) controller.abort();
    };
  });
}

async function readResponse(protocol: SseProtocol, builder: AssistantMessageBuilder, model: Model, controller: AbortController, idleMs: number): Promise<void> {
  const { request } = protocol;
  const { url } = request;
  // What the server echoes of our credentials is redacted before any text is cut to a quote.
  const secrets = secretHeaderValues(request.headers);
  const scrub = (text: string) => redactValues(text, secrets);
  const idle = idleMs > 0 ? watchIdle(idleMs, controller) : undefined;
  const idleFailure = () => new StreamFailure(`No data from ${url} for ${idleMs} ms (idleTimeoutMs); gave up waiting.`);
  let grace: ReturnType<typeof setTimeout> | undefined;
  try {
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers: request.headers, body: request.body, signal: controller.signal, redirect: "manual" });
    } catch (error) {
      throw idle?.fired ? idleFailure() : networkFailure(error, url);
    }
    idle?.touch();
    // Redirects are not followed: a 307/308 to another host would resend the prompt and the key there.
    if (response.status >= 300 && response.status < 400) {
      throw new StreamFailure(
        `${url} answered with a redirect (HTTP ${response.status}) to ${response.headers.get("location") ?? "nowhere"}; redirects are not followed: set the model's baseUrl to the address that answers.`,
      );
    }
    if (!response.ok) {
      const text = scrub(await response.text().catch(() => ""));
      const bodyRetryAfterMs = protocol.retryAfterMs?.(text);
      throw httpFailure(response.status, response.headers, text, { url, modelId: model.id, keySource: request.keySource, bodyRetryAfterMs });
    }
    if (!response.body) throw new StreamFailure(`The response from ${url} has no body.`);

    const decoder = protocol.decoder(builder);
    if (response.headers.get("content-type")?.includes("application/json")) {
      // A server that ignored `stream: true` answered with one whole body.
      const text = await response.text();
      if (!decoder.json) throw new StreamFailure(`The response from ${url} is JSON, not an event stream: ${quote(scrub(text))}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new StreamFailure(`The response from ${url} is neither an event stream nor JSON: ${quote(scrub(text))}`);
      }
      decoder.json(body);
      return decoder.end(false);
    }
    let sawDone = false;
    let sawData = false; // an event arrived in the chunk being fed
    let pending = 0; // characters fed since the last complete event
    const parser = createParser({
      onEvent: ({ event, data }) => {
        pending = 0;
        if (sawDone || decoder.done) return;
        // Only data counts as liveness: keep-alive comments do not defeat the idle watchdog (touched once per chunk read).
        sawData = true;
        if (data === "[DONE]") {
          sawDone = true;
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(data);
        } catch {
          throw new StreamFailure(`The provider sent a chunk that is not JSON: ${quote(scrub(data))}`);
        }
        // `data: null` or a bare number is valid JSON but no event.
        if (typeof value !== "object" || value === null) throw new StreamFailure(`The provider sent a chunk that is not a JSON object: ${quote(scrub(data))}`);
        decoder.event(value, event);
      },
    });
    const reader = response.body.getReader();
    const text = new TextDecoder();
    const feed = (chunk: string) => {
      pending += chunk.length;
      if (pending > MAX_EVENT_CHARS) throw new StreamFailure(`The provider sent an event larger than ${MAX_EVENT_CHARS} characters; gave up reading ${url}.`);
      parser.feed(chunk);
      if (sawData) {
        sawData = false;
        idle?.touch();
      }
    };
    try {
      for (;;) {
        const result = await reader.read().catch((error: unknown) => {
          throw idle?.fired ? idleFailure() : readFailure(error, url, builder.hasContent);
        });
        if (result.done) break;
        feed(text.decode(result.value, { stream: true }));
        if (sawDone || decoder.done) break;
        // Finished but no end marker yet: trailing usage may still come, briefly.
        if (decoder.finishing && grace === undefined) grace = setTimeout(() => reader.cancel().catch(() => {}), FINISH_GRACE_MS);
      }
      // A last event without its blank line still counts.
      feed(text.decode());
      parser.reset({ consume: true });
    } finally {
      // Stop the body (and the socket) once we are done with it, for the end marker or a failure alike.
      reader.cancel().catch(() => {});
    }
    decoder.end(sawDone);
  } finally {
    clearTimeout(grace);
    idle?.stop();
  }
}

/** The start of `text`, for an error message. */
export function quote(text: string): string {
  return JSON.stringify(text.length > QUOTE ? `${text.slice(0, QUOTE)}…` : text);
}

/**
 * Aborts `controller` when nothing arrived for `ms`. `touch` only stores a
 * timestamp (cheap per event); the timer re-arms itself for the rest.
 */
function watchIdle(ms: number, controller: AbortController) {
  let last = performance.now();
  const watch = { fired: false, touch: () => (last = performance.now()), stop: () => clearTimeout(handle) };
  const check = () => {
    const quiet = performance.now() - last;
    if (quiet >= ms) {
      watch.fired = true;
      controller.abort();
    } else handle = setTimeout(check, ms - quiet);
  };
  let handle = setTimeout(check, ms);
  return watch;
}
