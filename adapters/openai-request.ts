/**
 * Maps a tinyagent {@link Context} to an OpenAI chat-completions request:
 * URL, headers (with the API key) and JSON body.
 */
import type { AssistantMessage, Context, ImageContent, Model, StreamOptions, TextContent, ToolCall } from "../src/core/types.js";
import { bearerHeaders } from "./api-key.js";
import type { ApiKeySource } from "./http-errors.js";
import { imageHold, TOOL_IMAGES_INTRO, toolResultImages, toolResultText } from "./tool-result-text.js";

/** One message of the chat-completions `messages` array. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ChatContentPart[] }
  | { role: "assistant"; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** A part of a multi-part user message. */
export type ChatContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

/** A tool call the assistant made, as the API expects it back. */
export type ChatToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

/** A ready-to-send request. */
export type ChatRequest = { url: string; headers: Record<string, string>; body: string; keySource: ApiKeySource };

/**
 * Extra request fields and headers a provider adds (OpenRouter's attribution
 * and `reasoning`); `ownsReasoning`: the provider maps the reasoning level
 * itself, so no `reasoning_effort` is sent.
 */
export type RequestExtras = { headers?: Record<string, string>; body?: Record<string, unknown>; ownsReasoning?: boolean };

/** `baseUrl` may be the API root (`…/v1`) or the full `…/chat/completions` URL. */
export function chatCompletionsUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return trimmed.endsWith("/chat/completions") ? trimmed : `${trimmed}/chat/completions`;
}

/** Builds the whole request for one call. */
export function buildChatRequest(model: Model, context: Context, options: StreamOptions, extras: RequestExtras = {}): ChatRequest {
  const { headers, source } = bearerHeaders(model, options, extras.headers);
  const body: Record<string, unknown> = {
    model: model.id,
    messages: toChatMessages(context),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (context.tools && context.tools.length > 0) {
    body.tools = context.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }
  const choice = options.toolChoice;
  if (choice !== undefined && body.tools) body.tool_choice = typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
  if (options.temperature !== undefined) body.temperature = options.temperature;
  if (options.topP !== undefined) body.top_p = options.topP;
  if (options.stop !== undefined) body.stop = options.stop;
  if (options.seed !== undefined) body.seed = options.seed;
  // OpenAI's reasoning models refuse `max_tokens` (their hidden reasoning counts too): they take `max_completion_tokens`.
  if (options.maxTokens !== undefined) body[model.provider === "openai" && model.reasoning ? "max_completion_tokens" : "max_tokens"] = options.maxTokens;
  if (options.reasoning !== undefined && options.reasoning !== "off" && !extras.ownsReasoning) body.reasoning_effort = options.reasoning;
  if (model.provider === "openai" && options.sessionId && options.cacheRetention !== "none") body.prompt_cache_key = options.sessionId;
  if (options.output) {
    const name = (options.output.name ?? "output").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
    body.response_format = { type: "json_schema", json_schema: { name, schema: options.output.schema, strict: false } };
  }
  Object.assign(body, extras.body, options.extraBody);
  return { url: chatCompletionsUrl(model.baseUrl), headers, body: JSON.stringify(body), keySource: source };
}

/**
 * The `messages` array. Images of tool results cannot ride in a `tool`
 * message, so they follow, once the run of tool results ends, in one user message.
 */
export function toChatMessages(context: Context): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (context.systemPrompt) out.push({ role: "system", content: context.systemPrompt });
  const images = imageHold<ChatContentPart>((parts) => out.push({ role: "user", content: [{ type: "text", text: TOOL_IMAGES_INTRO }, ...parts] }));
  for (const message of context.messages) {
    if (message.role !== "toolResult") images.flush();
    switch (message.role) {
      case "user":
        out.push({ role: "user", content: typeof message.content === "string" ? message.content : message.content.map(toPart) });
        break;
      case "assistant": {
        const mapped = toAssistantMessage(message);
        if (mapped) out.push(mapped);
        break;
      }
      case "toolResult":
        images.add(toolResultImages(message).map(toPart));
        out.push({ role: "tool", tool_call_id: message.toolCallId, content: toolResultText(message) });
        break;
    }
  }
  images.flush();
  return out;
}

function toPart(c: TextContent | ImageContent): ChatContentPart {
  return c.type === "text" ? { type: "text", text: c.text } : { type: "image_url", image_url: { url: `data:${c.mimeType};base64,${c.data}` } };
}

/** The arguments as the model wrote them: unparseable ones go back verbatim. */
function argumentsText(call: ToolCall): string {
  return call.invalidArguments?.raw ?? JSON.stringify(call.arguments);
}

// Thinking is not sent back: several servers (DeepSeek among them) reject `reasoning_content` in requests.
function toAssistantMessage(message: AssistantMessage): ChatMessage | undefined {
  let text = "";
  const toolCalls: ChatToolCall[] = [];
  for (const block of message.content) {
    if (block.type === "text") text += block.text;
    else if (block.type === "toolCall") {
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: argumentsText(block) } });
    }
  }
  // An assistant message with neither text nor tool calls is rejected by the API.
  if (text === "" && toolCalls.length === 0) return undefined;
  return toolCalls.length > 0 ? { role: "assistant", content: text || null, tool_calls: toolCalls } : { role: "assistant", content: text };
}
