/**
 * Durable agents: `persistAgent` turns an agent (or its machine snapshot),
 * idle or mid-run, into a plain JSON object; `restoredMachineInput` (behind
 * `Agent.restore`) turns it back into an idle agent's input. Functions
 * (streamFn, hooks, tool `execute`) are not data: tools are recorded by name
 * and the caller hands the objects back on restore.
 *
 * A snapshot is data that may have passed through other hands (a client, a
 * shared store), so by default restore takes nothing from it that decides
 * where requests go or what credentials they carry: the model (its baseUrl,
 * headers, provider and api) comes from the restoring code's options, and of
 * the stored stream options only the sampling and pacing ones are read.
 * `trusted: true` says the snapshot never left the caller's control.
 */
import { z } from "zod/v4";
import type { AgentActor, AgentContext, AgentMachineInput } from "../machines/agent.machine.js";
import { CLOSE_TEXTS, closeRun } from "../machines/close-run.js";
import { draftOf } from "../machines/draft.js";
import { agentMachineInput } from "./agent-input.js";
import type { AgentOptions } from "./agent-options.js";
import { AgentError } from "./core/errors.js";
import { jsonSafe } from "./core/json-safe.js";
import { checkMessages, checkTranscript, sanitizeUsage } from "./core/message-checks.js";
import { isSecretName } from "./core/redact.js";
import type { AgentMessage, Model, QueueMode, StreamOptions, Usage } from "./core/types.js";

/** The format version {@link persistAgent} writes and {@link restoredMachineInput} reads. */
export const PERSISTED_AGENT_VERSION = 1;

/** The `errorMessage` of a streaming assistant message cut short by a snapshot. */
export const INTERRUPTED_MESSAGE = CLOSE_TEXTS.interrupted.run;

/** The text of the error result given to a tool call that was running when the snapshot was taken. */
export const INTERRUPTED_TOOL_RESULT = CLOSE_TEXTS.interrupted.running;

/** Stream options that are safe to write down: no signal, API key or headers. */
export type PersistedStreamOptions = Omit<StreamOptions, "signal" | "apiKey" | "headers">;

/**
 * An agent as plain JSON (`JSON.stringify` keeps all of it). `messages` is
 * always a valid transcript: a snapshot taken mid-run records the run as
 * interrupted (see {@link persistAgent}).
 */
export type PersistedAgent = {
  version: typeof PERSISTED_AGENT_VERSION;
  /** When the snapshot was taken (ISO 8601). */
  savedAt: string;
  systemPrompt: string;
  model: Model | null;
  /** Names of the agent's tools, in order; restore looks them up in `options.tools`. */
  toolNames: string[];
  messages: AgentMessage[];
  steeringQueue: AgentMessage[];
  followUpQueue: AgentMessage[];
  /** Usage summed over every model call of the agent. */
  usage: Usage;
  settings: {
    toolExecution: "parallel" | "sequential";
    /** `null` for no limit (JSON has no Infinity). */
    maxTurns: number | null;
    steeringMode: QueueMode;
    followUpMode: QueueMode;
    streamOptions: PersistedStreamOptions;
  };
  /** Present when the snapshot was taken mid-run: what was cut short. */
  run?: {
    /** The machine state the run was in ("streaming", "executingTools", "turnEnd"). */
    state: string;
    /** Model calls the run had made. */
    turn: number;
    /** True when a streaming assistant message was kept as "aborted". */
    streamInterrupted: boolean;
    /** Ids of tool calls answered with an "interrupted" error result. */
    interruptedToolCallIds: string[];
    /** Messages about to enter the transcript at the next turn; restore appends them, so `continue()` sends them. */
    pendingInput: AgentMessage[];
  };
};

/** What {@link persistAgent} reads: an {@link Agent} or a snapshot of its actor (or of an `agentLogic` actor). */
export type PersistableAgent = { actor: AgentActor } | { context: AgentContext; value: unknown };

/** Options of `Agent.restore`: the functions and tool objects; settings given here win over the persisted ones. */
export type RestoreAgentOptions = Omit<AgentOptions, "messages"> & {
  /**
   * True when the snapshot never left your control: its model (baseUrl,
   * headers, provider) and all its stream options (extraBody, and headers or
   * apiKey if someone put them there) are used as stored. Default false: the
   * model must come from `options.model`, and of the stored stream options
   * only the sampling and pacing ones are read (see {@link UNTRUSTED_STREAM_OPTIONS}).
   */
  trusted?: boolean;
};

/**
 * A JSON-serialisable copy of an agent's state, taken at any time. Mid-run,
 * a streaming assistant message is kept with stopReason "aborted", every tool
 * call of the last assistant message left without a result gets an error
 * result saying it was interrupted (finished results are kept, in call
 * order), and queued messages are kept so `continue()` can go on.
 * @example
 * await writeFile("agent.json", JSON.stringify(persistAgent(agent)));
 * const again = Agent.restore(JSON.parse(await readFile("agent.json", "utf8")), { streamFn, tools });
 */
