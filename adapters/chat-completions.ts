/**
 * The engine behind every OpenAI-compatible stream: one `fetch` per attempt,
 * its body decoded and fed to eventsource-parser, each `data:` parsed once and
 * applied to a shared {@link AssistantMessageBuilder}; retries with rxjs
 * `retry`; abort, unsubscribe and idle timeout all cancel the request.
 */
import { createParser } from "eventsource-parser";
import { defer, Observable, retry, timer } from "rxjs";
import type { AssistantMessageEvent, Context, Model, StreamOptions } from "../src/core/types.js";
import { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { backoffDelay, httpFailure, networkFailure, readFailure, StreamFailure } from "./http-errors.js";
import { buildChatRequest, type ChatRequest, type RequestExtras } from "./openai-request.js";
import { applyChunk, type ChatCompletionChunk, type ChunkState, finishMessage } from "./openai-response.js";

/** {@link StreamOptions} plus knobs of the OpenAI-compatible adapters. */
export type OpenAICompatibleOptions = StreamOptions & {
  /** First backoff delay in ms when the server gives no `retry-after` (default 500; doubles per attempt, with jitter). */
  retryBaseDelayMs?: number;
};

const ABORTED_MESSAGE = "The request was aborted.";
const NON_JSON_QUOTE = 120;

/**
 * Streams one assistant message from an OpenAI-compatible endpoint.
 * Cold: each subscription makes its own request. Never errors: provider
 * trouble ends in one terminal `error` event, then completion.
 */
export function streamChatCompletions(
  model: Model,
  context: Context,
  options: OpenAICompatibleOptions = {},
  extras: RequestExtras = {},
): Observable<AssistantMessageEvent> {
  return new Observable<AssistantMessageEvent>((subscriber) => {
    const builder = new AssistantMessageBuilder(
      { api: model.api, provider: model.provider, model: model.id },
      (event) => subscriber.next(event),
    );
    const end = (reason: "error" | "aborted", message: string) => {
      builder.fail(reason, message);
      subscriber.complete();
    };
    const signal = options.signal;
    if (signal?.aborted) {
      end("aborted", ABORTED_MESSAGE);
      return;
    }
    const request = buildChatRequest(model, context, options, extras);
    const baseDelay = options.retryBaseDelayMs ?? 500;
    let retries = 0;
    const run = defer(() => attempt(request, builder, model, options.idleTimeoutMs))
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
          const tries = retries > 0 && error instanceof StreamFailure && error.retryable ? ` (gave up after ${retries} ${retries === 1 ? "retry" : "retries"})` : "";
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
function attempt(request: ChatRequest, builder: AssistantMessageBuilder, model: Model, idleTimeoutMs: number | undefined): Observable<never> {
  return new Observable<never>((subscriber) => {
    const controller = new AbortController();
    readResponse(request, builder, model, controller, idleTimeoutMs).then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => controller.abort();
  });
}

async function readResponse(
  request: ChatRequest,
  builder: AssistantMessageBuilder,
  model: Model,
  controller: AbortController,
  idleTimeoutMs: number | undefined,
): Promise<void> {
  const { url } = request;
  const idle = idleTimeoutMs && idleTimeoutMs > 0 ? watchIdle(idleTimeoutMs, controller) : undefined;
  const idleFailure = () => new StreamFailure(`No data from ${url} for ${idleTimeoutMs} ms (idleTimeoutMs); gave up waiting.`);
  try {
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers: request.headers, body: request.body, signal: controller.signal });
    } catch (error) {
      throw idle?.fired ? idleFailure() : networkFailure(error, url);
    }
    idle?.touch();
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw httpFailure(response.status, response.headers, text, { url, modelId: model.id, keySource: request.keySource });
    }
    if (!response.body) throw new StreamFailure(`The response from ${url} has no body.`);

    const state: ChunkState = { sawDone: false };
    if (response.headers.get("content-type")?.includes("application/json")) {
      // A server that ignored `stream: true` answered with one whole completion: map it as one big delta.
      applyCompletion(await response.text(), builder, state, url);
      return finishMessage(builder, state, model.cost);
    }
    const parser = createParser({
      onEvent: ({ data }) => {
        if (state.sawDone) return;
        if (data === "[DONE]") {
          state.sawDone = true;
          return;
        }
        let chunk: ChatCompletionChunk;
        try {
          chunk = JSON.parse(data) as ChatCompletionChunk;
        } catch {
          const start = data.length > NON_JSON_QUOTE ? `${data.slice(0, NON_JSON_QUOTE)}…` : data;
          throw new StreamFailure(`The provider sent a chunk that is not JSON: ${JSON.stringify(start)}`);
        }
        // `data: null` or a bare number is valid JSON but no chunk.
        if (typeof chunk !== "object" || chunk === null) throw new StreamFailure(`The provider sent a chunk that is not a JSON object: ${JSON.stringify(data.slice(0, NON_JSON_QUOTE))}`);
        applyChunk(chunk, builder, state);
      },
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const result = await reader.read().catch((error: unknown) => {
          throw idle?.fired ? idleFailure() : readFailure(error, url, builder.hasContent);
        });
        if (result.done) break;
        idle?.touch();
        parser.feed(decoder.decode(result.value, { stream: true }));
        if (state.sawDone) break;
      }
      // A last event without its blank line still counts.
      parser.feed(decoder.decode());
      parser.reset({ consume: true });
    } finally {
      // Stop the body (and the socket) once we are done with it, for [DONE] or a failure alike.
      reader.cancel().catch(() => {});
    }
    if (state.finishReason === undefined && !state.sawDone) {
      throw new StreamFailure(
        `The stream from ${url} ended before the model finished (no finish_reason and no [DONE])${builder.hasContent ? "; the partial answer is kept" : ""}.`,
      );
    }
    finishMessage(builder, state, model.cost);
  } finally {
    idle?.stop();
  }
}

function applyCompletion(text: string, builder: AssistantMessageBuilder, state: ChunkState, url: string): void {
  let body: { choices?: { message?: unknown; finish_reason?: string | null }[]; usage?: unknown; error?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new StreamFailure(`The response from ${url} is neither an event stream nor JSON: ${JSON.stringify(text.slice(0, NON_JSON_QUOTE))}`);
  }
  const choice = body.choices?.[0];
  applyChunk({ ...body, choices: choice ? [{ delta: choice.message, finish_reason: choice.finish_reason }] : [] } as ChatCompletionChunk, builder, state);
  if (!choice && body.error === undefined) throw new StreamFailure(`The JSON response from ${url} has no choices: ${JSON.stringify(text.slice(0, NON_JSON_QUOTE))}`);
  state.finishReason ??= "stop";
}

/**
 * Aborts `controller` when nothing arrived for `ms`. `touch` only stores a
 * timestamp (cheap per network read); the timer re-arms itself for the rest.
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
