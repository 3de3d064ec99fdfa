/**
 * OpenAI chat-completions on the shared SSE engine: the request mapping
 * ({@link buildChatRequest}) and the event mapping ({@link applyChunk}) of
 * every OpenAI-compatible stream.
 */
import type { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model } from "../src/core/types.js";
import type { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { StreamFailure } from "./http-errors.js";
import { buildChatRequest, type RequestExtras } from "./openai-request.js";
import { applyChunk, type ChatCompletionChunk, type ChunkState, finishMessage } from "./openai-response.js";
import { type HttpStreamOptions, quote, type SseDecoder, streamSse } from "./sse-engine.js";

/** {@link StreamOptions} plus knobs of the OpenAI-compatible adapters. */
export type OpenAICompatibleOptions = HttpStreamOptions;

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
  return streamSse(model, options, () => {
    const request = buildChatRequest(model, context, options, extras);
    return { request, decoder: (builder) => chunkDecoder(builder, model, request.url) };
  });
}

function chunkDecoder(builder: AssistantMessageBuilder, model: Model, url: string): SseDecoder {
  const state: ChunkState = {};
  return {
    done: false,
    get finishing() {
      return state.finishReason !== undefined;
    },
    event: (data) => applyChunk(data as ChatCompletionChunk, builder, state),
    json: (body) => applyCompletion(body, builder, state, url),
    end: (sawDone) => {
      if (state.finishReason === undefined && !sawDone) {
        throw new StreamFailure(
          `The stream from ${url} ended before the model finished (no finish_reason and no [DONE])${builder.hasContent ? "; the partial answer is kept" : ""}.`,
        );
      }
      finishMessage(builder, state, model.cost);
    },
  };
}

/** A whole (non-streamed) completion, mapped as one big delta. */
function applyCompletion(value: unknown, builder: AssistantMessageBuilder, state: ChunkState, url: string): void {
  const body = (typeof value === "object" && value !== null ? value : {}) as {
    choices?: { message?: unknown; finish_reason?: string | null }[];
    usage?: unknown;
    error?: unknown;
  };
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  applyChunk({ ...body, choices: choice ? [{ delta: choice.message, finish_reason: choice.finish_reason }] : [] } as ChatCompletionChunk, builder, state);
  if (!choice && body.error === undefined) throw new StreamFailure(`The JSON response from ${url} has no choices: ${quote(JSON.stringify(value))}`);
  state.finishReason ??= "stop";
}