export function persistAgent(source: PersistableAgent): PersistedAgent {
  const snapshot = "actor" in source ? source.actor.getSnapshot() : source;
  const context = snapshot.context;
  const state = typeof snapshot.value === "string" ? snapshot.value : Object.keys(snapshot.value as object)[0]!;
  // JSON round trips: deep copies (the streamed message and the batch change in place) that are surely JSON.
  const running = state !== "idle" && state !== "done";
  const draft = draftOf(context);
  Object.assign(draft, { messages: json(context.messages), streamMessage: json(context.streamMessage), batch: json(context.batch) });
  const closed = running ? closeRun(draft, "interrupted", () => {}, Date.now) : { streamEnded: false, answeredToolCallIds: [] };
  const { messages } = draft;
  const { signal: _signal, apiKey: _apiKey, headers: _headers, ...streamOptions } = context.streamOptions;
  const persisted: PersistedAgent = {
    version: PERSISTED_AGENT_VERSION,
    savedAt: new Date().toISOString(),
    systemPrompt: context.systemPrompt,
    model: context.model ? json(withoutSecretHeaders(context.model)) : null,
    toolNames: context.tools.map((tool) => tool.name),
    messages,
    steeringQueue: json(context.steeringQueue),
    followUpQueue: json(context.followUpQueue),
    usage: json(context.usage),
    settings: {
      toolExecution: context.toolExecution,
      maxTurns: Number.isFinite(context.maxTurns) ? context.maxTurns : null,
      steeringMode: context.steeringMode,
      followUpMode: context.followUpMode,
      streamOptions: json(streamOptions),
    },
  };
  if (running || context.pendingInput.length > 0) {
    persisted.run = {
      state,
      turn: context.turn,
      streamInterrupted: closed.streamEnded,
      interruptedToolCallIds: closed.answeredToolCallIds,
      pendingInput: json(context.pendingInput),
    };
  }
  return persisted;
}

/** A deep copy that is surely JSON; cycles and the like in app data become strings (core/json-safe.ts) instead of throwing. */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(jsonSafe(value))) as T;
}

// Messages are checked for shape only (a role): apps may add their own kinds (CustomAgentMessages).
const messageSchema = z.looseObject({ role: z.string() });
const queueMode = z.enum(["one-at-a-time", "all"]);
const persistedSchema = z.object({
  version: z.literal(PERSISTED_AGENT_VERSION),
  savedAt: z.string(),
  systemPrompt: z.string(),
  model: z.looseObject({ id: z.string(), api: z.string(), provider: z.string(), baseUrl: z.string() }).nullable(),
  toolNames: z.array(z.string()),
  messages: z.array(messageSchema),
  steeringQueue: z.array(messageSchema),
  followUpQueue: z.array(messageSchema),
  // Garbled numbers are mended (sanitizeUsage), not refused: usage is a tally, and a bad one must not lose the transcript.
  usage: z.unknown(),
  settings: z.object({
    toolExecution: z.enum(["parallel", "sequential"]),
    maxTurns: z.number().positive().nullable(),
    steeringMode: queueMode,
    followUpMode: queueMode,
    streamOptions: z.looseObject({}),
  }),
  run: z.looseObject({ pendingInput: z.array(messageSchema) }).optional(),
});

/**
 * The stored stream options an untrusted snapshot may set: sampling and
 * pacing. Everything else (apiKey, headers, extraBody, which can rewrite the
 * request) is left out; pass it in `options.streamOptions`.
 */
const UNTRUSTED_STREAM_OPTIONS = z.object({
  temperature: z.number().optional(),
  maxTokens: z.number().int().positive().optional(),
  sessionId: z.string().optional(),
  maxRetries: z.number().int().min(0).max(100).optional(),
  idleTimeoutMs: z.number().min(0).optional(),
  reasoning: z.enum(["off", "minimal", "low", "medium", "high", "xhigh"]).optional(),
  toolChoice: z.union([z.enum(["auto", "none", "required"]), z.object({ name: z.string() })]).optional(),
  cacheRetention: z.enum(["none", "short", "long"]).optional(),
  output: z.object({ schema: z.looseObject({}), name: z.string().optional() }).optional(),
  stop: z.array(z.string()).optional(),
  topP: z.number().optional(),
  seed: z.number().optional(),
});

/** The stream options an untrusted snapshot may set, read from its stored ones; throws when one of them is malformed. */
function untrustedStreamOptions(stored: unknown): PersistedStreamOptions {
  // Parsed under its place in the snapshot, so a problem names settings.streamOptions.<field>.
  const result = z.object({ settings: z.object({ streamOptions: UNTRUSTED_STREAM_OPTIONS }) }).safeParse({ settings: { streamOptions: stored } });
  if (!result.success) throw malformed(z.prettifyError(result.error));
  return result.data.settings.streamOptions;
}

