/**
 * Public types of tinyagent: messages, models, streams, tools and agent events.
 * This module imports nothing of ours, so adapters can depend on it alone.
 */
import type { Observable } from "rxjs";
import type { StandardSchemaV1 } from "./standard-schema.js";

// ───────────────────────────── 1. Messages ─────────────────────────────

/** A run of plain text. */
export type TextContent = { type: "text"; text: string };
/** An image, base64-encoded. */
export type ImageContent = { type: "image"; data: string; mimeType: string };
/** Model reasoning; `signature` is an opaque provider token some APIs require back. */
export type ThinkingContent = { type: "thinking"; thinking: string; signature?: string };
/** A request from the model to run a tool. */
export type ToolCall = {
  type: "toolCall";
  /** The provider's id of the call; its result carries the same `toolCallId`. */
  id: string;
  /** The tool the model asked for. */
  name: string;
  /** The parsed arguments (`{}` when they could not be parsed: see `invalidArguments`). */
  arguments: Record<string, unknown>;
  /**
   * Set when the model's argument text is not a JSON object: the text as the
   * model wrote it and why it failed. The call then gets an error result
   * telling the model so, and the text goes back to the provider verbatim.
   */
  invalidArguments?: { raw: string; error: string };
};

/** Token counts and their cost in dollars. */
export type Usage = {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
};

/** Why an assistant message ended. */
export type StopReason = "stop" | "length" | "toolUse" | "error" | "aborted";

/** A message from the user. */
export type UserMessage = { role: "user"; content: string | (TextContent | ImageContent)[]; timestamp: number };

/** A message from the model. */
export type AssistantMessage = {
  role: "assistant";
  content: (TextContent | ThinkingContent | ToolCall)[];
  api: string;
  provider: string;
  model: string;
  usage: Usage;
  stopReason: StopReason;
  /** Set when `stopReason` is "error" or "aborted": what went wrong, for a person. */
  errorMessage?: string;
  timestamp: number;
};

/** The answer to one {@link ToolCall}. */
export type ToolResultMessage = {
  role: "toolResult";
  toolCallId: string;
  toolName: string;
  content: (TextContent | ImageContent)[];
  details?: unknown;
  isError: boolean;
  timestamp: number;
};

/** A message an LLM understands. */
export type Message = UserMessage | AssistantMessage | ToolResultMessage;

/**
 * Extend this interface (declaration merging) to add app-specific message kinds
 * to the transcript; `convertToLlm` decides what the model sees of them.
 * @example
 * declare module "tinyagent" { interface CustomAgentMessages { note: { role: "note"; text: string } } }
 */
export interface CustomAgentMessages {}

/** A transcript entry: an LLM message or an app-defined one. */
export type AgentMessage = Message | CustomAgentMessages[keyof CustomAgentMessages];

// ──────────────────────── 2. Model, context, stream ────────────────────────

/** A JSON Schema document. */
export type JSONSchema = Record<string, unknown>;

/** Prices in dollars per million tokens. */
export type ModelCost = { input: number; output: number; cacheRead: number; cacheWrite: number };

/** Which model to call and how to reach it. */
export type Model = {
  id: string;
  name?: string;
  /** The wire protocol, e.g. "openai-completions". */
  api: string;
  /** Who serves it, e.g. "openrouter", "openai"; selects the API key. */
  provider: string;
  /** The API root (`…/v1`) or the full `…/chat/completions` URL. */
  baseUrl: string;
  headers?: Record<string, string>;
  reasoning?: boolean;
  contextWindow?: number;
  maxTokens?: number;
  cost?: ModelCost;
};

/** A tool as the model sees it. */
export type ToolSpec = { name: string; description: string; parameters: JSONSchema };

/** Everything a model call is given. */
export type Context = { systemPrompt?: string; messages: Message[]; tools?: ToolSpec[] };

/** Per-call options of a {@link StreamFn}. */
export type StreamOptions = {
  apiKey?: string;
  signal?: AbortSignal;
  temperature?: number;
  maxTokens?: number;
  sessionId?: string;
  headers?: Record<string, string>;
  /** Retries of a failed request before the first delta (default 2). */
  maxRetries?: number;
  /** Ends the stream with an error when no byte arrives for this long (ms). */
  idleTimeoutMs?: number;
};

/** The events of one streamed assistant message, in order. */
export type AssistantMessageEvent =
  | { type: "start"; partial: AssistantMessage }
  | { type: "text_start"; contentIndex: number; partial: AssistantMessage }
  | { type: "text_delta"; contentIndex: number; delta: string; partial: AssistantMessage }
  | { type: "text_end"; contentIndex: number; content: string; partial: AssistantMessage }
  | { type: "thinking_start"; contentIndex: number; partial: AssistantMessage }
  | { type: "thinking_delta"; contentIndex: number; delta: string; partial: AssistantMessage }
  | { type: "thinking_end"; contentIndex: number; content: string; partial: AssistantMessage }
  | { type: "toolcall_start"; contentIndex: number; partial: AssistantMessage }
  | { type: "toolcall_delta"; contentIndex: number; delta: string; partial: AssistantMessage }
  | { type: "toolcall_end"; contentIndex: number; toolCall: ToolCall; partial: AssistantMessage }
  | { type: "retry"; attempt: number; delayMs: number; reason: string }
  | { type: "done"; reason: "stop" | "length" | "toolUse"; message: AssistantMessage }
  | { type: "error"; reason: "error" | "aborted"; error: AssistantMessage };

