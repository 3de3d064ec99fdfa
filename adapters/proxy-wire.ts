/**
 * The proxy wire format: the request body of `POST /api/stream` and the
 * compact events streamed back. It is the format pi-agent-core's
 * `streamProxy` and TinyAgent's Python `stream_proxy` speak, so requests are
 * accepted in both camelCase (pi, us) and snake_case (TinyAgent) shapes and
 * normalised here to our types; nothing else in the proxy sees the aliases.
 * pi-agent-core ≥ 0.87 (1.x) sends the prompt and tools as `role: "system"`
 * messages in the transcript instead of `systemPrompt`/`tools`; they are
 * replayed here into one system prompt and tool list, as pi-ai does for
 * providers without mid-conversation system messages.
 */
import { z } from "zod/v4";
import type {
  AssistantMessage,
  AssistantMessageEvent,
  Context,
  ImageContent,
  Message,
  StopReason,
  TextContent,
  ThinkingContent,
  ToolCall,
  ToolSpec,
  Usage,
} from "../src/core/types.js";

// ─────────────────────────── request: pieces ───────────────────────────

const num = z.number().nullish();
const timestamp = z
  .number()
  .nullish()
  .transform((t) => t ?? 0);

const textBlock = z.object({ type: z.literal("text"), text: z.string() }).transform((b): TextContent => ({ type: "text", text: b.text }));

// Ours and pi's carry base64 `data`; TinyAgent's carry a `url`, usable only as a data: URL.
const imageBlock = z
  .object({
    type: z.literal("image"),
    data: z.string().optional(),
    mimeType: z.string().optional(),
    mime_type: z.string().nullish(),
    url: z.string().optional(),
  })
  .transform((b, ctx): ImageContent => {
    if (b.data !== undefined) return { type: "image", data: b.data, mimeType: b.mimeType ?? b.mime_type ?? "image/png" };
    const match = /^data:([^;,]+);base64,(.*)$/s.exec(b.url ?? "");
    if (match?.[1] && match[2] !== undefined) return { type: "image", data: match[2], mimeType: match[1] };
    ctx.issues.push({ code: "custom", message: "image needs base64 `data` or a `data:` URL in `url`", input: b });
    return z.NEVER;
  });

const thinkingBlock = z
  .object({
    type: z.literal("thinking"),
    thinking: z.string(),
    signature: z.string().nullish(),
    thinkingSignature: z.string().nullish(),
    thinking_signature: z.string().nullish(),
  })
  .transform((b): ThinkingContent => {
    const signature = b.signature ?? b.thinkingSignature ?? b.thinking_signature;
    return signature == null ? { type: "thinking", thinking: b.thinking } : { type: "thinking", thinking: b.thinking, signature };
  });

const toolCallBlock = z
  .object({
    type: z.enum(["toolCall", "tool_call"]),
    id: z.string(),
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()).nullish(),
  })
  .transform((b): ToolCall => ({ type: "toolCall", id: b.id, name: b.name, arguments: b.arguments ?? {} }));

const userContent = z.union([z.string(), z.array(z.discriminatedUnion("type", [textBlock, imageBlock]))]);
const toolResultContent = z
  .union([z.string(), z.array(z.discriminatedUnion("type", [textBlock, imageBlock]))])
  .transform((c) => (typeof c === "string" ? [{ type: "text" as const, text: c }] : c));

const usage = z
  .object({
    input: num,
    output: num,
    cacheRead: num,
    cache_read: num,
    cacheWrite: num,
    cache_write: num,
    totalTokens: num,
    total_tokens: num,
    cost: z.object({ input: num, output: num, cacheRead: num, cacheWrite: num, total: num }).partial().nullish(),
  })
  .partial()
  .nullish()
  .transform((u): Usage => {
    const c = u?.cost;
    return {
      input: u?.input ?? 0,
      output: u?.output ?? 0,
      cacheRead: u?.cacheRead ?? u?.cache_read ?? 0,
      cacheWrite: u?.cacheWrite ?? u?.cache_write ?? 0,
      totalTokens: u?.totalTokens ?? u?.total_tokens ?? 0,
      cost: { input: c?.input ?? 0, output: c?.output ?? 0, cacheRead: c?.cacheRead ?? 0, cacheWrite: c?.cacheWrite ?? 0, total: c?.total ?? 0 },
    };
  });

