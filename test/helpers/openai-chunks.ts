/**
 * Builders of OpenAI chat-completions stream bodies for tests, shaped like
 * what api.openai.com sends (`chat.completion.chunk` objects as SSE `data:`
 * lines, then `data: [DONE]`).
 */
import { firstValueFrom, type Observable, toArray } from "rxjs";
import type { AssistantMessage, AssistantMessageEvent, Context } from "../../src/core/types.js";

/** The `delta` of one chunk. */
export type Delta = {
  role?: "assistant";
  content?: string | null;
  reasoning_content?: string;
  reasoning?: string;
  reasoning_details?: unknown[];
  tool_calls?: { index: number; id?: string; type?: "function"; function?: { name?: string; arguments?: string } }[];
};

/** One `chat.completion.chunk`. */
export function chunk(delta: Delta, finishReason: string | null = null, extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-test",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "test-model",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...extra,
  };
}

/** The final usage chunk (`stream_options.include_usage`): no choices. */
export function usageChunk(usage: Record<string, unknown>) {
  return { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1_700_000_000, model: "test-model", choices: [], usage };
}

/** One SSE event per object (a string is sent as the data verbatim). */
export function sse(...events: (object | string)[]): string {
  return events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join("");
}

/** A complete stream body: the events, then `data: [DONE]`. */
export function sseBody(...events: (object | string)[]): string {
  return sse(...events, "[DONE]");
}

/** A plain user prompt. */
export function userContext(text = "Hi", extra: Partial<Context> = {}): Context {
  return { messages: [{ role: "user", content: text, timestamp: 1 }], ...extra };
}

/** All events of a stream, once it completes. */
export function allEvents(stream: Observable<AssistantMessageEvent>): Promise<AssistantMessageEvent[]> {
  return firstValueFrom(stream.pipe(toArray()));
}

/** The message of the terminal event (fails the test if there is none). */
export function finalOf(events: AssistantMessageEvent[]): AssistantMessage {
  const last = events[events.length - 1];
  if (last?.type === "done") return last.message;
  if (last?.type === "error") return last.error;
  throw new Error(`stream ended without a terminal event: ${events.map((e) => e.type).join(",")}`);
}

/** The event `type`s in order. */
export function types(events: AssistantMessageEvent[]): string[] {
  return events.map((e) => e.type);
}
