/**
 * Public types of tinyagent: messages, models, streams, tools and agent events.
 * This module imports nothing of ours, so adapters can depend on it alone.
 */
import type { Observable } from "rxjs";
import type { StandardSchemaV1 } from "./standard-schema.js";

// ───────────────────────────── 1. Messages ─────────────────────────────

/** A run of plain text. */
export type TextContent = {
  type: "text";
  text: string;
  /** An opaque provider token that must go back with this text (Gemini's thought signature on a text part, an OpenAI Responses message item id). */
  signature?: string;
};
/** An image, base64-encoded. */
export type ImageContent = { type: "image"; data: string; mimeType: string };
/** Model reasoning; `signature` is an opaque provider token some APIs require back. */
export type ThinkingContent = {
  type: "thinking";
  thinking: string;
  /** The provider's token for this block (Anthropic's signature, OpenAI's encrypted reasoning, Gemini's thought signature). */
  signature?: string;
  /** True when the provider sent the reasoning encrypted only (Anthropic `redacted_thinking`: the data is in `signature`). */
  redacted?: boolean;
};
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
  /** An opaque provider token that must go back with this call (Gemini's thought signature, an OpenAI Responses item id). */
  signature?: string;
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
// biome-ignore lint/suspicious/noEmptyInterface: apps add their messages by declaration merging
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
  /** The provider's model id, sent in requests (e.g. "gpt-4o-mini", "anthropic/claude-sonnet-4"). */
  id: string;
  /** A name for people; defaults to `id` where shown. */
  name?: string;
  /** The wire protocol, e.g. "openai-completions"; the default stream function picks the adapter by it. */
  api: string;
  /** Who serves it, e.g. "openrouter", "openai"; selects the API key. */
  provider: string;
  /** The API root (`…/v1`) or the full `…/chat/completions` URL. */
  baseUrl: string;
  /** Extra HTTP headers of every request to this model (merged under `StreamOptions.headers`). */
  headers?: Record<string, string>;
  /** True for a reasoning model (thinking output; some APIs then take other token parameters). */
  reasoning?: boolean;
  /** The context window in tokens, for callers that budget a transcript. */
  contextWindow?: number;
  /** The most output tokens per call; the default for `StreamOptions.maxTokens` where an API needs one. */
  maxTokens?: number;
  /** Prices per million tokens; with it, `usage.cost` is computed. */
  cost?: ModelCost;
};

/** A tool as the model sees it. */
export type ToolSpec = { name: string; description: string; parameters: JSONSchema };

/** Everything a model call is given. */
export type Context = { systemPrompt?: string; messages: Message[]; tools?: ToolSpec[] };

/** Per-call options of a {@link StreamFn}. */
export type StreamOptions = {
  /** The API key; else the agent's `getApiKey(provider)`, else the provider's environment variable. */
  apiKey?: string;
  /** Aborts the call: the stream ends with an `error` event of reason "aborted". */
  signal?: AbortSignal;
  /** Sampling temperature, sent as is. */
  temperature?: number;
  /** The most output tokens of this call. */
  maxTokens?: number;
  /** A stable id of the conversation, for providers with session-aware caching. */
  sessionId?: string;
  /** Extra HTTP headers of this call (they win over `Model.headers`). */
  headers?: Record<string, string>;
  /** Retries of a failed request before the first delta (default 2). */
  maxRetries?: number;
  /** Ends the stream with an error when no data arrives for this long (ms; default 300 000, 0 turns the watchdog off). */
  idleTimeoutMs?: number;
  /** How hard a reasoning model thinks; "off" asks for no reasoning. Mapped per provider. */
  reasoning?: ReasoningLevel;
  /** Which tool the model must (or must not) call. */
  toolChoice?: "auto" | "none" | "required" | { name: string };
  /** Prompt caching: "short" (default) marks cache breakpoints / sends a cache key, "long" asks for the longer TTL, "none" sends none. */
  cacheRetention?: "none" | "short" | "long";
  /** Structured output: the answer is JSON of this schema, in the provider's native JSON-schema mode where it has one. */
  output?: { schema: JSONSchema; name?: string };
  /** Stop sequences. */
  stop?: string[];
  /** Nucleus sampling. */
  topP?: number;
  /** A sampling seed, where the provider takes one. */
  seed?: number;
  /** Merged into the request body last, for what is not named here. */
  extraBody?: Record<string, unknown>;
};

