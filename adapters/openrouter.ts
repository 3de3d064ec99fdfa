/**
 * OpenRouter: an OpenAI-compatible endpoint with its own defaults, optional
 * app-attribution headers and a `reasoning` request field.
 */
import type { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model, StreamOptions } from "../src/core/types.js";
import { type OpenAICompatibleOptions, streamChatCompletions } from "./chat-completions.js";
import type { RequestExtras } from "./openai-request.js";

/** OpenRouter's API root. */
export const OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1";

/**
 * A model served by OpenRouter; the key is read from `OPENROUTER_API_KEY`
 * unless `apiKey` (or the agent's `getApiKey`) gives one.
 * @example
 * const model = openRouterModel("anthropic/claude-sonnet-4", { reasoning: true, cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } });
 */
export function openRouterModel(id: string, overrides: Partial<Omit<Model, "id">> = {}): Model {
  return { id, name: id, api: "openai-completions", provider: "openrouter", baseUrl: OPENROUTER_BASE_URL, ...overrides };
}

/**
 * The OpenRouter-specific parts of a request:
 * - `HTTP-Referer` from `TINYAGENT_APP_URL` and `X-Title` from
 *   `TINYAGENT_APP_NAME`, when set (OpenRouter's optional app attribution);
 * - `reasoning`: `{ effort }` for a `reasoning` level, none for "off", else
 *   `{ enabled: true }` when `model.reasoning` is set, so the model thinks and
 *   streams its reasoning (OpenRouter takes this instead of `reasoning_effort`).
 */
export function openRouterExtras(model: Model, options: StreamOptions = {}): RequestExtras {
  const env = typeof process !== "undefined" ? process.env : {};
  const headers: Record<string, string> = {};
  if (env.TINYAGENT_APP_URL) headers["HTTP-Referer"] = env.TINYAGENT_APP_URL;
  if (env.TINYAGENT_APP_NAME) headers["X-Title"] = env.TINYAGENT_APP_NAME;
  const level = options.reasoning;
  const reasoning = level === undefined ? (model.reasoning ? { enabled: true } : undefined) : level === "off" ? undefined : { effort: level };
  return { headers, body: reasoning ? { reasoning } : undefined, ownsReasoning: true };
}

/**
 * Streams one assistant message from OpenRouter (or any model whose
 * `baseUrl` points at an OpenRouter-compatible endpoint).
 * @example
 * const events = await firstValueFrom(streamOpenRouter(openRouterModel("openai/gpt-4o-mini"), { messages }).pipe(toArray()));
 */
export function streamOpenRouter(model: Model, context: Context, options?: OpenAICompatibleOptions): Observable<AssistantMessageEvent> {
  return streamChatCompletions(model, context, options, openRouterExtras(model, options));
}