// TinyAgent also uses "complete", "tool_calls" and "tool_use".
const stopReasons: Record<string, StopReason> = {
  stop: "stop",
  complete: "stop",
  length: "length",
  toolUse: "toolUse",
  tool_use: "toolUse",
  tool_calls: "toolUse",
  error: "error",
  aborted: "aborted",
};
const stopReason = z.enum(Object.keys(stopReasons) as [string, ...string[]]).nullish();

const userMessage = z
  .object({ role: z.literal("user"), content: userContent, timestamp })
  .transform((m): Message => ({ role: "user", content: m.content, timestamp: m.timestamp }));

const assistantMessage = z
  .object({
    role: z.literal("assistant"),
    // TinyAgent may leave `null` holes where a block never started.
    content: z.array(z.discriminatedUnion("type", [textBlock, thinkingBlock, toolCallBlock]).nullable()),
    api: z.string().nullish(),
    provider: z.string().nullish(),
    model: z.string().nullish(),
    usage,
    stopReason,
    stop_reason: stopReason,
    errorMessage: z.string().nullish(),
    error_message: z.string().nullish(),
    timestamp,
  })
  .transform((m): AssistantMessage => {
    const message: AssistantMessage = {
      role: "assistant",
      content: m.content.filter((b) => b !== null),
      api: m.api ?? "",
      provider: m.provider ?? "",
      model: m.model ?? "",
      usage: m.usage,
      stopReason: stopReasons[m.stopReason ?? m.stop_reason ?? "stop"] ?? "stop",
      timestamp: m.timestamp,
    };
    const errorMessage = m.errorMessage ?? m.error_message;
    if (errorMessage != null) message.errorMessage = errorMessage;
    return message;
  });

const toolResultMessage = z
  .object({
    role: z.enum(["toolResult", "tool_result"]),
    toolCallId: z.string().optional(),
    tool_call_id: z.string().optional(),
    toolName: z.string().nullish(),
    tool_name: z.string().nullish(),
    content: toolResultContent,
    details: z.unknown().optional(),
    isError: z.boolean().nullish(),
    is_error: z.boolean().nullish(),
    timestamp,
  })
  .transform((m, ctx): Message => {
    const toolCallId = m.toolCallId ?? m.tool_call_id;
    if (toolCallId === undefined) {
      ctx.issues.push({ code: "custom", message: "toolCallId (or tool_call_id) is required", input: m, path: ["toolCallId"] });
      return z.NEVER;
    }
    const message: Message = {
      role: "toolResult",
      toolCallId,
      toolName: m.toolName ?? m.tool_name ?? "",
      content: m.content,
      isError: m.isError ?? m.is_error ?? false,
      timestamp: m.timestamp,
    };
    if (m.details !== undefined) message.details = m.details;
    return message;
  });

const toolSpec = z.object({
  name: z.string().min(1),
  description: z
    .string()
    .nullish()
    .transform((d) => d ?? ""),
  parameters: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((p) => p ?? { type: "object", properties: {} }),
});

/** A `role: "system"` transcript entry (pi-agent-core ≥ 0.87), before it is replayed into the context. */
type SystemUpdate = {
  role: "system";
  content: string;
  sections: Record<string, string | null>;
  toolsAdded: ToolSpec[];
  toolsRemoved: string[];
};

