/**
 * What `Agent.open` keeps in a {@link SessionStore}: the agent as
 * `persistAgent` writes it, cut before the turn in flight so its transcript
 * is always valid, plus that turn (`run`) as the machine needs it to go on:
 * the state it was in, the batch's assistant message, the results it had and
 * each open call's status. Plain JSON: no functions, no credentials (the
 * model loses its credential headers, the stream options their key and
 * headers). One record per session, rewritten at each checkpoint, so it
 * never grows with the number of checkpoints.
 *
 * A checkpoint serialises what changed since the last one, not the whole
 * transcript: a message that entered the transcript no longer changes
 * (machines/draft.ts changes only the streaming message and the batch in
 * place), so its JSON is written once and kept, by identity, for every later
 * record, and the record's text (`recordJson`) is assembled from those parts:
 * the same bytes as `JSON.stringify(record)`. Records share those settled
 * messages with the agent's transcript: treat a record as read-only.
 */
import { z } from "zod/v4";
import type { AgentContext, AgentMachineInput, PendingToolCall, ResumedRun, ToolBatch } from "../machines/agent.machine.js";
import { AgentError } from "./core/errors.js";
import { jsonSafe } from "./core/json-safe.js";
import { toolCallsOf } from "./core/messages.js";
import { checkTools } from "./core/tools.js";
import type { AgentMessage, AssistantMessage, ToolResultMessage } from "./core/types.js";
import { persistAgent, restoredMachineInput, type PersistedAgent, type RestoreAgentOptions } from "./persist.js";
import { keepRecordJson, type SessionRecord } from "./session-store.js";

/** The `format` of the records {@link sessionRecordOf} writes. */
export const SESSION_RECORD_FORMAT = "tinyagent.session.v1";

/** A turn in flight at a checkpoint. */
export type PersistedRun = {
  state: ResumedRun["state"];
  /** Index in the full transcript (`agent.messages` + the batch's messages) of the run's first message. */
  runStart: number;
  /** Model calls the run had made, the one in flight included. */
  turn: number;
  /** The turn's tool calls: their assistant message (not in `agent.messages`), results so far and statuses. */
  batch: {
    message: AssistantMessage;
    results: (ToolResultMessage | null)[];
    /** Results that had entered the transcript (the first ones, in call order). */
    announced: number;
    statuses: (PendingToolCall["status"] | null)[];
    terminate: boolean;
  } | null;
  runEnd: AgentContext["runEnd"];
  pendingInput: AgentMessage[];
};

/** A session as the store keeps it. */
export type AgentSessionRecord = {
  format: typeof SESSION_RECORD_FORMAT;
  /** The agent up to the turn in flight: a valid transcript, also readable by `Agent.restore`. */
  agent: PersistedAgent;
  /** Present while a run is in flight (a call waiting for approval included). */
  run?: PersistedRun;
  /** Set when no run is in flight and the session has a `ttl`. */
  expiresAt?: number;
};

/** The part of an agent snapshot a record is made from. */
type SnapshotLike = { context: AgentContext; value: unknown };

function stateOf(value: unknown): string {
  return typeof value === "string" ? value : Object.keys(value as object)[0]!;
}

/** The record of `snapshot`; without a run in flight it expires `ttl` ms from `now` (when given). */
export function sessionRecordOf(snapshot: SnapshotLike, ttl?: number, now = Date.now()): AgentSessionRecord {
  const { context } = snapshot;
  const state = stateOf(snapshot.value);
  const running = state === "streaming" || state === "executingTools" || state === "turnEnd";
  const batch = running ? context.batch : null;
  const cut = batch ? context.messages.lastIndexOf(batch.message) : -1;
  const messages = cut >= 0 ? context.messages.slice(0, cut) : context.messages;
  const agent = persistAgent({ context: { ...context, messages: [], streamMessage: null, batch: null, pendingInput: [] }, value: "idle" });
  const settled = messages.map(settledMessage);
  agent.messages = settled.map((message) => message.value);
  const record: AgentSessionRecord = { format: SESSION_RECORD_FORMAT, agent };
  if (running) {
    const run: PersistedRun = {
      state,
      runStart: context.runStart,
      turn: context.turn,
      batch: batch && cut >= 0 ? persistedBatch(batch, context.pendingToolCalls) : null,
      runEnd: context.runEnd,
      pendingInput: context.pendingInput,
    };
    // A copy (persistAgent's part is one already): the batch changes in place, and the store may serialise the record later.
    record.run = JSON.parse(JSON.stringify(run)) as PersistedRun;
  } else if (ttl !== undefined) {
    record.expiresAt = now + ttl;
  }
  const messagesText = `[${settled.map((message) => message.text).join(",")}]`;
  keepRecordJson(record, jsonWith(record, { agent: jsonWith(agent, { messages: messagesText }) }));
  return record;
}

