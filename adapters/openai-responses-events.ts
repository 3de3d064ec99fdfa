/**
 * Maps OpenAI Responses stream events onto an {@link AssistantMessageBuilder}:
 * reasoning (summary or raw text, with the encrypted item as the block's
 * signature), output text (and refusals, as text), function calls merged
 * per item, and the end of the response with its usage. Items stream one
 * after another, so each item's end closes its block; an item whose deltas
 * never came (a server that sends only the `*.done` events) is filled in
 * from its finished form.
 */
import type { ModelCost } from "../src/core/types.js";
import type { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { errorMessageOf, StreamFailure } from "./http-errors.js";
import { mapUsage } from "./openai-response.js";
import { reasoningSignature } from "./openai-responses-request.js";

/** The fields of a Responses stream event we read; everything is optional on the wire. */
export type ResponsesEvent = {
  type?: string;
  item_id?: string;
  output_index?: number;
  summary_index?: number;
  delta?: unknown;
  text?: unknown;
  arguments?: unknown;
  item?: ResponsesItem;
  response?: ResponsesBody;
  // The `error` event: its fields at the top, or (as some servers send it) under `error`.
  message?: unknown;
  code?: unknown;
  error?: unknown;
};

type ResponsesItem = {
  id?: string;
  type?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  encrypted_content?: string | null;
  summary?: { text?: string }[];
  content?: { type?: string; text?: string; refusal?: string }[];
};

/** A `response` object: in `response.completed` / `incomplete` / `failed`, or a whole non-streamed body. */
export type ResponsesBody = {
  status?: string;
  output?: ResponsesItem[];
  usage?: ResponsesUsage | null;
  error?: unknown;
  incomplete_details?: { reason?: string } | null;
};

type ResponsesUsage = {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
};

/** What one response stream has said so far besides deltas. */
export type ResponsesState = {
  /** The final `response` object, once `response.completed` or `response.incomplete` arrived. */
  final?: ResponsesBody;
  /** Items (by id, or output index) that streamed something, to tell an item whose deltas never came; values are >= 1. */
  streamed: Map<string, number>;
  /** The item of the last delta, already in `streamed`: consecutive deltas of one item skip the map (a fresh key string is hashed per lookup). */
  lastStreamed?: string;
  /** Items announced by `output_item.added`. */
  opened: Set<string>;
};

const keyOf = (event: ResponsesEvent): string => event.item_id ?? event.item?.id ?? `#${event.output_index ?? 0}`;

/** Applies one event. Throws a {@link StreamFailure} for `error` and `response.failed`. */
export function applyResponsesEvent(event: ResponsesEvent, builder: AssistantMessageBuilder, state: ResponsesState): void {
  const key = keyOf(event);
  const delta = typeof event.delta === "string" ? event.delta : "";
  // The per-delta events first: each case is a character compare (JSON.parse does not intern the strings).
  switch (event.type) {
    case "response.output_text.delta":
    case "response.refusal.delta":
      return streamed(state, key, delta, builder, "text");
    case "response.function_call_arguments.delta":
      // An empty delta still opens a call whose item was not announced.
      if (delta === "") return builder.toolCall(key, {});
      markStreamed(state, key);
      return builder.toolCallArguments(key, delta);
    case "response.reasoning_summary_text.delta":
    case "response.reasoning_text.delta":
      return streamed(state, key, delta, builder, "thinking");
    case "response.output_item.added":
      state.opened.add(key);
      return openItem(event.item ?? {}, key, builder);
    case "response.reasoning_summary_part.added":
      // Summary parts are paragraphs of one reasoning item.
      if ((event.summary_index ?? 0) > 0 && state.streamed.has(key)) streamed(state, key, "\n\n", builder, "thinking");
      return;
    case "response.function_call_arguments.done":
      if (!state.streamed.has(key) && typeof event.arguments === "string") {
        if (event.arguments !== "") markStreamed(state, key);
        builder.toolCall(key, { arguments: event.arguments });
      }
      return;
    case "response.output_item.done":
      return closeItem(event.item ?? {}, key, builder, state);
    case "response.completed":
    case "response.incomplete":
      state.final = event.response ?? {};
      return;
    case "response.failed":
      throw new StreamFailure(`The provider reported a failed response: ${errorMessageOf(event.response?.error) ?? "no reason given"}`);
    case "error":
      throw new StreamFailure(`The provider reported an error mid-stream: ${errorMessageOf(event.error) ?? errorMessageOf(event) ?? JSON.stringify(event)}`);
  }
}

function openItem(item: ResponsesItem, key: string, builder: AssistantMessageBuilder): void {
  if (item.type === "function_call") {
    builder.toolCall(key, { id: item.call_id, name: item.name, signature: item.id });
  } else if (item.type === "message") {
    // Separate message items stay separate blocks; the id pairs the message with its reasoning on the way back.
    builder.endBlock();
    builder.text("", item.id);
  } else if (item.type === "reasoning") builder.endBlock();
}

function closeItem(item: ResponsesItem, key: string, builder: AssistantMessageBuilder, state: ResponsesState): void {
  const nothingStreamed = !state.streamed.has(key);
  if (item.type === "reasoning") {
    if (nothingStreamed) builder.thinking((item.summary ?? []).map((s) => s.text ?? "").join("\n\n"));
    if (item.id && item.encrypted_content) builder.thinking("", reasoningSignature(item.id, item.encrypted_content));
    builder.endBlock();
  } else if (item.type === "message") {
    // The block of an announced item already carries the id.
    if (nothingStreamed) builder.text((item.content ?? []).map((c) => c.text ?? c.refusal ?? "").join(""), state.opened.has(key) ? undefined : item.id);
    builder.endBlock();
  } else if (item.type === "function_call") {
    builder.toolCall(key, { id: item.call_id, name: item.name, signature: item.id, arguments: nothingStreamed ? item.arguments : undefined });
  }
  markStreamed(state, key);
}

function markStreamed(state: ResponsesState, key: string): void {
  if (key === state.lastStreamed) return;
  state.streamed.set(key, 1);
  state.lastStreamed = key;
}

function streamed(state: ResponsesState, key: string, delta: string, builder: AssistantMessageBuilder, kind: "text" | "thinking"): void {
  if (delta === "") return;
  markStreamed(state, key);
  if (kind === "text") builder.text(delta);
  else builder.thinking(delta);
}

/** A whole (non-streamed) response body, mapped as if each item had streamed at once. */
export function applyResponsesBody(body: ResponsesBody, builder: AssistantMessageBuilder, state: ResponsesState): void {
  if (body.status === "failed" || (body.error !== undefined && body.error !== null)) {
    applyResponsesEvent({ type: "response.failed", response: body }, builder, state);
  }
  (body.output ?? []).forEach((item, index) => {
    applyResponsesEvent({ type: "response.output_item.added", output_index: index, item }, builder, state);
    applyResponsesEvent({ type: "response.output_item.done", output_index: index, item }, builder, state);
  });
  state.final = body;
}

/**
 * Ends the message per the final response: `incomplete` for
 * `max_output_tokens` is "length", for a content filter an error; tool calls
 * make it "toolUse". Usage: `input` excludes cached tokens; reasoning tokens
 * are inside `output`.
 */
export function finishResponse(builder: AssistantMessageBuilder, final: ResponsesBody, cost: ModelCost | undefined): void {
  const usage = final.usage;
  if (usage) {
    builder.setUsage(
      mapUsage({ prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens, prompt_tokens_details: usage.input_tokens_details }, cost),
    );
  }
  if (final.status === "incomplete") {
    const reason = final.incomplete_details?.reason;
    if (reason === "content_filter") return builder.fail("error", 'The provider\'s content filter stopped the answer (incomplete: "content_filter").');
    if (reason === "max_output_tokens") return builder.finish("length");
  }
  builder.finish(builder.message.content.some((c) => c.type === "toolCall") ? "toolUse" : "stop");
}