const systemMessage = z
  .object({
    role: z.literal("system"),
    content: z.union([z.string(), z.array(textBlock)]).nullish(),
    sections: z.record(z.string(), z.string().nullable()).nullish(),
    toolsAdded: z.array(toolSpec).nullish(),
    tools_added: z.array(toolSpec).nullish(),
    toolsRemoved: z.array(z.object({ name: z.string() })).nullish(),
    tools_removed: z.array(z.object({ name: z.string() })).nullish(),
    timestamp,
  })
  .transform(
    (m): SystemUpdate => ({
      role: "system",
      content: typeof m.content === "string" ? m.content : (m.content ?? []).map((b) => b.text).join("\n"),
      sections: m.sections ?? {},
      toolsAdded: m.toolsAdded ?? m.tools_added ?? [],
      toolsRemoved: (m.toolsRemoved ?? m.tools_removed ?? []).map((t) => t.name),
    }),
  );

/**
 * Replays the system prompt, the tools and every system message in order:
 * later `content` is appended, `sections` are patched by name (`null`
 * removes one) and rendered after the content, tools are added and removed.
 */
function replaySystem(initial: SystemUpdate, messages: (Message | SystemUpdate)[]): Pick<Context, "systemPrompt" | "tools" | "messages"> {
  const content: string[] = [];
  const sections = new Map<string, string>();
  const tools = new Map<string, ToolSpec>();
  const rest: Message[] = [];
  for (const message of [initial, ...messages]) {
    if (message.role !== "system") {
      rest.push(message);
      continue;
    }
    if (message.content.length > 0) content.push(message.content);
    for (const [name, value] of Object.entries(message.sections)) {
      if (value === null) sections.delete(name);
      else sections.set(name, value);
    }
    for (const name of message.toolsRemoved) tools.delete(name);
    for (const tool of message.toolsAdded) tools.set(tool.name, tool);
  }
  const context: Pick<Context, "systemPrompt" | "tools" | "messages"> = { messages: rest };
  const systemPrompt = [...content, ...sections.values()].filter((part) => part.length > 0).join("\n\n");
  if (systemPrompt) context.systemPrompt = systemPrompt;
  if (tools.size > 0) context.tools = [...tools.values()];
  return context;
}

// ─────────────────────────── request: whole body ───────────────────────────

/** The model a client asked for. The server decides what it maps to; a client never chooses the upstream URL. */
export type ProxyRequestModel = { id: string; provider?: string; api?: string; name?: string };

/** A validated, normalised request body. */
export type ProxyRequest = {
  model: ProxyRequestModel;
  context: Context;
  options: { temperature?: number; maxTokens?: number; sessionId?: string };
};

/** The `POST /api/stream` body: `{ model, context, options }`, camelCase or snake_case. */
export const proxyRequestSchema = z
  .object({
    model: z.object({ id: z.string().min(1), provider: z.string().nullish(), api: z.string().nullish(), name: z.string().nullish() }),
    context: z.object({
      systemPrompt: z.string().nullish(),
      system_prompt: z.string().nullish(),
      messages: z.array(z.discriminatedUnion("role", [systemMessage, userMessage, assistantMessage, toolResultMessage])),
      tools: z.array(toolSpec).nullish(),
    }),
    options: z
      .object({
        temperature: z.number().nullish(),
        maxTokens: z.number().int().positive().nullish(),
        max_tokens: z.number().int().positive().nullish(),
        sessionId: z.string().nullish(),
        session_id: z.string().nullish(),
      })
      .nullish(),
  })
  .transform((body): ProxyRequest => {
    const { model: m, context: c, options: o } = body;
    const model: ProxyRequestModel = { id: m.id };
    if (m.provider != null) model.provider = m.provider;
    if (m.api != null) model.api = m.api;
    if (m.name != null) model.name = m.name;
    // The older shape's systemPrompt and tools act as a leading system message (TinyAgent sends "" for none).
    const initial: SystemUpdate = {
      role: "system",
      content: c.systemPrompt ?? c.system_prompt ?? "",
      sections: {},
      toolsAdded: c.tools ?? [],
      toolsRemoved: [],
    };
    const context: Context = replaySystem(initial, c.messages);
    const options: ProxyRequest["options"] = {};
    if (o?.temperature != null) options.temperature = o.temperature;
    const maxTokens = o?.maxTokens ?? o?.max_tokens;
    if (maxTokens != null) options.maxTokens = maxTokens;
    const sessionId = o?.sessionId ?? o?.session_id;
    if (sessionId != null) options.sessionId = sessionId;
    return { model, context, options };
  });

