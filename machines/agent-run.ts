/**
 * The steps of a run that several machine actions share: ending the turn's
 * assistant message, starting a tool call, taking queued messages. They
 * change a step's draft (see draft.ts) and hand back the events to emit.
 */
import { sumUsage, toolCallsOf } from "../src/core/messages.js";
import type { AgentEvent, AgentMessage, AgentTool, AssistantMessage, AssistantMessageEvent, QueueMode } from "../src/core/types.js";
import type { AgentContext, PendingToolCall } from "./agent-context.js";
import { closedResult, closeFailedMessage } from "./close-run.js";
import { appendMessage, type Emit } from "./draft.js";
import type { ToolCallInput } from "./tool-call.machine.js";

export function toolActorId(context: AgentContext, index: number): string {
  return `tool-${context.turn}-${index}`;
}

/**
 * Ends the turn's assistant message: into the transcript, usage counted; the
 * calls of a failed or aborted message are answered (see close-run.ts).
 * `now` reads the actor's clock (see actor-clock.ts), so a replay stamps the same times.
 */
export function concludeAssistant(draft: AgentContext, message: AssistantMessage, started: boolean, emit: Emit, now: () => number) {
  if (!started) emit({ type: "message_start", message });
  appendMessage(draft, message);
  draft.usage = sumUsage(draft.usage, message.usage);
  emit({ type: "message_end", message });
  if (message.stopReason === "error" || message.stopReason === "aborted") {
    closeFailedMessage(draft, message, message.stopReason === "aborted" ? "aborted" : "error", emit, now);
  } else {
    const calls = toolCallsOf(message);
    draft.batch = calls.length ? { message, calls, results: calls.map(() => undefined), announced: 0, started: 0, terminate: false } : null;
  }
  draft.turnMessage = message;
  draft.streamMessage = null;
}

export function isTerminal(event: AssistantMessageEvent): event is Extract<AssistantMessageEvent, { type: "done" | "error" }> {
  return event.type === "done" || event.type === "error";
}

export function terminalOf(events: AssistantMessageEvent[]) {
  for (const event of events) if (isTerminal(event)) return event;
  return undefined;
}

export function withStatus(pending: PendingToolCall[], index: number, status: PendingToolCall["status"]): PendingToolCall[] {
  return pending.map((p) => (p.index === index ? { ...p, status } : p));
}

/** Marks call `index` started and returns its start event and its actor's id and input. */
export function toolStart(context: AgentContext, index: number) {
  const batch = context.batch!;
  const call = batch.calls[index]!;
  batch.started = Math.max(batch.started, index + 1);
  const event: AgentEvent = { type: "tool_execution_start", toolCallId: call.id, toolName: call.name, args: call.arguments };
  const tool = context.tools.find((candidate) => candidate.name === call.name);
  const input: ToolCallInput = {
    index,
    toolCall: call,
    tool,
    toolNames: context.tools.map((candidate) => candidate.name),
    messages: context.messages,
    hooks: { beforeToolCall: context.hooks.beforeToolCall, afterToolCall: context.hooks.afterToolCall },
    checkpointed: context.checkpointed,
  };
  resumeCall(input, batch.resumed?.[index] ?? null, tool);
  return { event, id: toolActorId(context, index), input };
}

/** How a resumed call starts again from its status at the checkpoint (see ResumedRun in agent-context.ts). */
function resumeCall(input: ToolCallInput, status: PendingToolCall["status"] | null, tool: AgentTool | undefined): void {
  if (status === "awaitingApproval") input.awaitsApproval = true;
  // Validating or running: the tool may have started; only a tool that says so runs twice.
  if ((status === "validating" || status === "running") && tool?.replay !== "safe") input.interrupted = closedResult("interrupted", true);
}

/** The queued messages `mode` releases (the first one, or all) and what stays queued. */
export function takeQueued(queue: AgentMessage[], mode: QueueMode): { taken: AgentMessage[]; rest: AgentMessage[] } {
  return mode === "all" ? { taken: queue, rest: [] } : { taken: queue.slice(0, 1), rest: queue.slice(1) };
}

/** The call waiting for approval with this id, or the first one waiting when no id is given. */
export function waitingCall(context: AgentContext, toolCallId: string | undefined): PendingToolCall | undefined {
  return context.pendingToolCalls.find((call) => call.status === "awaitingApproval" && (toolCallId === undefined || call.toolCallId === toolCallId));
}
