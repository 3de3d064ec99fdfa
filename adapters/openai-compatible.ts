/**
 * The default provider: any server speaking OpenAI's chat-completions SSE
 * (OpenAI, OpenRouter, DeepSeek, vLLM, Ollama, llama.cpp, the faux server).
 */
import type { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model } from "../src/core/types.js";
import { type OpenAICompatibleOptions, streamChatCompletions } from "./chat-completions.js";
import { openRouterExtras } from "./openrouter.js";
import { type AssistantMessageStreamHandle, type CollectedStream, collectStream, streamHandle } from "./stream-handle.js";

export type { OpenAICompatibleOptions } from "./chat-completions.js";
export type { AssistantMessageStreamHandle, CollectedStream } from "./stream-handle.js";

/**
 * Streams one assistant message from an OpenAI-compatible endpoint as a cold
 * Observable of section-2 events. Unsubscribing cancels the request; provider
 * trouble ends in one terminal `error` event (never an Observable error).
 * Models of provider "openrouter" get OpenRouter's extras (see `streamOpenRouter`).
 * @example
 * const model = openAICompatibleModel({ id: "llama3.2", baseUrl: "http://localhost:11434/v1" });
 * streamOpenAICompatible(model, { messages: [{ role: "user", content: "Hi", timestamp: Date.now() }] })
 *   .subscribe((event) => { if (event.type === "text_delta") process.stdout.write(event.delta); });
 */
export function streamOpenAICompatible(model: Model, context: Context, options?: OpenAICompatibleOptions): Observable<AssistantMessageEvent> {
  return streamChatCompletions(model, context, options, model.provider === "openrouter" ? openRouterExtras(model, options) : {});
}

/** What {@link openAICompatibleModel} needs: an id and a base URL; the rest of {@link Model} is optional. */
export type OpenAICompatibleModelInit = Omit<Model, "api" | "provider"> & { provider?: string; api?: string };

/**
 * A model on any OpenAI-compatible endpoint. `provider` defaults from the
 * base URL's host: "openai" for api.openai.com (reads `OPENAI_API_KEY`),
 * "openrouter" for openrouter.ai (reads `OPENROUTER_API_KEY`), else
 * "openai-compatible", which reads no API key from the environment (local
 * servers need none).
 * @example
 * const local = openAICompatibleModel({ id: "qwen3:8b", baseUrl: "http://127.0.0.1:11434/v1" });
 * const openai = openAICompatibleModel({ id: "gpt-4o-mini", baseUrl: "https://api.openai.com/v1" }); // provider "openai"
 */
export function openAICompatibleModel(init: OpenAICompatibleModelInit): Model {
  return { ...init, api: init.api ?? "openai-completions", provider: init.provider ?? providerOfHost(init.baseUrl) };
}

/** The provider a base URL's host names, so the matching env key is read ("openai-compatible" when none or unparsable). */
function providerOfHost(baseUrl: string): string {
  const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : "";
  if (host === "api.openai.com") return "openai";
  if (host === "openrouter.ai") return "openrouter";
  return "openai-compatible";
}

/**
 * One call, awaited: every event and the final message (which may carry
 * `stopReason` "error"/"aborted"; the promise does not reject for provider trouble).
 * @example
 * const { finalMessage } = await collectOpenAICompletions(model, { messages });
 */
export function collectOpenAICompletions(model: Model, context: Context, options?: OpenAICompatibleOptions): Promise<CollectedStream> {
  return collectStream(streamOpenAICompatible(model, context, options));
}

/**
 * Starts a call and returns a handle: `for await` its events, or `await
 * handle.result()`; `handle.events$` is the Observable, `handle.abort()` cancels.
 * @example
 * const handle = openAICompletionsStream(model, { messages });
 * for await (const event of handle) if (event.type === "text_delta") process.stdout.write(event.delta);
 * const message = await handle.result();
 */
export function openAICompletionsStream(model: Model, context: Context, options: OpenAICompatibleOptions = {}): AssistantMessageStreamHandle {
  // Either the caller's signal or the handle's abort() cancels the call.
  return streamHandle((signal) => streamOpenAICompatible(model, context, { ...options, signal: anySignal(signal, options.signal) }));
}

function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  if (!b) return a;
  if (b.aborted) return b;
  const controller = new AbortController();
  const abort = () => controller.abort();
  a.addEventListener("abort", abort, { once: true });
  b.addEventListener("abort", abort, { once: true });
  return controller.signal;
}