// ─────────────────────────── events ───────────────────────────

/** One streamed event on the wire: an {@link AssistantMessageEvent} without `partial`. */
export type ProxyWireEvent =
  | { type: "start" }
  | { type: "text_start" | "thinking_start"; contentIndex: number }
  | { type: "text_delta" | "thinking_delta" | "toolcall_delta"; contentIndex: number; delta: string }
  | { type: "text_end" | "thinking_end"; contentIndex: number; contentSignature?: string }
  | { type: "toolcall_start"; contentIndex: number; id: string; toolName: string }
  | { type: "toolcall_end"; contentIndex: number }
  | { type: "done"; reason: "stop" | "length" | "toolUse"; usage: Usage }
  | { type: "error"; reason: "error" | "aborted"; errorMessage?: string; usage: Usage };

/** Strips `partial` (and other derivable fields) from an event; `retry` has no wire form. */
export function toWireEvent(event: AssistantMessageEvent): ProxyWireEvent | undefined {
  switch (event.type) {
    case "start":
      return { type: "start" };
    case "text_start":
    case "thinking_start":
      return { type: event.type, contentIndex: event.contentIndex };
    case "text_delta":
    case "thinking_delta":
    case "toolcall_delta":
      return { type: event.type, contentIndex: event.contentIndex, delta: event.delta };
    case "text_end":
      return { type: "text_end", contentIndex: event.contentIndex };
    case "thinking_end": {
      const block = event.partial.content[event.contentIndex];
      const signature = block?.type === "thinking" ? block.signature : undefined;
      return signature === undefined
        ? { type: "thinking_end", contentIndex: event.contentIndex }
        : { type: "thinking_end", contentIndex: event.contentIndex, contentSignature: signature };
    }
    case "toolcall_start": {
      const block = event.partial.content[event.contentIndex];
      const call = block?.type === "toolCall" ? block : undefined;
      return { type: "toolcall_start", contentIndex: event.contentIndex, id: call?.id ?? "", toolName: call?.name ?? "" };
    }
    case "toolcall_end":
      return { type: "toolcall_end", contentIndex: event.contentIndex };
    case "done":
      return { type: "done", reason: event.reason, usage: event.message.usage };
    case "error": {
      const { errorMessage, usage } = event.error;
      return errorMessage === undefined ? { type: "error", reason: event.reason, usage } : { type: "error", reason: event.reason, errorMessage, usage };
    }
    case "retry":
      return undefined;
  }
}

const index = z.number().int().nonnegative();

/** Validates one event a proxy server sent (used by the client). */
export const proxyWireEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start") }),
  z.object({ type: z.enum(["text_start", "thinking_start"]), contentIndex: index }),
  z.object({ type: z.enum(["text_delta", "thinking_delta", "toolcall_delta"]), contentIndex: index, delta: z.string() }),
  z.object({ type: z.enum(["text_end", "thinking_end"]), contentIndex: index, contentSignature: z.string().nullish() }),
  z.object({ type: z.literal("toolcall_start"), contentIndex: index, id: z.string().nullish(), toolName: z.string().nullish() }),
  z.object({ type: z.literal("toolcall_end"), contentIndex: index }),
  z.object({ type: z.literal("done"), reason: z.enum(["stop", "length", "toolUse"]), usage }),
  z.object({ type: z.literal("error"), reason: z.enum(["error", "aborted"]), errorMessage: z.string().nullish(), usage }),
]);

/** A validated event from a proxy server (optional fields may be null). */
export type ParsedProxyWireEvent = z.output<typeof proxyWireEventSchema>;