/** A terminal event: the last one of every stream. */
export type TerminalAssistantMessageEvent = Extract<AssistantMessageEvent, { type: "done" | "error" }>;

/**
 * A model provider: a cold Observable of one assistant message's events.
 * Must not throw for provider trouble: it ends in one terminal `error` event.
 * Unsubscribing cancels the request.
 */
export type StreamFn = (model: Model, context: Context, options?: StreamOptions) => Observable<AssistantMessageEvent>;

// ───────────────────────────── 3. Tools ─────────────────────────────

/** What a tool returns. `terminate: true` ends the run after the current tool batch. */
export type AgentToolResult<TDetails = unknown> = {
  content: (TextContent | ImageContent)[];
  details?: TDetails;
  terminate?: boolean;
};

/**
 * A tool's arguments schema: a zod 4 schema (zod 4, or zod 3.25+'s `zod/v4`),
 * another Standard Schema validator that can give JSON Schema
 * (`~standard.jsonSchema`), or a plain JSON Schema of an object.
 */
export type ToolParameters<TArgs = unknown> = StandardSchemaV1<unknown, TArgs> | JSONSchema;

/** `requiresApproval` as a function; declared as a method so a typed tool fits `AgentTool<unknown>`. */
export type ApprovalRule<TArgs> = { bivarianceHack(args: TArgs): boolean }["bivarianceHack"];

/** A function the model may call. */
export type AgentTool<TArgs = unknown, TDetails = unknown> = {
  name: string;
  description: string;
  /** A human-readable name for UIs. */
  label?: string;
  /** The arguments' schema, describing an object: see {@link ToolParameters}. */
  parameters: ToolParameters<TArgs>;
  /** Hold the call until `agent.approve(id)` / `agent.reject(id)`. */
  requiresApproval?: boolean | ApprovalRule<TArgs>;
  /** Abort the tool's signal and answer with an error after this long. */
  timeoutMs?: number;
  /**
   * Run the tool. A thrown error becomes an error result the model can read.
   * Call `onUpdate` to report progress (`tool_execution_update`).
   */
  execute(
    toolCallId: string,
    args: TArgs,
    signal: AbortSignal | undefined,
    onUpdate: (partial: AgentToolResult<TDetails>) => void,
  ): Promise<AgentToolResult<TDetails>>;
};

// ───────────────────────────── 4. Agent ─────────────────────────────

/** What `beforeToolCall` may answer. */
export type BeforeToolCallResult =
  | void
  | undefined
  | { block: true; reason: string }
  | { result: AgentToolResult; isError?: boolean };

/** What `afterToolCall` may answer; each field given replaces the result's own. */
export type AfterToolCallResult =
  | void
  | undefined
  | { content?: (TextContent | ImageContent)[]; details?: unknown; isError?: boolean; terminate?: boolean };

/** Hooks of a run. Each may be async; one that throws ends the run with an error message. */
export type AgentHooks = {
  beforeToolCall?(
    ctx: { toolCall: ToolCall; tool?: AgentTool; args: unknown; messages: AgentMessage[] },
    signal?: AbortSignal,
  ): BeforeToolCallResult | Promise<BeforeToolCallResult>;
  afterToolCall?(ctx: {
    toolCall: ToolCall;
    tool?: AgentTool;
    args: unknown;
    result: AgentToolResult;
    isError: boolean;
    messages: AgentMessage[];
  }): AfterToolCallResult | Promise<AfterToolCallResult>;
  shouldStopAfterTurn?(ctx: {
    message: AssistantMessage;
    toolResults: ToolResultMessage[];
    messages: AgentMessage[];
  }): boolean | Promise<boolean>;
  transformContext?(messages: AgentMessage[], signal?: AbortSignal): AgentMessage[] | Promise<AgentMessage[]>;
  convertToLlm?(messages: AgentMessage[]): Message[] | Promise<Message[]>;
  getApiKey?(provider: string): string | undefined | Promise<string | undefined>;
};

/** How queued steering / follow-up messages are released: one per turn, or all at once. */
export type QueueMode = "one-at-a-time" | "all";

// ─────────────────────────── 5. Events ───────────────────────────

/** Everything a run tells its subscribers, in order. */
export type AgentEvent =
  | { type: "agent_start" }
  | { type: "agent_end"; messages: AgentMessage[] }
  | { type: "turn_start" }
  | { type: "turn_end"; message: AssistantMessage; toolResults: ToolResultMessage[] }
  | { type: "message_start"; message: AgentMessage }
  | { type: "message_update"; message: AssistantMessage; assistantMessageEvent: AssistantMessageEvent }
  | { type: "message_end"; message: AgentMessage }
  | { type: "tool_execution_start"; toolCallId: string; toolName: string; args: unknown }
  | { type: "tool_execution_update"; toolCallId: string; toolName: string; args: unknown; partialResult: AgentToolResult }
  | { type: "tool_execution_end"; toolCallId: string; toolName: string; result: AgentToolResult; isError: boolean };

/** The `type` of an {@link AgentEvent}. */
export type AgentEventType = AgentEvent["type"];
