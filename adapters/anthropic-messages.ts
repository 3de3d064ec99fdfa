/**
 * The transcript as Anthropic's `messages`: user text and images, assistant
 * text, thinking and tool calls, tool results as `tool_result` blocks in the
 * user message after their calls. A transcript made elsewhere is converted:
 * only this model's own thinking goes back as thinking (signed), foreign
 * thinking becomes text, foreign redacted thinking is dropped, and every
 * tool-call id is made one Anthropic accepts.
 */
import { fnv1a } from "../src/core/fnv1a.js";
import type { AssistantMessage, ImageContent, Message, Model, TextContent, ToolResultMessage } from "../src/core/types.js";

/** A content block (or tool definition) of the request; `cache_control` is added in place. */
export type WireBlock = Record<string, unknown>;
/** One message of the request. */
export type WireMessage = { role: "user" | "assistant"; content: WireBlock[] };

const VALID_TOOL_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The `messages` array. Consecutive messages of one role are merged: the
 * results of one assistant turn's calls (and a user message after them) go
 * in one user message, as Anthropic requires. Empty messages are left out.
 */
export function toAnthropicMessages(model: Model, messages: Message[]): WireMessage[] {
  const out: WireMessage[] = [];
  const push = (role: WireMessage["role"], content: WireBlock[]) => {
    if (content.length === 0) return;
    const last = out[out.length - 1];
    if (last?.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  for (const message of messages) {
    if (message.role === "user") {
      push("user", typeof message.content === "string" ? textBlocks(message.content) : message.content.flatMap(contentBlock));
    } else if (message.role === "assistant") push("assistant", assistantBlocks(message, model));
    else push("user", [toolResultBlock(message)]);
  }
  return out;
}

/**
 * A tool-call id Anthropic accepts (`[a-zA-Z0-9_-]`, at most 64 characters).
 * Valid ids stay as they are; others are cleaned and get a hash of the
 * original, so two ids never merge. Pure, so a call and its result map alike.
 */
export function anthropicToolId(id: string): string {
  if (VALID_TOOL_ID.test(id)) return id;
  return `${id.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 55)}_${fnv1a(id)}`;
}

function assistantBlocks(message: AssistantMessage, model: Model): WireBlock[] {
  // Signatures only verify on the model that made them.
  const own = message.api === model.api && message.provider === model.provider && message.model === model.id;
  const blocks: WireBlock[] = [];
  for (const block of message.content) {
    if (block.type === "text") blocks.push(...textBlocks(block.text));
    else if (block.type === "toolCall") {
      blocks.push({ type: "tool_use", id: anthropicToolId(block.id), name: block.name, input: block.arguments });
    } else if (own && block.signature) {
      blocks.push(
        block.redacted ? { type: "redacted_thinking", data: block.signature } : { type: "thinking", thinking: block.thinking, signature: block.signature },
      );
    } else if (!block.redacted) {
      // Unsigned or foreign reasoning cannot go back as thinking: the model reads it as its own earlier text.
      blocks.push(...textBlocks(block.thinking));
    }
  }
  return blocks;
}

function toolResultBlock(message: ToolResultMessage): WireBlock {
  const block: WireBlock = { type: "tool_result", tool_use_id: anthropicToolId(message.toolCallId) };
  const content = message.content.flatMap(contentBlock);
  if (content.length > 0) block.content = content;
  if (message.isError) block.is_error = true;
  return block;
}

function contentBlock(c: TextContent | ImageContent): WireBlock[] {
  if (c.type === "text") return textBlocks(c.text);
  return [{ type: "image", source: { type: "base64", media_type: c.mimeType, data: c.data } }];
}

/** Anthropic rejects empty (and whitespace-only) text blocks. */
function textBlocks(text: string): WireBlock[] {
  return text.trim() === "" ? [] : [{ type: "text", text }];
}
