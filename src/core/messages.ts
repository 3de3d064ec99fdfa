/**
 * Small constructors and conversions for transcript messages, shared by the
 * machine and the facade.
 */
import type {
  AgentMessage,
  AgentToolResult,
  AssistantMessage,
  ImageContent,
  Message,
  Model,
  TextContent,
  ToolCall,
  ToolResultMessage,
  Usage,
  UserMessage,
} from "./types.js";

/** Zeroed usage. */
export function zeroUsage(): Usage {
  return {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    totalTokens: 0,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
  };
}

/** The sum of two usages, as a new object. */
export function sumUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    totalTokens: a.totalTokens + b.totalTokens,
    cost: {
      input: a.cost.input + b.cost.input,
      output: a.cost.output + b.cost.output,
      cacheRead: a.cost.cacheRead + b.cost.cacheRead,
      cacheWrite: a.cost.cacheWrite + b.cost.cacheWrite,
      total: a.cost.total + b.cost.total,
    },
  };
}

/** A user message from text or content blocks. */
export function userMessage(content: string | (TextContent | ImageContent)[]): UserMessage {
  return { role: "user", content, timestamp: Date.now() };
}

/** An assistant message that no model produced: how a run records an abort or a failure. */
export function syntheticAssistantMessage(model: Model | undefined, stopReason: "error" | "aborted", errorMessage: string): AssistantMessage {
  return {
    role: "assistant",
    content: [],
    api: model?.api ?? "none",
    provider: model?.provider ?? "none",
    model: model?.id ?? "none",
    usage: zeroUsage(),
    stopReason,
    errorMessage,
    timestamp: Date.now(),
  };
}

/** The transcript message answering `toolCall`. */
export function toolResultMessage(toolCall: ToolCall, result: AgentToolResult, isError: boolean): ToolResultMessage {
  const message: ToolResultMessage = {
    role: "toolResult",
    toolCallId: toolCall.id,
    toolName: toolCall.name,
    content: result.content,
    isError,
    timestamp: Date.now(),
  };
  if (result.details !== undefined) message.details = result.details;
  return message;
}

/** The tool calls of an assistant message, in order. */
export function toolCallsOf(message: AssistantMessage): ToolCall[] {
  return message.content.filter((block): block is ToolCall => block.type === "toolCall");
}

/** Default `convertToLlm`: keeps user, assistant and toolResult messages, drops app-defined ones. */
export function defaultConvertToLlm(messages: AgentMessage[]): Message[] {
  return messages.filter((m): m is Message => m.role === "user" || m.role === "assistant" || m.role === "toolResult");
}

/** The last assistant message of `messages`, if any. */
export function lastAssistantMessage(messages: readonly AgentMessage[]): AssistantMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === "assistant") return message;
  }
  return undefined;
}

/** The visible text of an assistant message. */
export function assistantText(message: AssistantMessage | undefined): string {
  if (!message) return "";
  let text = "";
  for (const block of message.content) if (block.type === "text") text += block.text;
  return text;
}
