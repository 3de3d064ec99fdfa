/**
 * Maps parsed chat-completions stream chunks onto an
 * {@link AssistantMessageBuilder}: text, the reasoning variants real servers
 * send, tool calls merged by index, finish reason and usage.
 */
import type { ModelCost, Usage } from "../src/core/types.js";
import type { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { errorMessageOf, StreamFailure } from "./http-errors.js";
import { pricedUsage } from "./usage-cost.js";

/** The fields of a `chat.completion.chunk` we read; everything is optional on the wire. */
export type ChatCompletionChunk = {
  choices?: { delta?: ChunkDelta | null; finish_reason?: string | null }[] | null;
  usage?: ChunkUsage | null;
  error?: unknown;
};

type ChunkDelta = {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  reasoning_details?: { type?: string; text?: string | null; summary?: string | null; signature?: string | null }[] | null;
  tool_calls?: ChunkToolCall[] | null;
};

type ChunkToolCall = {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: unknown } | null;
};

/** Usage as OpenAI, OpenRouter and DeepSeek report it. */
export type ChunkUsage = {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  prompt_cache_hit_tokens?: number;
};

/** What one response stream has said so far besides deltas. */
export type ChunkState = { finishReason?: string; usage?: ChunkUsage };

/**
 * Applies one parsed chunk. Throws a {@link StreamFailure} for an `error` chunk.
 * Hot path: reads fields in place, allocates nothing per delta but the builder's event.
 */
export function applyChunk(chunk: ChatCompletionChunk, builder: AssistantMessageBuilder, state: ChunkState): void {
  if (chunk.error !== undefined && chunk.error !== null) {
    const text = errorMessageOf(chunk.error) ?? JSON.stringify(chunk.error);
    throw new StreamFailure(`The provider reported an error mid-stream: ${text}`);
  }
  if (chunk.usage) state.usage = chunk.usage;
  const choice = chunk.choices?.[0];
  if (!choice) return;
  const delta = choice.delta;
  if (delta) {
    applyReasoning(delta, builder);
    if (typeof delta.content === "string" && delta.content !== "") builder.text(delta.content);
    const calls = delta.tool_calls;
    // An array only: a string here would otherwise become one call per character.
    if (Array.isArray(calls)) {
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i]!;
        const args = call.function?.arguments;
        // Most fragments carry only argument text: the builder's per-delta path.
        if (typeof args === "string" && !call.id && !call.function?.name) {
          builder.toolCallArguments(call.index ?? i, args);
          continue;
        }
        builder.toolCall(call.index ?? i, {
          id: call.id ?? undefined,
          name: call.function?.name ?? undefined,
          // A few servers send the arguments as an object instead of a JSON string.
          arguments: typeof args === "string" ? args : args === undefined || args === null ? undefined : JSON.stringify(args),
        });
      }
    }
  }
  if (choice.finish_reason) state.finishReason = choice.finish_reason;
}

// OpenRouter sends the same text twice, as `reasoning` and in `reasoning_details`:
// the details count only when no plain string came, but their signature is kept.
function applyReasoning(delta: ChunkDelta, builder: AssistantMessageBuilder): void {
  const plain = delta.reasoning_content || delta.reasoning;
  const details = delta.reasoning_details;
  if (typeof plain === "string" && plain !== "") {
    builder.thinking(plain);
    if (details) for (const d of details) if (d.signature) builder.thinking("", d.signature);
    return;
  }
  if (!details) return;
  for (const d of details) {
    const text = d.text ?? d.summary ?? "";
    builder.thinking(typeof text === "string" ? text : "", d.signature ?? undefined);
  }
}

/** Ends the message per `finish_reason`, with usage; `content_filter` ends it with an error. */
export function finishMessage(builder: AssistantMessageBuilder, state: ChunkState, cost: ModelCost | undefined): void {
  if (state.usage) builder.setUsage(mapUsage(state.usage, cost));
  const reason = state.finishReason;
  if (reason === "content_filter") {
    builder.fail("error", 'The provider\'s content filter stopped the answer (finish_reason "content_filter").');
    return;
  }
  if (reason === "length") return builder.finish("length");
  const hasToolCalls = builder.message.content.some((c) => c.type === "toolCall");
  // Some servers say "stop" after tool calls; the calls still need answers.
  builder.finish(reason === "tool_calls" || reason === "function_call" || hasToolCalls ? "toolUse" : "stop");
}

/**
 * Maps reported usage: `input` excludes cached tokens (read or written),
 * reasoning tokens are already inside `completion_tokens`, cost is $ per million.
 */
export function mapUsage(raw: ChunkUsage, cost: ModelCost | undefined): Usage {
  const prompt = raw.prompt_tokens ?? 0;
  const output = raw.completion_tokens ?? 0;
  const cacheRead = raw.prompt_tokens_details?.cached_tokens ?? raw.prompt_cache_hit_tokens ?? 0;
  const cacheWrite = raw.prompt_tokens_details?.cache_write_tokens ?? 0;
  const input = Math.max(0, prompt - cacheRead - cacheWrite);
  return pricedUsage({ input, output, cacheRead, cacheWrite }, cost);
}
