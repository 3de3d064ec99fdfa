/**
 * OpenAI's Responses API on the shared SSE engine: the model factory, the
 * stream, and the decoder tying the request mapping
 * (./openai-responses-request.ts) to the event mapping
 * (./openai-responses-events.ts).
 */
import type { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model } from "../src/core/types.js";
import type { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { StreamFailure } from "./http-errors.js";
import {
  applyResponsesBody,
  applyResponsesEvent,
  finishResponse,
  type ResponsesBody,
  type ResponsesEvent,
  type ResponsesState,
} from "./openai-responses-events.js";
import { buildResponsesRequest, OPENAI_RESPONSES_API } from "./openai-responses-request.js";
import { type HttpStreamOptions, type SseDecoder, streamSse } from "./sse-engine.js";

export { OPENAI_RESPONSES_API } from "./openai-responses-request.js";

/** OpenAI's API root. */
export const OPENAI_BASE_URL = "https://api.openai.com/v1";

/** What {@link openAIResponsesModel} takes besides the id: any field of {@link Model} but `api`. */
export type OpenAIResponsesModelInit = Partial<Omit<Model, "id" | "api">>;

/**
 * A model on OpenAI's Responses API (`POST {baseUrl}/responses`); the key is
 * read from `OPENAI_API_KEY` unless `apiKey` (or the agent's `getApiKey`)
 * gives one. Set `reasoning: true` for reasoning models (o-series, gpt-5):
 * their encrypted reasoning is then requested and sent back each turn.
 * @example
 * const model = openAIResponsesModel("gpt-5-mini", { reasoning: true, cost: { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 } });
 */
export function openAIResponsesModel(id: string, init: OpenAIResponsesModelInit = {}): Model {
  return { id, name: id, provider: "openai", baseUrl: OPENAI_BASE_URL, ...init, api: OPENAI_RESPONSES_API };
}

/**
 * Streams one assistant message from the Responses API as a cold Observable
 * of section-2 events. Unsubscribing cancels the request; provider trouble
 * (HTTP errors, an `error` event, `response.failed`, a cut-off stream) ends
 * in one terminal `error` event, never an Observable error.
 * @example
 * streamOpenAIResponses(openAIResponsesModel("gpt-5-mini", { reasoning: true }), { messages }, { reasoning: "low" })
 *   .subscribe((event) => { if (event.type === "text_delta") process.stdout.write(event.delta); });
 */
export function streamOpenAIResponses(model: Model, context: Context, options: HttpStreamOptions = {}): Observable<AssistantMessageEvent> {
  return streamSse(model, options, () => {
    const request = buildResponsesRequest(model, context, options);
    return { request, decoder: (builder) => responsesDecoder(builder, model, request.url) };
  });
}

function responsesDecoder(builder: AssistantMessageBuilder, model: Model, url: string): SseDecoder {
  const state: ResponsesState = { streamed: new Map(), opened: new Set() };
  return {
    get done() {
      return state.final !== undefined;
    },
    event: (data) => applyResponsesEvent(data as ResponsesEvent, builder, state),
    json: (body) => applyResponsesBody(body as ResponsesBody, builder, state),
    end: (sawDone) => {
      // Some compatible servers end with `[DONE]` instead of `response.completed`.
      if (state.final === undefined && !sawDone) {
        throw new StreamFailure(
          `The stream from ${url} ended before the response completed (no response.completed)${builder.hasContent ? "; the partial answer is kept" : ""}.`,
        );
      }
      finishResponse(builder, state.final ?? {}, model.cost);
    },
  };
}
