/**
 * The three native providers as one table for tests that run the same case
 * on each: a name, the stream, and a model at a base URL. A test spreads
 * its own fields (bodies, paths, hints) onto each row.
 */
import {
  anthropicModel,
  googleModel,
  type Model,
  openAIResponsesModel,
  type StreamFn,
  streamAnthropic,
  streamGoogle,
  streamOpenAIResponses,
} from "../../src/index.js";

/** One native provider. */
export type NativeProvider = { name: "Anthropic" | "OpenAI Responses" | "Gemini"; stream: StreamFn; model: (baseUrl: string) => Model };

export const NATIVE_PROVIDERS = {
  anthropic: { name: "Anthropic", stream: streamAnthropic, model: (baseUrl) => anthropicModel("claude-test", { baseUrl }) },
  responses: { name: "OpenAI Responses", stream: streamOpenAIResponses, model: (baseUrl) => openAIResponsesModel("gpt-test", { baseUrl }) },
  google: { name: "Gemini", stream: streamGoogle, model: (baseUrl) => googleModel("gemini-test", { baseUrl }) },
} satisfies Record<string, NativeProvider>;
