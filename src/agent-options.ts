/**
 * What users write to make an agent (`new Agent(options)`, `agentLogic`'s
 * input, `Agent.restore`/`Agent.open`): the flat options. Below every file
 * that takes them, so none of those files import each other for the type.
 */
import type { InspectionEvent, Observer } from "xstate";
import type { AgentHooks, AgentMessage, AgentTool, Model, QueueMode, StreamFn, StreamOptions } from "./core/types.js";

/** Options of `new Agent(…)`. Settings with a setter or accessor (system prompt, model, tools, modes, session id) may change between runs. */
export type AgentOptions = AgentHooks & {
  /** The model provider. Default: the stream for `model.api` (see `defaultStreamFn`). */
  streamFn?: StreamFn;
  /** Forwarded to providers (prompt-cache keys, sessions) as `streamOptions.sessionId`. */
  sessionId?: string;
  /** The system prompt of every model call. */
  systemPrompt?: string;
  /** The model to call; `prompt()` refuses to start without one. */
  model?: Model;
  /** The tools the model may call; names must be unique. */
  tools?: AgentTool[];
  /** The transcript to start from. */
  messages?: AgentMessage[];
  /** Run a turn's tool calls at once ("parallel", default) or one by one. */
  toolExecution?: "parallel" | "sequential";
  /** At most this many model calls per run (default 50; `Infinity` for no limit). */
  maxTurns?: number;
  /** How queued steering messages are released: "one-at-a-time" (default) or "all". */
  steeringMode?: QueueMode;
  /** How queued follow-up messages are released: "one-at-a-time" (default) or "all". */
  followUpMode?: QueueMode;
  /** Options passed to every model call (temperature, maxTokens, headers, …). */
  streamOptions?: Omit<StreamOptions, "signal">;
  /** An XState inspection observer, e.g. from `@statelyai/inspect`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
};
