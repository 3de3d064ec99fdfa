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
  /** Input tokens not read from the cache. */
  input: number;
  /** Output tokens, reasoning included. */
  output: number;
  /** Input tokens read from the provider's prompt cache. */
  cacheRead: number;
  /** Input tokens written to the prompt cache. */
  cacheWrite: number;
  /** All of the above. */
  totalTokens: number;
  /** What they cost in dollars, by the model's {@link ModelCost} (zeros without one). */
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
};

/** Why an assistant message ended. */
export type StopReason = "stop" | "length" | "toolUse" | "error" | "aborted";

/** A message from the user. */
export type UserMessage = {
  role: "user";
  /** Text, or text and images. */
  content: string | (TextContent | ImageContent)[];
  /** When it was sent (ms since the epoch). */
  timestamp: number;
};

/** A message from the model. */
export type AssistantMessage = {
  role: "assistant";
  /** Text, reasoning and tool calls, in the order the model produced them. */
  content: (TextContent | ThinkingContent | ToolCall)[];
  /** The {@link Model.api} that produced it (a continuation on another API converts it). */
  api: string;
  /** The {@link Model.provider} that served it. */
  provider: string;
  /** The {@link Model.id} that wrote it. */
  model: string;
  /** What the call used and cost. */
  usage: Usage;
  /** Why it ended. */
  stopReason: StopReason;
  /** Set when `stopReason` is "error" or "aborted": what went wrong, for a person. */
  errorMessage?: string;
  /** When it started streaming (ms since the epoch). */
  timestamp: number;
};

/** The answer to one {@link ToolCall}. */
export type ToolResultMessage = {
  role: "toolResult";
  /** The {@link ToolCall.id} it answers. */
  toolCallId: string;
  /** The tool that was called. */
  toolName: string;
  /** What the model reads. */
  content: (TextContent | ImageContent)[];
  /** The tool's structured data for the app; never sent to the model. */
  details?: unknown;
  /** True when the call failed (threw, refused, invalid, timed out or aborted). */
  isError: boolean;
  /** When the call was answered (ms since the epoch). */
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
export type ToolSpec = {
  /** The name the model calls it by. */
  name: string;
  /** What it does, for the model. */
  description: string;
  /** Its arguments as a JSON Schema of an object. */
  parameters: JSONSchema;
};

/** Everything a model call is given. */
export type Context = {
  /** Instructions ahead of the transcript. */
  systemPrompt?: string;
  /** The transcript the model is shown. */
  messages: Message[];
  /** The tools it may call. */
  tools?: ToolSpec[];
};

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
  /** What the model reads. */
  content: (TextContent | ImageContent)[];
  /** Structured data for the app (UIs, logs); never sent to the model. */
  details?: TDetails;
  /** Ends the run once the current batch of tool calls is answered. */
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
  /** The name the model calls it by (providers accept `[a-zA-Z0-9_-]{1,64}`). */
  name: string;
  /** What it does and when to use it, for the model. */
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
export type BeforeToolCallResult = void | undefined | { block: true; reason: string } | { result: AgentToolResult; isError?: boolean };

/** What `afterToolCall` may answer; each field given replaces the result's own. */
export type AfterToolCallResult = void | undefined | { content?: (TextContent | ImageContent)[]; details?: unknown; isError?: boolean; terminate?: boolean };

/** What the tool-call hooks are told about a call. */
export type ToolCallHookContext = {
  /** The call as the model made it. */
  toolCall: ToolCall;
  /** The tool it names; absent (in `afterToolCall`) when the agent has none of that name. */
  tool?: AgentTool;
  /** The validated arguments (the schema's output); the call's own when it was answered without running. */
  args: unknown;
  /** The whole transcript so far. */
  messages: AgentMessage[];
};

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
  beforeToolCall?(ctx: ToolCallHookContext, signal?: AbortSignal): BeforeToolCallResult | Promise<BeforeToolCallResult>;
  /** After a call finished (or failed): each field returned replaces the result's own. */
  afterToolCall?(
    ctx: ToolCallHookContext & {
      /** The result so far. */
      result: AgentToolResult;
      /** True when the result is an error. */
      isError: boolean;
    },
  ): AfterToolCallResult | Promise<AfterToolCallResult>;
  /** After each turn (assistant message and its tool results): `true` ends the run there. */
  shouldStopAfterTurn?(ctx: {
    /** The turn's assistant message. */
    message: AssistantMessage;
    /** The results of its tool calls, in call order. */
    toolResults: ToolResultMessage[];
    /** The whole transcript so far. */
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

/**
 * Everything a run tells its subscribers, in order (see the contract's §5 for
 * the order). `type` names the event; the other fields are its data.
 */
export type AgentEvent =
  /** A run started (prompt or continue). */
  | { type: "agent_start" }
  /** The run ended. */
  | {
      type: "agent_end";
      /** The messages the run added to the transcript, in order. */
      messages: AgentMessage[];
    }
  /** A turn (one model call and its tools) started. */
  | { type: "turn_start" }
  /** A turn ended. */
  | {
      type: "turn_end";
      /** The turn's assistant message. */
      message: AssistantMessage;
      /** The results of its tool calls, in call order. */
      toolResults: ToolResultMessage[];
    }
  /** A message entered the transcript (an assistant message: it started streaming). */
  | {
      type: "message_start";
      /** The message; an assistant message is still partial here. */
      message: AgentMessage;
    }
  /** The streaming assistant message changed. */
  | {
      type: "message_update";
      /** The message so far. */
      message: AssistantMessage;
      /** The provider event that changed it (a text, thinking or tool-call delta). */
      assistantMessageEvent: AssistantMessageEvent;
    }
  /** A message is complete in the transcript. */
  | {
      type: "message_end";
      /** The finished message. */
      message: AgentMessage;
    }
  /** A tool call began (validation, approval, then execution). */
  | {
      type: "tool_execution_start";
      /** The call's id, as in its {@link ToolCall} and its result. */
      toolCallId: string;
      /** The tool the model asked for. */
      toolName: string;
      /** The arguments as the model sent them, before validation. */
      args: unknown;
    }
  /** A running tool reported progress (`onUpdate`). */
  | {
      type: "tool_execution_update";
      /** The call's id. */
      toolCallId: string;
      /** The tool that runs. */
      toolName: string;
      /** The arguments as the model sent them. */
      args: unknown;
      /** What the tool reported so far. */
      partialResult: AgentToolResult;
    }
  /** A tool call finished. */
  | {
      type: "tool_execution_end";
      /** The call's id. */
      toolCallId: string;
      /** The tool that ran (or was asked for). */
      toolName: string;
      /** The result the model gets (after `afterToolCall`). */
      result: AgentToolResult;
      /** True when the result is an error: the tool threw, was refused, timed out or was aborted. */
      isError: boolean;
    }
  /** A failed model request is about to be retried (the provider's `retry` event). */
  | {
      type: "model_retry";
      /** Which retry this is, from 1. */
      attempt: number;
      /** How long the agent waits before it. */
      delayMs: number;
      /** Why the request failed, for a person. */
      reason: string;
    };

/** The `type` of an {@link AgentEvent}. */
export type AgentEventType = AgentEvent["type"];