function malformed(problem: string): AgentError {
  return new AgentError("invalid-input", `Cannot restore the agent: the persisted object is malformed:\n${problem}`);
}

/**
 * Checks `value` is a {@link PersistedAgent} this version reads; throws
 * {@link AgentError} ("invalid-input") naming what is wrong.
 */
export function parsePersistedAgent(value: unknown): PersistedAgent {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new AgentError(
      "invalid-input",
      `Cannot restore an agent from ${value === null ? "null" : typeof value}: expected the object persistAgent() returned (JSON.parse it first if it is a string).`,
    );
  }
  const version = (value as { version?: unknown }).version;
  if (version !== PERSISTED_AGENT_VERSION) {
    throw new AgentError(
      "invalid-input",
      `Cannot restore an agent persisted with version ${JSON.stringify(version)}: this tinyagent reads version ${PERSISTED_AGENT_VERSION}. Persist it again with a matching tinyagent.`,
    );
  }
  const result = persistedSchema.safeParse(value);
  if (!result.success) throw malformed(z.prettifyError(result.error));
  // As strict as the transcript invariant: a snapshot must not bring in what a run could never have made.
  const persisted = value as PersistedAgent;
  const problem =
    checkMessages(persisted.messages, "messages") ??
    checkMessages(persisted.run?.pendingInput ?? [], "run.pendingInput") ??
    checkMessages(persisted.steeringQueue, "steeringQueue") ??
    checkMessages(persisted.followUpQueue, "followUpQueue") ??
    checkTranscript([...persisted.messages, ...(persisted.run?.pendingInput ?? [])], "messages");
  if (problem) throw malformed(`✖ ${problem}.`);
  return persisted;
}

/**
 * The agent machine's input for an idle agent rebuilt from `persisted`:
 * `options` supply the stream function, hooks and the tool objects (every
 * persisted tool name must have one) and may override settings. Unless
 * `options.trusted`, a stored model is not used: `options.model` must be
 * given (see the module comment).
 * @example
 * const actor = createActor(agentMachine, { input: restoredMachineInput(JSON.parse(text), { streamFn, tools }) });
 */
export function restoredMachineInput(persisted: unknown, options: RestoreAgentOptions = {}): AgentMachineInput {
  const saved = json(parsePersistedAgent(persisted));
  const offered = options.tools ?? [];
  const tools = saved.toolNames.map((name) => {
    const tool = offered.find((candidate) => candidate.name === name);
    if (!tool) {
      const have = offered.map((candidate) => `"${candidate.name}"`).join(", ") || "none";
      throw new AgentError(
        "invalid-tool",
        `Cannot restore the agent: it used a tool named "${name}", but options.tools has no tool of that name (given: ${have}). Pass the tool objects in Agent.restore(persisted, { tools }).`,
      );
    }
    return tool;
  });
  const { settings } = saved;
  const { trusted = false, ...agentOptions } = options;
  if (!trusted && saved.model && !options.model) {
    const { id, provider, baseUrl } = saved.model;
    throw new AgentError(
      "invalid-input",
      `Cannot restore the agent: the snapshot names model "${id}" (provider "${provider}", baseUrl ${JSON.stringify(baseUrl)}), but where requests go and which key they carry are not taken from stored data. ` +
        "Pass the model to call in Agent.restore(persisted, { model }), or { trusted: true } if this snapshot never left your control.",
    );
  }
  const { signal: _signal, ...streamOptions } = (trusted ? settings.streamOptions : untrustedStreamOptions(settings.streamOptions)) as StreamOptions;
  const input = agentMachineInput({
    ...agentOptions,
    systemPrompt: options.systemPrompt ?? saved.systemPrompt,
    model: options.model ?? saved.model ?? undefined,
    tools,
    messages: [...saved.messages, ...(saved.run?.pendingInput ?? [])],
    toolExecution: options.toolExecution ?? settings.toolExecution,
    maxTurns: options.maxTurns ?? settings.maxTurns ?? Number.POSITIVE_INFINITY,
    steeringMode: options.steeringMode ?? settings.steeringMode,
    followUpMode: options.followUpMode ?? settings.followUpMode,
    streamOptions: { ...streamOptions, ...options.streamOptions },
  });
  return { ...input, usage: sanitizeUsage(saved.usage), steeringQueue: saved.steeringQueue, followUpQueue: saved.followUpQueue };
}

/** The model without credential headers (the one rule of core/redact.ts): a snapshot is not a key store. */
function withoutSecretHeaders(model: Model): Model {
  if (!model.headers) return model;
  const headers = Object.fromEntries(Object.entries(model.headers).filter(([name]) => !isSecretName(name)));
  return { ...model, headers };
}
