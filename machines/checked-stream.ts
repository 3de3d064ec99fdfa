/**
 * The boundary between a stream function and the agent machine: whatever a
 * StreamFn emits, the machine gets well-formed events ending in at most one
 * terminal event.
 *
 * - A value that is not an event (null, a string), or a non-terminal event
 *   without a `partial` message, ends the stream with an `error` event whose
 *   message names the problem (and keeps the well-formed part of the partial).
 * - Unknown event types are skipped (a newer provider may send more kinds).
 * - `retry` fields are coerced (counts, a string reason).
 * - `done`: its message must have well-formed content, else it becomes an
 *   `error`; names, timestamp and stop reason are filled in where missing and
 *   the usage is sanitized (numbers finite and >= 0).
 * - `error`: without a message, one is made from the partial; its stop reason
 *   is "error" or "aborted", with an `errorMessage`.
 * - Events after the terminal one are dropped (the machine leaves the
 *   `streaming` state on the terminal event, which unsubscribes).
 * A source that errors or completes without a terminal event is the
 * machine's to close (`failStream`).
 */
import { Observable, type OperatorFunction } from "rxjs";
import {
  BLOCK_TYPES,
  checkContent,
  completeAssistantMessage,
  describeValue,
  endedMessage,
  isRecord,
  PARTIAL_EVENT_TYPES,
  sanitizeUsage,
} from "../src/core/message-checks.js";
import type { AssistantMessage, AssistantMessageEvent, Model, StopReason } from "../src/core/types.js";
import { errorText } from "../src/core/errors.js";
import { jsonSafe } from "../src/core/json-safe.js";

const DONE_REASONS: readonly StopReason[] = ["stop", "length", "toolUse"];
const STOP_REASONS: readonly StopReason[] = [...DONE_REASONS, "error", "aborted"];

/** What one raw value becomes: an event to pass on, a terminal event to end with, or nothing. */
type Checked = { event: AssistantMessageEvent; terminal: boolean } | null;

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;
}

function failed(partial: unknown, model: Model, problem: string): Checked {
  const error = endedMessage(partial, model, "error", `The stream function sent a malformed event: ${problem}.`);
  return { event: { type: "error", reason: "error", error }, terminal: true };
}

function checkDone(raw: Record<string, unknown>, partial: unknown, model: Model): Checked {
  const message = raw.message;
  if (!isRecord(message)) return failed(partial, model, `a "done" event's message is ${describeValue(message)}`);
  const problem = checkContent(message.content, BLOCK_TYPES.assistant, `the "done" message's content`);
  if (problem) return failed(partial, model, problem);
  const hasToolCall = (message.content as { type: string }[]).some((block) => block.type === "toolCall");
  const stopReason = STOP_REASONS.includes(message.stopReason as StopReason)
    ? (message.stopReason as StopReason)
    : DONE_REASONS.includes(raw.reason as StopReason)
      ? (raw.reason as StopReason)
      : hasToolCall
        ? "toolUse"
        : "stop";
  // What enters the transcript must survive JSON (the next request, persist): a BigInt in tool arguments would throw there.
  const done = completeAssistantMessage(jsonSafe(message), model, stopReason);
  const reason = DONE_REASONS.includes(raw.reason as StopReason) ? (raw.reason as "stop" | "length" | "toolUse") : hasToolCall ? "toolUse" : "stop";
  if (done === message && reason === raw.reason) return { event: raw as AssistantMessageEvent, terminal: true };
  return { event: { type: "done", reason, message: done }, terminal: true };
}

function checkError(raw: Record<string, unknown>, partial: unknown, model: Model): Checked {
  const given = raw.error;
  const stopReason: "error" | "aborted" =
    isRecord(given) && (given.stopReason === "error" || given.stopReason === "aborted") ? given.stopReason : raw.reason === "aborted" ? "aborted" : "error";
  if (!isRecord(given)) {
    const error = endedMessage(partial, model, stopReason, `The stream function sent an "error" event without a message (error: ${describeValue(given)}).`);
    return { event: { type: "error", reason: stopReason, error }, terminal: true };
  }
  const errorMessage = typeof given.errorMessage === "string" && given.errorMessage ? given.errorMessage : "The provider reported an error without a message.";
  const contentOk = checkContent(given.content, BLOCK_TYPES.assistant, "content") === undefined;
  const safe = jsonSafe(given);
  const error = contentOk ? completeAssistantMessage({ ...safe, errorMessage }, model, stopReason) : endedMessage(safe, model, stopReason, errorMessage);
  if (
    contentOk &&
    safe === given &&
    errorMessage === given.errorMessage &&
    error.stopReason === given.stopReason &&
    sanitizeUsage(given.usage) === given.usage &&
    raw.reason === stopReason
  ) {
    return { event: raw as AssistantMessageEvent, terminal: true };
  }
  return { event: { type: "error", reason: stopReason, error }, terminal: true };
}

function checkEvent(raw: unknown, partial: unknown, model: Model): Checked {
  if (!isRecord(raw)) return failed(partial, model, `an event is ${describeValue(raw)}`);
  const { type } = raw;
  if (type === "done") return checkDone(raw, partial, model);
  if (type === "error") return checkError(raw, partial, model);
  if (type === "retry") {
    const reason = typeof raw.reason === "string" ? raw.reason : errorText(raw.reason);
    return { event: { type: "retry", attempt: count(raw.attempt), delayMs: count(raw.delayMs), reason }, terminal: false };
  }
  if (typeof type !== "string" || !PARTIAL_EVENT_TYPES.has(type)) return null;
  const message = raw.partial;
  if (!isRecord(message) || !Array.isArray(message.content)) {
    return failed(partial, model, `a "${type}" event's partial message is ${isRecord(message) ? "without a content array" : describeValue(message)}`);
  }
  return { event: raw as AssistantMessageEvent, terminal: false };
}

/** Checks a stream function's events for a call of `model`; see the module comment. */
export function checkedStream(model: Model): OperatorFunction<unknown, AssistantMessageEvent> {
  return (source) =>
    new Observable<AssistantMessageEvent>((subscriber) => {
      let partial: AssistantMessage | undefined;
      let ended = false;
      return source.subscribe({
        next(raw) {
          if (ended) return;
          let checked: Checked;
          try {
            checked = checkEvent(raw, partial, model);
          } catch (error) {
            // A getter that throws, a Proxy: still just a malformed event.
            checked = failed(partial, model, `reading an event threw (${errorText(error)})`);
          }
          if (!checked) return;
          if ("partial" in checked.event) partial = checked.event.partial;
          ended = checked.terminal;
          subscriber.next(checked.event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

/** The stream of `streamFn(...)`, refusing a return value that is not an Observable with a clear error. */
export function streamOf(output: unknown): Observable<unknown> {
  if (output instanceof Observable) return output;
  if (isRecord(output) && typeof output.subscribe === "function")
    return new Observable((subscriber) => (output as unknown as Observable<unknown>).subscribe(subscriber));
  throw new Error(`the stream function returned ${describeValue(output)}; a StreamFn must return an Observable of AssistantMessageEvent`);
}
