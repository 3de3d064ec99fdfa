/**
 * Maps Anthropic's Messages stream events onto an
 * {@link AssistantMessageBuilder}: content blocks by `index` (text,
 * thinking with its signature, redacted thinking, tool use with its
 * argument JSON), usage (`message_delta`'s replaces `message_start`'s field
 * by field), the stop reason, and `error` events as one terminal failure.
 */
import type { ModelCost } from "../src/core/types.js";
import type { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { StreamFailure } from "./http-errors.js";
import type { SseDecoder } from "./sse-engine.js";
import { pricedUsage } from "./usage-cost.js";

/** The fields of Anthropic's stream events we read; everything is optional on the wire. */
type AnthropicEvent = {
  type?: string;
  index?: number;
  message?: { usage?: AnthropicUsage | null } | null;
  content_block?: { type?: string; text?: string; thinking?: string; signature?: string; data?: string; id?: string; name?: string; input?: unknown } | null;
  delta?: { type?: string; text?: string; thinking?: string; signature?: string; partial_json?: string; stop_reason?: string | null } | null;
  usage?: AnthropicUsage | null;
  error?: { type?: string; message?: string } | null;
};

/** Usage as Anthropic reports it: `input_tokens` already excludes cache reads and writes. */
type AnthropicUsage = {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
};

/** Mid-stream errors worth another attempt (the engine retries only before the first delta). */
const TRANSIENT_ERRORS = new Set(["overloaded_error", "api_error", "rate_limit_error", "timeout_error"]);

/** A fresh decoder for one attempt. */
export function anthropicDecoder(builder: AssistantMessageBuilder, cost: ModelCost | undefined, url: string): SseDecoder {
  // What kind each open block `index` is; a block of a kind we do not map (server tools, citations) is "skip".
  const blocks = new Map<number, "text" | "thinking" | "tool" | "skip">();
  // Tool calls whose start carried a whole `input` (some gateways): used when no argument deltas follow.
  const startInputs = new Map<number, { input: unknown; sawDelta: boolean }>();
  const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  let stopReason: string | undefined;
  let stopped = false;

  const takeUsage = (raw: AnthropicUsage | null | undefined) => {
    if (!raw) return;
    if (typeof raw.input_tokens === "number") usage.input = raw.input_tokens;
    if (typeof raw.output_tokens === "number") usage.output = raw.output_tokens;
    if (typeof raw.cache_read_input_tokens === "number") usage.cacheRead = raw.cache_read_input_tokens;
    if (typeof raw.cache_creation_input_tokens === "number") usage.cacheWrite = raw.cache_creation_input_tokens;
  };

  const startBlock = (index: number, block: NonNullable<AnthropicEvent["content_block"]>) => {
    switch (block.type) {
      case "text":
        blocks.set(index, "text");
        builder.endBlock();
        if (block.text) builder.text(block.text);
        return;
      case "thinking":
        blocks.set(index, "thinking");
        builder.endBlock();
        if (block.thinking || block.signature) builder.thinking(block.thinking ?? "", block.signature || undefined);
        return;
      case "redacted_thinking":
        blocks.set(index, "skip");
        builder.redactedThinking(block.data ?? "");
        return;
      case "tool_use":
        blocks.set(index, "tool");
        builder.toolCall(index, { id: block.id ?? "", name: block.name ?? "" });
        if (isNonEmptyObject(block.input)) startInputs.set(index, { input: block.input, sawDelta: false });
        return;
      default:
        blocks.set(index, "skip");
    }
  };

  const applyDelta = (index: number, delta: NonNullable<AnthropicEvent["delta"]>) => {
    const kind = blocks.get(index);
    if (kind === "text" && delta.type === "text_delta" && delta.text) builder.text(delta.text);
    else if (kind === "thinking" && delta.type === "thinking_delta" && delta.thinking) builder.thinking(delta.thinking);
    else if (kind === "thinking" && delta.type === "signature_delta" && delta.signature) builder.thinking("", delta.signature);
    else if (kind === "tool" && delta.type === "input_json_delta" && delta.partial_json) {
      const start = startInputs.get(index);
      if (start) start.sawDelta = true;
      builder.toolCallArguments(index, delta.partial_json);
    }
  };

  const stopBlock = (index: number) => {
    const kind = blocks.get(index);
    blocks.delete(index);
    if (kind === "text" || kind === "thinking") builder.endBlock();
    else if (kind === "tool") {
      const start = startInputs.get(index);
      if (start && !start.sawDelta) builder.toolCall(index, { arguments: JSON.stringify(start.input) });
      startInputs.delete(index);
      builder.endToolCall(index);
    }
  };

  return {
    get done() {
      return stopped;
    },
    get finishing() {
      return stopReason !== undefined;
    },
    event(data) {
      const event = data as AnthropicEvent;
      const index = typeof event.index === "number" ? event.index : -1;
      switch (event.type) {
        case "message_start":
          takeUsage(event.message?.usage);
          return;
        case "content_block_start":
          if (event.content_block) startBlock(index, event.content_block);
          return;
        case "content_block_delta":
          if (event.delta) applyDelta(index, event.delta);
          return;
        case "content_block_stop":
          stopBlock(index);
          return;
        case "message_delta":
          takeUsage(event.usage);
          if (event.delta?.stop_reason) stopReason = event.delta.stop_reason;
          return;
        case "message_stop":
          stopped = true;
          return;
        case "error": {
          const type = event.error?.type ?? "error";
          const message = event.error?.message ?? JSON.stringify(event.error ?? event);
          throw new StreamFailure(`Anthropic reported an error mid-stream: ${message} (${type})`, TRANSIENT_ERRORS.has(type));
        }
        // `ping` and event kinds added later carry nothing to map.
      }
    },
    // A whole Message, when a gateway ignored `stream: true`: each block as one start and stop.
    json(body) {
      const message = (typeof body === "object" && body !== null ? body : {}) as { content?: unknown; usage?: AnthropicUsage; stop_reason?: string | null };
      if (!Array.isArray(message.content)) throw new StreamFailure(`The JSON response from ${url} has no content.`);
      takeUsage(message.usage);
      message.content.forEach((block: NonNullable<AnthropicEvent["content_block"]>, i) => {
        startBlock(i, block);
        stopBlock(i);
      });
      stopReason = message.stop_reason ?? "end_turn";
      stopped = true;
    },
    end() {
      builder.setUsage(pricedUsage(usage, cost));
      if (!stopped && stopReason === undefined) {
        throw new StreamFailure(
          `The stream from ${url} ended before the model finished (no message_stop)${builder.hasContent ? "; the partial answer is kept" : ""}.`,
        );
      }
      finish(builder, stopReason);
    },
  };
}

/** Ends the message per Anthropic's `stop_reason`. */
function finish(builder: AssistantMessageBuilder, stopReason: string | undefined): void {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return builder.finish("length");
    case "refusal":
      return builder.fail("error", 'The model declined to answer (stop_reason "refusal"); rephrase the request or use another model.');
  }
  // "end_turn", "stop_sequence", "pause_turn" (a server tool paused: send the transcript again to go on) and any newer reason.
  const hasToolCalls = builder.message.content.some((c) => c.type === "toolCall");
  builder.finish(stopReason === "tool_use" || hasToolCalls ? "toolUse" : "stop");
}

function isNonEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}