/** A transcript message's JSON-safe value and its text, by identity (see the module comment). */
const settledMessages = new WeakMap<AgentMessage, { value: AgentMessage; text: string }>();

function settledMessage(message: AgentMessage): { value: AgentMessage; text: string } {
  let settled = settledMessages.get(message);
  if (!settled) {
    const value = jsonSafe(message);
    settled = { value, text: JSON.stringify(value) ?? "null" };
    settledMessages.set(message, settled);
  }
  return settled;
}

/** `JSON.stringify(object)` where the fields in `texts` are given as the JSON text they stand for. */
function jsonWith(object: object, texts: Record<string, string>): string {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    const text = Object.hasOwn(texts, key) ? texts[key] : (JSON.stringify(value) as string | undefined);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(",")}}`;
}

function persistedBatch(batch: ToolBatch, pending: PendingToolCall[]): NonNullable<PersistedRun["batch"]> {
  const statuses = batch.calls.map((_, index) => pending.find((call) => call.index === index)?.status ?? null);
  return {
    message: batch.message,
    results: batch.results.map((result) => result ?? null),
    announced: batch.announced,
    statuses,
    terminate: batch.terminate,
  };
}

const message = z.looseObject({ role: z.string() });
const status = z.enum(["queued", "validating", "awaitingApproval", "running"]).nullable();
const recordSchema = z.object({
  format: z.literal(SESSION_RECORD_FORMAT),
  agent: z.looseObject({}),
  run: z
    .object({
      state: z.enum(["streaming", "executingTools", "turnEnd"]),
      runStart: z.number().int().nonnegative(),
      turn: z.number().int().nonnegative(),
      batch: z
        .object({
          message: z.looseObject({ role: z.literal("assistant"), content: z.array(z.looseObject({ type: z.string() })) }),
          results: z.array(message.nullable()),
          announced: z.number().int().nonnegative(),
          statuses: z.array(status),
          terminate: z.boolean(),
        })
        .nullable(),
      runEnd: z.object({ stopReason: z.enum(["error", "aborted"]), errorMessage: z.string() }).nullable(),
      pendingInput: z.array(message),
    })
    .optional(),
  expiresAt: z.number().optional(),
});

/**
 * The machine input of an agent continuing the session `record`: its tools
 * are `options.tools` (a reopened session may have more than before), other
 * settings in `options` win over the recorded ones, and a run in flight goes
 * on (see ResumedRun in machines/agent-context.ts). Throws {@link AgentError}
 * ("invalid-input") for a record this version cannot read.
 */
export function resumedMachineInput(sessionId: string, record: SessionRecord, options: RestoreAgentOptions): AgentMachineInput {
  const parsed = recordSchema.safeParse(record);
  if (!parsed.success) {
    throw new AgentError(
      "invalid-input",
      `Cannot open session "${sessionId}": its record is not a ${SESSION_RECORD_FORMAT} record written by Agent.open:\n${z.prettifyError(parsed.error)}\nDelete the session or open it with the tinyagent that wrote it.`,
    );
  }
  const { agent, run } = record as unknown as AgentSessionRecord;
  const tools = options.tools ?? [];
  checkTools(tools);
  // A session store is the app's own database, trusted as such (the record never holds credentials): `trusted: false` reads it as restore reads a foreign snapshot.
  const input = restoredMachineInput({ ...agent, toolNames: [] }, { ...options, tools: [], trusted: options.trusted ?? true });
  input.tools = [...tools];
  if (!run) return input;
  const messages = [...(input.messages ?? [])];
  let batch: ToolBatch | null = null;
  if (run.batch) {
    const { message: assistant, announced, statuses, terminate } = run.batch;
    const results = run.batch.results.map((result) => result ?? undefined);
    messages.push(assistant, ...(results.slice(0, announced) as ToolResultMessage[]));
    batch = { message: assistant, calls: toolCallsOf(assistant), results, announced, started: 0, terminate, resumed: statuses };
  }
  return {
    ...input,
    messages,
    resume: { state: run.state, runStart: run.runStart, turn: run.turn, batch, runEnd: run.runEnd, pendingInput: run.pendingInput },
  };
}
