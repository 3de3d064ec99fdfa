/**
 * Reads an OpenAI chat-completions request body back into our `Context`, so
 * the faux server can feed the same scripts and rules as the in-process faux
 * provider. Lenient: it accepts what real clients send and ignores the rest.
 */
import type { AssistantMessage, Context, ImageContent, Message, TextContent, ToolCall, ToolSpec } from "../src/core/types.js";
import { isRecord } from "../src/core/message-checks.js";
import { emptyUsage, finalArguments } from "./assistant-message-builder.js";

/** A request body the faux server cannot read; it answers 400 with this message. */
export class FauxRequestError extends Error {
  override readonly name = "FauxRequestError";
}

/**
 * Converts an OpenAI chat-completions request body into a {@link Context}.
 * Throws {@link FauxRequestError} when the body has no `messages` array.
 * @example
 * const context = openAIRequestToContext({ messages: [{ role: "user", content: "hi" }] });
 */
export function openAIRequestToContext(body: unknown): Context {
  if (!isRecord(body) || !Array.isArray(body.messages)) {
    throw new FauxRequestError("Request body must be a JSON object with a `messages` array.");
  }
  const model = typeof body.model === "string" ? body.model : "faux";
  const system: string[] = [];
  const messages: Message[] = [];
  const toolNames = new Map<string, string>();
  for (const raw of body.messages as unknown[]) {
    if (!isRecord(raw)) throw new FauxRequestError("Every entry of `messages` must be an object.");
    switch (raw.role) {
      case "system":
      case "developer":
        system.push(textOf(raw.content));
        break;
      case "user":
        messages.push({ role: "user", content: userContent(raw.content), timestamp: 0 });
        break;
      case "assistant":
        messages.push(assistantMessage(raw, model, toolNames));
        break;
      case "tool": {
        const toolCallId = typeof raw.tool_call_id === "string" ? raw.tool_call_id : "";
        const content: TextContent[] = [{ type: "text", text: textOf(raw.content) }];
        messages.push({ role: "toolResult", toolCallId, toolName: toolNames.get(toolCallId) ?? "", content, isError: false, timestamp: 0 });
        break;
      }
      default:
        throw new FauxRequestError(`Unknown message role ${JSON.stringify(raw.role)}: expected system, user, assistant or tool.`);
    }
  }
  const context: Context = { messages };
  if (system.length > 0) context.systemPrompt = system.join("\n\n");
  const tools = toolSpecs(body.tools);
  if (tools.length > 0) context.tools = tools;
  return context;
}

function assistantMessage(raw: Record<string, unknown>, model: string, toolNames: Map<string, string>): AssistantMessage {
  const content: AssistantMessage["content"] = [];
  const reasoning = raw.reasoning_content ?? raw.reasoning;
  if (typeof reasoning === "string" && reasoning !== "") content.push({ type: "thinking", thinking: reasoning });
  const text = textOf(raw.content);
  if (text !== "") content.push({ type: "text", text });
  for (const call of Array.isArray(raw.tool_calls) ? raw.tool_calls : []) {
    if (!isRecord(call) || !isRecord(call.function)) continue;
    const id = typeof call.id === "string" ? call.id : "";
    const name = typeof call.function.name === "string" ? call.function.name : "";
    const args = typeof call.function.arguments === "string" ? call.function.arguments : "";
    const toolCall: ToolCall = { type: "toolCall", id, name, ...finalArguments(args) };
    toolNames.set(id, name);
    content.push(toolCall);
  }
  const hasCalls = content.some((block) => block.type === "toolCall");
  return {
    role: "assistant",
    content,
    api: "openai-completions",
    provider: "faux",
    model,
    usage: emptyUsage(),
    stopReason: hasCalls ? "toolUse" : "stop",
    timestamp: 0,
  };
}

function userContent(content: unknown): string | (TextContent | ImageContent)[] {
  if (typeof content === "string") return content;
  const parts: (TextContent | ImageContent)[] = [];
  for (const part of Array.isArray(content) ? content : []) {
    if (!isRecord(part)) continue;
    if (part.type === "text" && typeof part.text === "string") parts.push({ type: "text", text: part.text });
    if (part.type === "image_url" && isRecord(part.image_url) && typeof part.image_url.url === "string") {
      const match = /^data:([^;,]+);base64,(.*)$/s.exec(part.image_url.url);
      if (match) parts.push({ type: "image", mimeType: match[1]!, data: match[2]! });
    }
  }
  return parts;
}

/** The text of a `content` that is a string, an array of parts, or null. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : "")).join("");
}

function toolSpecs(tools: unknown): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const tool of Array.isArray(tools) ? tools : []) {
    if (!isRecord(tool) || !isRecord(tool.function) || typeof tool.function.name !== "string") continue;
    specs.push({
      name: tool.function.name,
      description: typeof tool.function.description === "string" ? tool.function.description : "",
      parameters: isRecord(tool.function.parameters) ? tool.function.parameters : { type: "object", properties: {} },
    });
  }
  return specs;
}
