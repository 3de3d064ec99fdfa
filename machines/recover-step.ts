/**
 * The agent machine's last line of defence. Input is checked where it
 * enters (tool results, hook answers, stream events, messages), so no step
 * should throw; if one still does (a bug, or input no check foresaw), XState
 * would stop the actor and rethrow the error from a timer, which ends a Node
 * process and leaves `prompt()` pending forever. Instead the step is dropped:
 * the state before it is closed as a failed run (close-run.ts: the streaming
 * message ended, every open tool call answered, a closing error message),
 * its child actors are stopped, the error is reported on `console.error`,
 * and the actor goes on, idle and usable.
 */
import type { AnyActorRef, AnyActorScope, EventObject } from "xstate";
import type { AgentEvent } from "../src/core/types.js";
import { actorNow } from "./actor-clock.js";
import type { AgentContext } from "./agent-context.js";
import { closeRun } from "./close-run.js";
import { draftOf } from "./draft.js";
import { errorText } from "../src/core/errors.js";

/** The part of an agent machine snapshot recovery reads. */
type RecoverableSnapshot = {
  context: AgentContext;
  children: Record<string, AnyActorRef | undefined>;
  matches(state: "idle" | "done"): boolean;
};

/** The part of the agent machine recovery uses: building the snapshot to go on with. */
type ResolvingMachine<TSnapshot> = { resolveState(config: { value: "idle" | "done"; context: AgentContext; output?: unknown }): TSnapshot };

/** The snapshot to go on with after `event` made the agent machine's transition throw `error`. */
export function recoverFailedStep<TSnapshot>(
  machine: ResolvingMachine<TSnapshot>,
  snapshot: TSnapshot,
  event: EventObject,
  scope: AnyActorScope,
  error: unknown,
): TSnapshot {
  const previous = snapshot as TSnapshot & RecoverableSnapshot;
  const detail = errorText(error);
  console.error(`tinyagent: the agent machine failed on "${event.type}" and closed the run instead:`, error);
  const running = !previous.matches("idle") && !previous.matches("done");
  const starting = previous.matches("idle") && (event.type === "agent.prompt" || event.type === "agent.continue");
  // Anything else (a setting, a stray event) changed nothing yet: the step is just dropped.
  if (!running && !starting) return snapshot;

  for (const child of Object.values(previous.children)) if (child) scope.stopChild(child);
  const draft = draftOf(previous.context);
  draft.batch = reconciledBatch(draft);
  const emitted: AgentEvent[] = [];
  const emit = (agentEvent: AgentEvent) => emitted.push(agentEvent);
  if (starting) {
    draft.runStart = draft.messages.length;
    emit({ type: "agent_start" });
  }
  const reason = `Internal error: the agent machine failed on "${event.type}" (${detail}). The run was closed; the agent can be used again.`;
  closeRun(draft, "error", emit, () => actorNow(scope.self), reason);
  Object.assign(draft, { pendingInput: [], turnMessage: null, streamMessage: null });
  emit({ type: "agent_end", messages: draft.messages.slice(draft.runStart) });
  // After whatever the failed step had already deferred, so listeners see a run that starts before it ends.
  scope.defer(() => {
    for (const agentEvent of emitted) scope.emit(agentEvent);
  });
  const once = draft.once !== null;
  return machine.resolveState({ value: once ? "done" : "idle", context: draft, output: once ? draft.messages.slice(draft.runStart) : undefined });
}

/**
 * The batch as the transcript before the failed step shows it. The batch is
 * changed in place by the step that failed (see draft.ts), so a result it
 * recorded is kept (a finished tool's answer) but the count of results
 * announced is taken from the transcript, which the failed step never changed.
 */
function reconciledBatch(draft: AgentContext): AgentContext["batch"] {
  const batch = draft.batch;
  if (!batch) return null;
  const at = draft.messages.lastIndexOf(batch.message);
  if (at === -1) return null;
  return { ...batch, results: [...batch.results], announced: draft.messages.length - at - 1 };
}
