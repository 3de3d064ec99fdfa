/**
 * One run as the viewer page shows it: a list of compact steps (state, tool
 * calls, usage, streaming message, transcript changes, events), fed live by
 * {@link traceRun} or at once by {@link replayRun}. The transcript is sent as
 * changes (`keep` the first n messages, `add` these) so a long run stays small.
 */
import type { StateValue } from "xstate";
import { normalizeRunField } from "../run-log.js";
import type { RunStep, ToolCallActorState } from "../run-trace.js";
import type { AgentEvent, AgentMessage, AssistantMessage, Usage } from "../../core/types.js";

/** A tool-call actor on the page: its state and which call it runs. */
export type ViewToolCall = ToolCallActorState & { toolName?: string; args?: unknown };

/** One step as the page gets it. */
export type ViewStep = {
  i: number;
  t: number;
  actor: string;
  type: string;
  detail: string;
  value: StateValue;
  toolCalls: Record<string, ViewToolCall>;
  usage: Usage | undefined;
  error: string | undefined;
  streamMessage: AssistantMessage | null;
  messages: { keep: number; add: AgentMessage[] };
  emitted: { type: string; detail: string }[];
};

/** What the page lists of a session. */
export type SessionInfo = { id: string; title: string; mode: "live" | "recorded"; steps: number };

function preview(value: unknown, max = 140): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function eventDetail(event: RunStep["event"]): string {
  if (event.type === "model.events") {
    // A batch may hold thousands of deltas: read only as many as the preview shows.
    const kinds = new Set<string>();
    let deltas = "";
    for (const item of event.events as { type: string; delta?: unknown }[]) {
      kinds.add(item.type);
      if (typeof item.delta === "string" && deltas.length <= 140) deltas += item.delta;
    }
    const names = [...kinds].join(", ");
    return preview(deltas ? `${names}: ${deltas}` : names);
  }
  const { type: _type, ...rest } = event;
  return Object.keys(rest).length ? preview(rest) : "";
}

function emittedDetail(event: AgentEvent): string {
  switch (event.type) {
    case "message_update": {
      const update = event.assistantMessageEvent;
      return "delta" in update ? `${update.type} ${preview(update.delta, 60)}` : update.type;
    }
    case "message_start":
    case "message_end":
      return event.message.role;
    case "tool_execution_start":
      // Redacted as a recording is: a live step's emitted events are not normalised (traceSteps).
      return `${event.toolName}(${preview(normalizeRunField("args", event.args), 60)})`;
    case "tool_execution_update":
    case "tool_execution_end":
      return event.toolName;
    default:
      return "";
  }
}

/** A run the viewer shows; see the module comment. */
export class ViewerSession {
  readonly steps: ViewStep[] = [];
  private messages: AgentMessage[] = [];
  private readonly toolNames = new Map<string, { toolName: string; args: unknown }>();
  /**
   * The machine names a tool-call actor `tool-<turn>-<index>`, so every run
   * reuses `tool-1-0`. The page gets `run<n>:tool-<turn>-<index>`: runs are
   * counted at `agent_start`, and an actor belongs to the current run once it
   * processed an event in it (its own init first).
   */
  private run = 0;
  private readonly runIds = new Map<string, string>();
  private readonly toolCalls: Record<string, ViewToolCall> = {};

  constructor(
    readonly id: string,
    readonly title: string,
    readonly mode: "live" | "recorded",
    /** The session's recording as JSONL. */
    readonly recording: () => string,
  ) {}

  /** Lists the session for the page. */
  info(): SessionInfo {
    return { id: this.id, title: this.title, mode: this.mode, steps: this.steps.length };
  }

  /** Adds a traced step (normalised, or raw from the live trace: only types and details of its events are read); returns its compact form. */
  add(step: RunStep): ViewStep {
    const context = step.context as {
      messages: AgentMessage[];
      usage?: Usage;
      error?: string;
      streamMessage: AssistantMessage | null;
      turn: number;
      batch: { calls: { name: string; arguments: unknown }[] } | null;
    };
    if (context.batch) this.nameToolCalls(context.turn, context.batch.calls);
    if (step.actor === "root" && step.emitted.some((event) => event.type === "agent_start")) {
      this.run++;
      this.runIds.clear();
    }
    if (step.actor !== "root" && !this.runIds.has(step.actor)) this.runIds.set(step.actor, `run${Math.max(1, this.run)}:${step.actor}`);
    // Actors of earlier runs keep their last state under their own ids; those of this run are updated.
    for (const [id, state] of Object.entries(step.toolCalls)) {
      const runId = this.runIds.get(id);
      if (runId) this.toolCalls[runId] = { ...state, ...this.toolNames.get(id) };
    }
    const view: ViewStep = {
      i: step.index,
      t: step.t,
      actor: this.runIds.get(step.actor) ?? step.actor,
      type: step.event.type,
      detail: eventDetail(step.event),
      value: step.value,
      toolCalls: { ...this.toolCalls },
      usage: context.usage,
      error: context.error,
      streamMessage: context.streamMessage,
      messages: this.diffMessages(context.messages ?? []),
      emitted: step.emitted.map((event) => ({ type: event.type, detail: emittedDetail(event) })),
    };
    this.steps.push(view);
    return view;
  }

  private nameToolCalls(turn: number, calls: { name: string; arguments: unknown }[]) {
    calls.forEach((call, index) => this.toolNames.set(`tool-${turn}-${index}`, { toolName: call.name, args: call.arguments }));
  }

  /** The transcript change since the previous step: messages are appended, except after a replace or reset. */
  private diffMessages(messages: AgentMessage[]): ViewStep["messages"] {
    const previous = this.messages;
    let keep = 0;
    const limit = Math.min(previous.length, messages.length);
    // Traced steps share settled messages (trace-values.ts): an unchanged transcript costs no serialisation.
    const same = (i: number) => previous[i] === messages[i] || JSON.stringify(previous[i]) === JSON.stringify(messages[i]);
    // Usually only the tail changes: check the last shared message first.
    if (previous === messages || (limit > 0 && same(limit - 1))) keep = limit;
    else while (keep < limit && same(keep)) keep++;
    this.messages = messages;
    return { keep, add: messages.slice(keep) };
  }
}
