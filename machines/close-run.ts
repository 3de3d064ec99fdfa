/**
 * The one place that closes a run: whatever path ends it (a stream that
 * failed or was aborted, an abort during tools, a throwing hook, an
 * `agentLogic` actor being stopped, a snapshot taken mid-run), every open
 * tool call gets exactly one result and the streaming message is ended, with
 * the words of one table. Works on a step's draft (see agent-run.ts).
 */
import { endedMessage } from "../src/core/message-checks.js";
import { syntheticAssistantMessage, toolCallsOf, toolResultMessage } from "../src/core/messages.js";
import { textResult } from "../src/core/tools.js";
import type { AgentToolResult, AssistantMessage } from "../src/core/types.js";
import { stamped } from "./actor-clock.js";
import type { AgentContext } from "./agent-context.js";
import { announceResults, appendMessage, type Emit } from "./draft.js";

/** Why a run is being closed. */
export type CloseCause = "aborted" | "error" | "stopped" | "interrupted";

/**
 * What each cause tells the model and the user: the run's closing message,
 * the result of a call that never started, and of one cut off while running.
 */
export const CLOSE_TEXTS: Record<CloseCause, { run: string; unstarted: string; running: string }> = {
  aborted: {
    run: "Aborted by the user.",
    unstarted: "Tool call was not executed: the run was aborted.",
    running: "Tool execution was aborted.",
  },
  error: {
    run: "The run ended with an error.",
    unstarted: "Tool call was not executed: the run ended with an error.",
    running: "Tool execution was aborted: the run ended with an error.",
  },
  stopped: {
    run: "Stopped: the actor running this agent was stopped.",
    unstarted: "Tool call was not executed: the run was stopped.",
    running: "Tool execution was stopped with the run.",
  },
  interrupted: {
    run: "Interrupted: the agent was restored from a snapshot taken mid-run.",
    unstarted: "Tool call was interrupted: the agent was restored from a snapshot taken mid-run; it did not run.",
    running: "Tool call was interrupted: the agent was restored from a snapshot taken mid-run; it may not have run, or run only in part.",
  },
};

/** The error result of a call closed by `cause`. */
export function closedResult(cause: CloseCause, running: boolean): AgentToolResult {
  return textResult(running ? CLOSE_TEXTS[cause].running : CLOSE_TEXTS[cause].unstarted);
}

/**
 * Ends `message` (the turn's assistant message, which failed or was aborted)
 * into the draft's transcript and answers each of its tool calls, none of
 * which will run; the run ends after this turn.
 */
export function closeFailedMessage(draft: AgentContext, message: AssistantMessage, cause: CloseCause, emit: Emit, now: () => number): void {
  const calls = toolCallsOf(message);
  const results = calls.map((call) => stamped(toolResultMessage(call, closedResult(cause, false), true), now()));
  for (const result of results) {
    appendMessage(draft, result);
    emit({ type: "message_start", message: result });
    emit({ type: "message_end", message: result });
  }
  draft.batch = { message, calls, results, announced: results.length, started: calls.length, terminate: false };
  draft.error = message.errorMessage ?? CLOSE_TEXTS[cause].run;
}

/**
 * Answers every call of the batch not started yet (announcing each once, with
 * its start and end events), and, with `running: true`, every call still
 * running too (their actors are being stopped and will not answer); then
 * appends the results now in, in call order.
 */
export function answerOpenCalls(draft: AgentContext, cause: CloseCause, emit: Emit, now: () => number, options: { running: boolean }): string[] {
  const batch = draft.batch;
  if (!batch) return [];
  const answered: string[] = [];
  const first = options.running ? batch.announced : batch.started;
  for (let index = first; index < batch.calls.length; index++) {
    if (batch.results[index]) continue;
    const call = batch.calls[index]!;
    const running = index < batch.started;
    const result = closedResult(cause, running);
    batch.results[index] = stamped(toolResultMessage(call, result, true), now());
    if (!running) emit({ type: "tool_execution_start", toolCallId: call.id, toolName: call.name, args: call.arguments });
    emit({ type: "tool_execution_end", toolCallId: call.id, toolName: call.name, result, isError: true });
    answered.push(call.id);
  }
  batch.started = batch.calls.length;
  announceResults(draft, emit);
  return answered;
}

/** What {@link closeRun} did, for a snapshot's record. */
export type ClosedRun = { streamEnded: boolean; answeredToolCallIds: string[] };

/**
 * Closes the run in flight at once, as if it had been aborted with `cause`:
 * the streaming message is ended (kept, stopReason "aborted", or "error" for that cause), every open
 * tool call is answered, and a closing assistant message is added when the
 * run has none (not for "interrupted": such a transcript is continued).
 * Emits what a live run would have; the caller emits `agent_end`.
 * `reason` replaces the table's closing text.
 */
export function closeRun(draft: AgentContext, cause: CloseCause, emit: Emit, now: () => number, reason = CLOSE_TEXTS[cause].run): ClosedRun {
  const text = reason;
  const stopReason = cause === "error" ? "error" : "aborted";
  let ended: AssistantMessage | null = null;
  const partial = draft.streamMessage;
  if (partial) {
    ended = endedMessage(partial, draft.model, stopReason, text);
    appendMessage(draft, ended);
    emit({ type: "message_end", message: ended }); // message_start went out with the first delta
    closeFailedMessage(draft, ended, cause, emit, now);
    draft.streamMessage = null;
  }
  const answeredToolCallIds = ended ? toolCallsOf(ended).map((call) => call.id) : answerOpenCalls(draft, cause, emit, now, { running: true });
  if (!ended && cause !== "interrupted") {
    const closing = stamped(syntheticAssistantMessage(draft.model, stopReason, text), now());
    appendMessage(draft, closing);
    emit({ type: "message_start", message: closing });
    emit({ type: "message_end", message: closing });
  }
  Object.assign(draft, { pendingToolCalls: [], batch: null, runEnd: null, retry: null });
  if (cause !== "interrupted") draft.error = text;
  return { streamEnded: ended !== null, answeredToolCallIds };
}
