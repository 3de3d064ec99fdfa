/**
 * The steps of a run that several machine actions share: ending the turn's
 * assistant message, announcing tool results in call order, starting a tool
 * call. They mutate the context's append-only arrays in place (see the
 * machine's module comment) and hand back the events to emit.
 */
import { addUsage, toolCallsOf, toolResultMessage } from "../src/core/messages.js";
import { textResult } from "../src/core/tools.js";
import type { AgentEvent, AgentMessage, AssistantMessage, AssistantMessageEvent, QueueMode } from "../src/core/types.js";
import { stamped } from "./actor-clock.js";
import type { AgentContext, PendingToolCall } from "./agent-context.js";
import type { ToolCallInput } from "./tool-call.machine.js";

export type Emit = (event: AgentEvent) => void;

export const ABORTED = "Aborted by the user.";

export function toolActorId(context: AgentContext, index: number): string {
  return `tool-${context.turn}-${index}`;
}

/**
 * Ends the turn's assistant message: into the transcript, usage counted, unexecuted calls answered.
 * `now` reads the actor's clock (see actor-clock.ts), so a replay stamps the same times.
 */
export function concludeAssistant(context: AgentContext, message: AssistantMessage, started: boolean, emit: Emit, now: () => number) {
  if (!started) emit({ type: "message_start", message });
  context.messages.push(message);
  addUsage(context.usage, message.usage);
  emit({ type: "message_end", message });
  const calls = toolCallsOf(message);
  if (message.stopReason === "error" || message.stopReason === "aborted") {
    // Keep the invariant: every tool call gets one result, even unexecuted ones.
    const why = message.stopReason === "aborted" ? "the response was aborted" : "the response ended with an error";
    const results = calls.map((call) => stamped(toolResultMessage(call, textResult(`Tool call was not executed: ${why}.`), true), now()));
    for (const result of results) {
      context.messages.push(result);
      emit({ type: "message_start", message: result });
      emit({ type: "message_end", message: result });
    }
    context.batch = { message, calls, results, announced: results.length, started: calls.length, terminate: false };
    context.error = message.errorMessage ?? why;
  } else {
    context.batch = calls.length
      ? { message, calls, results: calls.map(() => undefined), announced: 0, started: 0, terminate: false }
      : null;
  }
  context.turnMessage = message;
  context.streamMessage = null;
}

/** Appends every result whose earlier results are all in, in call order. */
export function announceResults(context: AgentContext, emit: Emit) {
  const batch = context.batch!;
  while (batch.announced < batch.results.length) {
    const result = batch.results[batch.announced];
    if (!result) return;
    context.messages.push(result);
    emit({ type: "message_start", message: result });
    emit({ type: "message_end", message: result });
    batch.announced++;
  }
}

/**
 * Answers every call of the batch not started yet with an error result carrying
 * `text` (with its start and end events, so each call is announced once), then
 * appends the results that are now in, in call order.
 */
export function answerUnstarted(context: AgentContext, text: string, emit: Emit, now: () => number) {
  const batch = context.batch!;
  for (let index = batch.started; index < batch.calls.length; index++) {
    const call = batch.calls[index]!;
    const result = textResult(text);
    batch.results[index] = stamped(toolResultMessage(call, result, true), now());
    emit({ type: "tool_execution_start", toolCallId: call.id, toolName: call.name, args: call.arguments });
    emit({ type: "tool_execution_end", toolCallId: call.id, toolName: call.name, result, isError: true });
  }
  batch.started = batch.calls.length;
  announceResults(context, emit);
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
  const input: ToolCallInput = {
    index,
    toolCall: call,
    tool: context.tools.find((tool) => tool.name === call.name),
    toolNames: context.tools.map((tool) => tool.name),
    messages: context.messages,
    hooks: { beforeToolCall: context.hooks.beforeToolCall, afterToolCall: context.hooks.afterToolCall },
  };
  return { event, id: toolActorId(context, index), input };
}

/** Takes queued messages out of `queue` (in place): the first one, or all of them. */
export function takeQueued(queue: AgentMessage[], mode: QueueMode): AgentMessage[] {
  return mode === "all" ? queue.splice(0) : queue.splice(0, 1);
}

/** The call waiting for approval with this id, or the first one waiting when no id is given. */
export function waitingCall(context: AgentContext, toolCallId: string | undefined): PendingToolCall | undefined {
  return context.pendingToolCalls.find(
    (call) => call.status === "awaitingApproval" && (toolCallId === undefined || call.toolCallId === toolCallId),
  );
}
