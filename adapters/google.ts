/**
 * Google Gemini (`api` "google-generative-ai") on the shared SSE engine: the
 * request mapping of adapters/google-request.ts and the event mapping of
 * adapters/google-response.ts.
 */
import type { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model } from "../src/core/types.js";
import { buildGoogleRequest } from "./google-request.js";
import { geminiDecoder, geminiRetryDelayMs } from "./google-response.js";
import { type HttpStreamOptions, streamSse } from "./sse-engine.js";

/** The `api` id of Gemini models. */
export const GOOGLE_API = "google-generative-ai";
/** Where Gemini models are served; the adapter adds `/v1beta/models/{id}:streamGenerateContent?alt=sse`. */
export const GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com";

/** What {@link googleModel} takes besides the id. */
export type GoogleModelInit = Partial<Omit<Model, "id" | "api">>;

/**
 * A Gemini model. The key comes from `apiKey`, the agent's `getApiKey("google")`,
 * else GEMINI_API_KEY, else GOOGLE_API_KEY.
 * @example
 * const agent = new Agent({ model: googleModel("gemini-2.5-flash", { reasoning: true }) });
 */
export function googleModel(id: string, init: GoogleModelInit = {}): Model {
  return { provider: "google", baseUrl: GOOGLE_BASE_URL, ...init, id, api: GOOGLE_API };
}

/**
 * Streams one assistant message from Gemini's `streamGenerateContent`. Cold:
 * each subscription makes its own request. Never errors: provider trouble
 * (HTTP errors, an `error` in the stream, SAFETY and other blocked answers, a
 * blocked prompt) ends in one terminal `error` event, then completion.
 * @example
 * streamGoogle(googleModel("gemini-2.5-flash"), { messages: [userMessage("Hi")] })
 *   .subscribe((event) => { if (event.type === "text_delta") process.stdout.write(event.delta); });
 */
export function streamGoogle(model: Model, context: Context, options: HttpStreamOptions = {}): Observable<AssistantMessageEvent> {
  return streamSse(model, options, () => {
    const request = buildGoogleRequest(model, context, options);
    return { request, decoder: (builder) => geminiDecoder(builder, model.cost, request.url), retryAfterMs: geminiRetryDelayMs };
  });
}
