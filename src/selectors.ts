/**
 * Small typed reads of an agent snapshot for UIs (`useSelector(agent.actor,
 * selectIsBusy)`). Each returns a value that keeps its identity until what it
 * shows changes, so a UI that compares with `===` re-renders only when it
 * must, and none copies the transcript per streamed delta.
 */
import type { AgentContext, PendingToolCall } from "../machines/agent.machine.js";
import type { AgentMessage, Usage } from "./core/types.js";

/** What the selectors read: the snapshot of `agent.actor`, of an `agentLogic` actor or of a `remoteAgent`'s actor. */
export type AgentSnapshotLike = {
  context: Pick<AgentContext, "messages" | "streamMessage" | "pendingToolCalls" | "usage" | "error">;
  value: unknown;
  hasTag(tag: string): boolean;
};

/** The agent machine's top-level states. */
export type AgentStateName = "idle" | "streaming" | "executingTools" | "turnEnd" | "done";

/**
 * The top-level state (`executingTools` also when in one of its substates).
 * @example
 * const state = useSelector(agent.actor, selectStateName); // "streaming"
 */
export function selectStateName(snapshot: AgentSnapshotLike): AgentStateName {
  const value = snapshot.value;
  return (typeof value === "string" ? value : Object.keys(value as object)[0]) as AgentStateName;
}

/** True while a run is active (tag `busy`). */
export function selectIsBusy(snapshot: AgentSnapshotLike): boolean {
  return snapshot.hasTag("busy");
}

/** True while any tool call waits for `agent.approve` / `agent.reject` (tag `awaitingApproval`). */
export function selectIsAwaitingApproval(snapshot: AgentSnapshotLike): boolean {
  return snapshot.hasTag("awaitingApproval");
}

function blockText(snapshot: AgentSnapshotLike, type: "text" | "thinking"): string {
  const message = snapshot.context.streamMessage;
  if (!message) return "";
  let text = "";
  for (const block of message.content) {
    if (block.type === "text" && type === "text") text += block.text;
    else if (block.type === "thinking" && type === "thinking") text += block.thinking;
  }
  return text;
}

/** The visible text of the message being streamed ("" when none). */
export function selectStreamingText(snapshot: AgentSnapshotLike): string {
  return blockText(snapshot, "text");
}

/** The reasoning of the message being streamed ("" when none). */
export function selectStreamingThinking(snapshot: AgentSnapshotLike): string {
  return blockText(snapshot, "thinking");
}

/** The current batch's tool calls that have not finished, with status and latest progress (`partialResult`). */
export function selectPendingToolCalls(snapshot: AgentSnapshotLike): readonly PendingToolCall[] {
  return snapshot.context.pendingToolCalls;
}

const approvals = new WeakMap<readonly PendingToolCall[], readonly PendingToolCall[]>();

/** The tool calls waiting for approval, in call order (the same array until they change). */
export function selectPendingApprovals(snapshot: AgentSnapshotLike): readonly PendingToolCall[] {
  const pending = snapshot.context.pendingToolCalls;
  let waiting = approvals.get(pending);
  if (!waiting) {
    waiting = pending.filter((call) => call.status === "awaitingApproval");
    approvals.set(pending, waiting);
  }
  return waiting;
}

const transcripts = new WeakMap<AgentMessage[], readonly AgentMessage[]>();

/**
 * The transcript, as an array whose identity changes exactly when a message is
 * added or the transcript replaced. The machine appends in place; this view is
 * copied once per appended message (as rendering the list would be), never per delta.
 */
export function selectTranscript(snapshot: AgentSnapshotLike): readonly AgentMessage[] {
  const messages = snapshot.context.messages;
  let view = transcripts.get(messages);
  if (!view || view.length !== messages.length) {
    view = messages.slice();
    transcripts.set(messages, view);
  }
  return view;
}

const usages = new WeakMap<Usage, { key: string; copy: Usage }>();

/** Usage summed over the agent's model calls (a new object only when a number changed). */
export function selectUsage(snapshot: AgentSnapshotLike): Usage {
  const usage = snapshot.context.usage;
  const { cost } = usage;
  const key = `${usage.input},${usage.output},${usage.cacheRead},${usage.cacheWrite},${usage.totalTokens},${cost.total}`;
  const cached = usages.get(usage);
  if (cached && cached.key === key) return cached.copy;
  const copy: Usage = { ...usage, cost: { ...cost } };
  usages.set(usage, { key, copy });
  return copy;
}

/** Why the last run failed, if it did. */
export function selectError(snapshot: AgentSnapshotLike): string | undefined {
  return snapshot.context.error;
}
