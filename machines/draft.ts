/**
 * A step's working copy of the agent context. Actions copy the context
 * (shallowly: `draftOf`), let the run helpers change the copy, and assign it
 * back; the transcript grows through `appendMessage`, whose first append in a
 * step copies the array. So a snapshot already handed out (a UI's
 * `useSelector(s => s.context.messages)`, a checkpoint, a recording) never
 * changes under its reader, and appending costs one array copy per step that
 * adds messages, never one per stream delta.
 *
 * What stays mutable: the current `batch` (the machine's own working state
 * of a turn's tool calls) and the streaming message, which the provider's
 * builder updates in place per delta (`streamMessage` is replaced by a new
 * object when it ends).
 */
import type { AgentEvent, AgentMessage } from "../src/core/types.js";
import type { AgentContext } from "./agent-context.js";

export type Emit = (event: AgentEvent) => void;

/** Drafts whose `messages` array is already their own. */
const ownsMessages = new WeakSet<AgentContext>();

/** A shallow copy of `context` for one step; assign it back when done. */
export function draftOf(context: AgentContext): AgentContext {
  return { ...context };
}

/** Appends `message` to the draft's transcript (copying the array at the step's first append). */
export function appendMessage(draft: AgentContext, message: AgentMessage): void {
  if (!ownsMessages.has(draft)) {
    draft.messages = draft.messages.slice();
    ownsMessages.add(draft);
  }
  draft.messages.push(message);
}

/** Appends every result of the batch whose earlier results are all in, in call order. */
export function announceResults(draft: AgentContext, emit: Emit): void {
  const batch = draft.batch!;
  while (batch.announced < batch.results.length) {
    const result = batch.results[batch.announced];
    if (!result) return;
    appendMessage(draft, result);
    emit({ type: "message_start", message: result });
    emit({ type: "message_end", message: result });
    batch.announced++;
  }
}