/** Reasoning effort levels of {@link StreamOptions.reasoning}. */
export type ReasoningLevel = "off" | "minimal" | "low" | "medium" | "high" | "xhigh";

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
  /**
   * Marks a returned result as an error (`isError: true` in the transcript) when
   * throwing would lose its content or details, e.g. an MCP server's error result.
   */
  isError?: boolean;
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
   * What a reopened session (`Agent.open`) does with a call of this tool that
   * was in flight when its process stopped: `"safe"` runs it again (the tool
   * is idempotent), `"never"` (default) answers it with an error result saying
   * it was interrupted and may have run in part.
   */
  replay?: "never" | "safe";
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

/**
 * Hooks of a run. Each may be async. A hook should not throw: one that does
 * ends the run with an error message in the transcript (never a hang).
 */
export type AgentHooks = {
  /**
   * Before a call runs, after its arguments were validated. Return nothing to
   * run it, `{ block: true, reason }` to refuse it (an error result carrying
   * `reason`), or `{ result }` to answer it without running the tool.
   */
  beforeToolCall?(
    ctx: { toolCall: ToolCall; tool?: AgentTool; args: unknown; messages: AgentMessage[] },
    signal?: AbortSignal,
  ): BeforeToolCallResult | Promise<BeforeToolCallResult>;
  /** After a call finished (or failed): each field returned replaces the result's own. */
  afterToolCall?(ctx: {
    toolCall: ToolCall;
    tool?: AgentTool;
    args: unknown;
    result: AgentToolResult;
    isError: boolean;
    messages: AgentMessage[];
  }): AfterToolCallResult | Promise<AfterToolCallResult>;
  /** After each turn (assistant message and its tool results): `true` ends the run there. */
  shouldStopAfterTurn?(ctx: {
    message: AssistantMessage;
    toolResults: ToolResultMessage[];
    messages: AgentMessage[];
  }): boolean | Promise<boolean>;
  /** Before each model call: the transcript the model is shown (prune, summarise, inject); the agent's own is unchanged. */
  transformContext?(messages: AgentMessage[], signal?: AbortSignal): AgentMessage[] | Promise<AgentMessage[]>;
  /** Turns the (transformed) transcript into LLM messages; default: drop roles other than user/assistant/toolResult. */
  convertToLlm?(messages: AgentMessage[]): Message[] | Promise<Message[]>;
  /** The API key for `provider` at each model call (short-lived tokens), when `streamOptions.apiKey` is not set. */
  getApiKey?(provider: string): string | undefined | Promise<string | undefined>;
};

/** How queued steering / follow-up messages are released: one per turn, or all at once. */
export type QueueMode = "one-at-a-time" | "all";

// ─────────────────────────── 5. Events ───────────────────────────

/** Everything a run tells its subscribers, in order (see the contract's §5 for the order). */
export type AgentEvent =
  /** A run started (prompt or continue). */
  | { type: "agent_start" }
  /** The run ended; `messages` are the ones it added to the transcript. */
  | { type: "agent_end"; messages: AgentMessage[] }
  /** A turn (one model call and its tools) started. */
  | { type: "turn_start" }
  /** A turn ended: its assistant message and the results of its tool calls, in call order. */
  | { type: "turn_end"; message: AssistantMessage; toolResults: ToolResultMessage[] }
  /** A message entered the transcript (an assistant message: it started streaming). */
  | { type: "message_start"; message: AgentMessage }
  /** The streaming assistant message changed; `assistantMessageEvent` is the provider event that changed it. */
  | { type: "message_update"; message: AssistantMessage; assistantMessageEvent: AssistantMessageEvent }
  /** A message is complete in the transcript. */
  | { type: "message_end"; message: AgentMessage }
  /** A tool call began (validation, approval, then execution). */
  | { type: "tool_execution_start"; toolCallId: string; toolName: string; args: unknown }
  /** A running tool reported progress (`onUpdate`). */
  | { type: "tool_execution_update"; toolCallId: string; toolName: string; args: unknown; partialResult: AgentToolResult }
  /** A tool call finished with `result` (an error result when `isError`). */
  | { type: "tool_execution_end"; toolCallId: string; toolName: string; result: AgentToolResult; isError: boolean }
  /** A failed model request is about to be retried after `delayMs` (the provider's `retry` event). */
  | { type: "model_retry"; attempt: number; delayMs: number; reason: string };

/** The `type` of an {@link AgentEvent}. */
export type AgentEventType = AgentEvent["type"];
