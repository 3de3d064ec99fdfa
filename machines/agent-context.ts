/**
 * The agent machine's context, inputs and events: the whole state of an agent
 * and its run, so a snapshot is enough to render a UI.
 */
import { zeroUsage } from "../src/core/messages.js";
import type {
  AgentHooks,
  AgentMessage,
  AgentTool,
  AgentToolResult,
  AssistantMessage,
  AssistantMessageEvent,
  Model,
  QueueMode,
  StreamFn,
  StreamOptions,
  ToolCall,
  ToolResultMessage,
  Usage,
} from "../src/core/types.js";
import type { CheckpointBarrier, ToolCallParentEvent } from "./tool-call.machine.js";

/** Settings of the agent that calls may change between runs. */
export type AgentSettings = {
  systemPrompt: string;
  model: Model | undefined;
  tools: AgentTool[];
  streamFn: StreamFn;
  hooks: AgentHooks;
  toolExecution: "parallel" | "sequential";
  maxTurns: number;
  steeringMode: QueueMode;
  followUpMode: QueueMode;
  /** Extra options for every model call (temperature, maxTokens, sessionId, …). */
  streamOptions: StreamOptions;
};

/**
 * Model calls per run when `maxTurns` is not given: a run of a model that
 * keeps calling tools stops there with an error saying so (`continue()` goes
 * on). Pass `maxTurns: Infinity` for no limit.
 */
const DEFAULT_MAX_TURNS = 50;

/** Every setting's default but the stream function and the model, which have none. */
const DEFAULT_SETTINGS: Omit<AgentSettings, "streamFn" | "model"> = {
  systemPrompt: "",
  tools: [],
  hooks: {},
  toolExecution: "parallel",
  maxTurns: DEFAULT_MAX_TURNS,
  steeringMode: "one-at-a-time",
  followUpMode: "one-at-a-time",
  streamOptions: {},
};

/**
 * The one list of agent settings (a record, so the compiler checks it names
 * every key of {@link AgentSettings}): the initial context, the facade's
 * machine input, `asTool` and persist/restore all read it.
 */
const SETTING_KEYS: Record<keyof AgentSettings, true> = {
  systemPrompt: true,
  model: true,
  tools: true,
  streamFn: true,
  hooks: true,
  toolExecution: true,
  maxTurns: true,
  steeringMode: true,
  followUpMode: true,
  streamOptions: true,
};
export const AGENT_SETTING_KEYS = Object.keys(SETTING_KEYS) as (keyof AgentSettings)[];

/** The settings of `source` that are set (undefined ones left out, so defaults apply). */
export function settingsOf(source: Partial<AgentSettings>): Partial<AgentSettings> {
  const settings: Partial<AgentSettings> = {};
  for (const key of AGENT_SETTING_KEYS) if (source[key] !== undefined) (settings as Record<string, unknown>)[key] = source[key];
  return settings;
}

/** Where a tool call of the current batch stands. */
export type PendingToolCall = {
  /** Position of the call in its assistant message. */
  index: number;
  toolCallId: string;
  toolName: string;
  args: unknown;
  status: "queued" | "validating" | "awaitingApproval" | "running";
  /** The tool's latest progress report (`onUpdate`), so a UI can show it from the snapshot. */
  partialResult?: AgentToolResult;
};

/** The tool calls of one assistant message and their results, in call order. */
export type ToolBatch = {
  message: AssistantMessage;
  calls: ToolCall[];
  results: (ToolResultMessage | undefined)[];
  /** Results appended to the transcript so far (results enter in call order). */
  announced: number;
  /** Calls whose actor was spawned. */
  started: number;
  terminate: boolean;
  /** A reopened session's batch (see {@link ResumedRun}): each call's status at the last checkpoint. */
  resumed?: (PendingToolCall["status"] | null)[];
};

/**
 * A run in flight, as a session checkpoint left it (src/session-record.ts):
 * the machine goes back into `state` with the run's bookkeeping, and the
 * transcript given as `messages` already holds the batch's assistant message
 * and its announced results. Calls without a result start again by their
 * status: queued ones as usual, one waiting for approval waits again, one in
 * flight reruns when its tool has `replay: "safe"` and is answered as
 * interrupted otherwise.
 */
export type ResumedRun = {
  state: "streaming" | "executingTools" | "turnEnd";
  runStart: number;
  /** Model calls the run had made, the one in flight included. */
  turn: number;
  batch: ToolBatch | null;
  runEnd: AgentContext["runEnd"];
  pendingInput: AgentMessage[];
};

