/**
 * The default stream function: one table from `model.api` to the stream that
 * speaks it. A model of an api no stream here speaks gets a terminal `error`
 * event naming the known ones (never a silent fallback to another protocol).
 */
import { of, type Observable } from "rxjs";
import { GOOGLE_API, streamGoogle } from "../adapters/google.js";
import { streamAnthropic } from "../adapters/anthropic.js";
import { streamOpenAICompatible } from "../adapters/openai-compatible.js";
import { PROXY_API, streamProxy } from "../adapters/proxy-client.js";
import { streamOpenAIResponses } from "../adapters/openai-responses.js";
import { syntheticAssistantMessage } from "./core/messages.js";
import type { AssistantMessageEvent, StreamFn } from "./core/types.js";

/** The stream of each `api` id (OpenRouter models are "openai-completions" with provider "openrouter"). */
const STREAMS: Record<string, StreamFn> = {
  "openai-completions": streamOpenAICompatible,
  [PROXY_API]: streamProxy,
  [GOOGLE_API]: streamGoogle,
  "anthropic-messages": streamAnthropic,
  "openai-responses": streamOpenAIResponses,
};

/** Picks the stream by `model.api`; see the module comment. */
export const defaultStreamFn: StreamFn = (model, context, options): Observable<AssistantMessageEvent> => {
  const stream = STREAMS[model.api];
  if (stream) return stream(model, context, options);
  const known = Object.keys(STREAMS)
    .map((api) => `"${api}"`)
    .join(", ");
  const message = syntheticAssistantMessage(
    model,
    "error",
    `No stream for model api "${model.api}" (model "${model.id}"): the default stream function knows ${known}. Pass a streamFn to the agent for other protocols.`,
  );
  return of({ type: "error", reason: "error", error: message });
};
