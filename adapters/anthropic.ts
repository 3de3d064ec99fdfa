/**
 * Anthropic's Messages API on the shared SSE engine: the request mapping
 * ({@link buildAnthropicRequest}) and the event mapping ({@link anthropicDecoder}).
 */
import type { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model } from "../src/core/types.js";
import { buildAnthropicRequest } from "./anthropic-request.js";
import { anthropicDecoder } from "./anthropic-response.js";
import { type HttpStreamOptions, streamSse } from "./sse-engine.js";

/** Anthropic's API root; the adapter adds `/v1/messages`. */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";

/** What {@link anthropicModel} takes besides the id. */
export type AnthropicModelInit = Partial<Omit<Model, "id" | "api">>;

/**
 * A Claude model on Anthropic's Messages API (api "anthropic-messages",
 * provider "anthropic"; the key is `apiKey`, else `ANTHROPIC_API_KEY`).
 * @example
 * const model = anthropicModel("claude-sonnet-4-5", { maxTokens: 16_000, cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } });
 * const agent = new Agent({ model, streamOptions: { reasoning: "medium" } });
 */
export function anthropicModel(id: string, init: AnthropicModelInit = {}): Model {
  return { provider: "anthropic", baseUrl: ANTHROPIC_BASE_URL, ...init, id, api: "anthropic-messages" };
}

/**
 * Streams one assistant message from Anthropic's Messages API as a cold
 * Observable of section-2 events: text, thinking with its signature
 * (redacted thinking too), tool calls, usage with cache reads and writes.
 * Unsubscribing cancels the request; provider trouble (HTTP errors, an
 * `overloaded_error` mid-stream, a refusal) ends in one terminal `error`
 * event, never an Observable error.
 * @example
 * streamAnthropic(anthropicModel("claude-haiku-4-5"), { messages: [userMessage("Hi")] }, { cacheRetention: "long" })
 *   .subscribe((event) => { if (event.type === "text_delta") process.stdout.write(event.delta); });
 */
export function streamAnthropic(model: Model, context: Context, options: HttpStreamOptions = {}): Observable<AssistantMessageEvent> {
  return streamSse(model, options, () => {
    const request = buildAnthropicRequest(model, context, options);
    return { request, decoder: (builder) => anthropicDecoder(builder, model.cost, request.url) };
  });
}