/** The machine's context: the whole state of the agent and its run. */
export type AgentContext = AgentSettings & {
  messages: AgentMessage[];
  streamMessage: AssistantMessage | null;
  pendingToolCalls: PendingToolCall[];
  steeringQueue: AgentMessage[];
  followUpQueue: AgentMessage[];
  /** Messages that enter the transcript when the next turn starts. */
  pendingInput: AgentMessage[];
  /** Index of this run's first message in `messages`. */
  runStart: number;
  /** Model calls made in this run. */
  turn: number;
  /** The current turn's assistant message, once it has ended. */
  turnMessage: AssistantMessage | null;
  batch: ToolBatch | null;
  /** Set when the run must end after this turn, with this synthetic message. */
  runEnd: { stopReason: "error" | "aborted"; errorMessage: string } | null;
  /** The last provider retry of this turn, for UIs. */
  retry: { attempt: number; delayMs: number; reason: string } | null;
  error: string | undefined;
  /** Usage summed over every model call of the agent. */
  usage: Usage;
  /** A run-once actor (created with a `prompt`): "pending" until its run starts, then "running". */
  once: "pending" | "running" | null;
  /** Where a resumed run goes back in (see {@link ResumedRun}); null once it has. */
  resumeAt: ResumedRun["state"] | null;
  /** The checkpoint barrier of a durable session (see {@link CheckpointBarrier}). */
  checkpointed: CheckpointBarrier | undefined;
};

/** Inputs of the agent machine. */
export type AgentMachineEvent =
  | { type: "agent.prompt"; messages: AgentMessage[] }
  | { type: "agent.continue" }
  | { type: "agent.steer"; message: AgentMessage }
  | { type: "agent.followUp"; message: AgentMessage }
  | { type: "agent.abort" }
  /** Without `toolCallId`: the first call waiting for approval (so `can({ type: "agent.approve" })` asks "is any waiting?"). */
  | { type: "agent.approve"; toolCallId?: string }
  | { type: "agent.reject"; toolCallId?: string; reason?: string }
  | { type: "agent.configure"; settings: Partial<AgentSettings> }
  | { type: "agent.replaceMessages"; messages: AgentMessage[] }
  | { type: "agent.appendMessage"; message: AgentMessage }
  | { type: "agent.reset" }
  | { type: "agent.clearQueues"; steering: boolean; followUp: boolean }
  | { type: "model.events"; events: AssistantMessageEvent[] }
  | ToolCallParentEvent;

/**
 * What creating the machine takes: initial settings and transcript. With a
 * `prompt`, the actor runs it at once and then reaches its final state, with
 * the run's new messages as output (how agents compose as child actors).
 */
export type AgentMachineInput = Partial<AgentSettings> & {
  streamFn: StreamFn;
  messages?: AgentMessage[];
  prompt?: AgentMessage[];
  /** Restored state (see src/persist.ts): usage so far and the queued messages. */
  usage?: Usage;
  steeringQueue?: AgentMessage[];
  followUpQueue?: AgentMessage[];
  /** A run to continue (a reopened session). */
  resume?: ResumedRun;
  checkpointed?: CheckpointBarrier;
};

/** The context of a new agent machine. */
export function initialContext(input: AgentMachineInput): AgentContext {
  const resume = input.resume;
  return {
    ...initialRunContext(input),
    ...(resume && resumedContext(resume, input.messages ?? [])),
    checkpointed: input.checkpointed,
  };
}

function initialRunContext(input: AgentMachineInput): AgentContext {
  return {
    ...DEFAULT_SETTINGS,
    model: undefined,
    ...settingsOf(input),
    streamFn: input.streamFn,
    messages: [...(input.messages ?? [])],
    streamMessage: null,
    pendingToolCalls: [],
    steeringQueue: [...(input.steeringQueue ?? [])],
    followUpQueue: [...(input.followUpQueue ?? [])],
    pendingInput: [...(input.prompt ?? [])],
    runStart: 0,
    turn: 0,
    turnMessage: null,
    batch: null,
    runEnd: null,
    retry: null,
    error: undefined,
    usage: input.usage ? { ...input.usage, cost: { ...input.usage.cost } } : zeroUsage(),
    once: input.prompt ? "pending" : null,
    resumeAt: null,
    checkpointed: undefined,
  };
}

/** The run fields of a resumed run; the streaming state's entry counts the call it makes again. */
function resumedContext(resume: ResumedRun, messages: AgentMessage[]): Partial<AgentContext> {
  const batch = resume.batch;
  const last = messages.at(-1);
  const ended = batch?.message ?? (last?.role === "assistant" ? (last as AssistantMessage) : null);
  const open = batch?.results.some((result) => !result) === true;
  const state = resume.state === "executingTools" && !open ? "turnEnd" : resume.state;
  return {
    resumeAt: state,
    runStart: resume.runStart,
    turn: state === "streaming" ? resume.turn - 1 : resume.turn,
    batch: state === "streaming" ? null : batch,
    turnMessage: state === "streaming" ? null : ended,
    runEnd: resume.runEnd,
    pendingInput: [...resume.pendingInput],
  };
}
