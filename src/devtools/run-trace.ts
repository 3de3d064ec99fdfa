/**
 * Steps of a run, as a viewer and the replay tests see it: one step per event
 * the agent machine or one of its tool-call actors processed, with the state
 * after it. Built from XState inspection, so the same code traces a live agent
 * and a replayed one, and the two can be compared step by step.
 */
import type { AnyActorRef, InspectionEvent, StateValue } from "xstate";
import { parentOf } from "../../machines/xstate-internals.js";
import { normalizeRunValue } from "./run-log.js";
import { TraceValues } from "./trace-values.js";
import type { AgentEvent } from "../core/types.js";

/** Where a tool-call actor stands. */
export type ToolCallActorState = { value: StateValue; status: string };

/** One processed event and the state after it. Values are normalised (no functions, as in a recording). */
export type RunStep = {
  /** 0-based position in the run. */
  index: number;
  /** When the event arrived (ms since epoch; the recorded time in a replay). */
  t: number;
  /** Path of the actor that processed it: "root" (the agent machine) or a tool call's id. */
  actor: string;
  /** The event, normalised; stream events without their `partial` message. */
  event: { type: string; [key: string]: unknown };
  /** The agent machine's state value after the event. */
  value: StateValue;
  /** The agent machine's context after the event (shared with the previous step when a tool-call actor moved). */
  context: Record<string, unknown>;
  /** Tool-call actors of the run so far, by id. */
  toolCalls: Record<string, ToolCallActorState>;
  /** Agent events the machine emitted while processing the event. */
  emitted: AgentEvent[];
};

/** The path of `ref` below `root`: "root", a child's id, or `child/grandchild`. */
export function actorPath(ref: AnyActorRef, root: AnyActorRef): string {
  const parts: string[] = [];
  for (let current: AnyActorRef | undefined = ref; current && current !== root; current = parentOf(current)) {
    parts.unshift(current.id);
  }
  return parts.length ? parts.join("/") : "root";
}

/** True for the agent machine itself and its tool-call children: the actors a replay runs for real. */
export function isTracedActor(ref: AnyActorRef, root: AnyActorRef): boolean {
  return ref === root || (parentOf(ref) === root && ref.src === "toolCall");
}

/** Drops what a timeline does not need: stream events' repeated `partial`, a child's init input. */
export function compactEvent(event: { type: string }): { type: string; [key: string]: unknown } {
  if (event.type === "xstate.init") return { type: "xstate.init" };
  if (event.type === "model.events") {
    const events = (event as unknown as { events: { partial?: unknown }[] }).events.map(({ partial: _partial, ...rest }) => rest);
    return normalizeRunValue({ type: event.type, events });
  }
  return normalizeRunValue(event) as { type: string };
}

/** Options of {@link traceRun}. */
export type TraceRunOptions = {
  /** The time of the event being processed (default `Date.now()`); a replay passes the recorded time. */
  now?: () => number;
};

/**
 * Calls `onStep` with a {@link RunStep} for every event `root` (an agent
 * actor) or one of its tool-call actors processes. Returns the function that stops tracing.
 * Steps share the parts that did not change (settled messages, unchanged settings): treat them as read-only.
 * @example
 * const steps: RunStep[] = [];
 * const stop = traceRun(agent.actor, (step) => steps.push(step));
 */
export function traceRun(root: AnyActorRef, onStep: (step: RunStep) => void, options: TraceRunOptions = {}): () => void {
  return traceSteps(root, onStep, options.now ?? Date.now, false);
}

/**
 * {@link traceRun}, and for the viewer (`raw`), which reads only the types
 * and short details of events at once: stream batches and emitted events
 * as they are, not normalised (per delta, that was most of its cost).
 */
export function traceSteps(root: AnyActorRef, onStep: (step: RunStep) => void, now: () => number, raw: boolean): () => void {
  const toolCalls: Record<string, ToolCallActorState> = {};
  let emitted: AgentEvent[] = [];
  // Per-step cost independent of the transcript's length (see trace-values.ts).
  const values = new TraceValues();
  let context = values.context(root.getSnapshot().context as Record<string, unknown>);
  let value = root.getSnapshot().value as StateValue;
  let index = 0;
  const emitting = root.on("*", (event: AgentEvent) => {
    emitted.push(raw ? event : values.event(event));
  });
  const inspection = root.system.inspect((inspected: InspectionEvent) => {
    const ref = inspected.actorRef as AnyActorRef;
    if (inspected.type !== "@xstate.snapshot" || !isTracedActor(ref, root)) return;
    const snapshot = inspected.snapshot as unknown as { value: StateValue; status: string; context: unknown };
    const actor = actorPath(ref, root);
    if (inspected.actorRef === root) {
      value = snapshot.value;
      context = values.context(snapshot.context as Record<string, unknown>);
    } else {
      toolCalls[actor] = { value: normalizeRunValue(snapshot.value), status: snapshot.status };
    }
    const step: RunStep = {
      index: index++,
      t: now(),
      actor,
      event: raw && inspected.event.type === "model.events" ? (inspected.event as RunStep["event"]) : compactEvent(inspected.event),
      value: normalizeRunValue(value),
      context,
      toolCalls: { ...toolCalls },
      emitted: inspected.actorRef === root ? emitted : [],
    };
    if (inspected.actorRef === root) {
      emitted = [];
      values.nextStep();
    }
    onStep(step);
  });
  return () => {
    inspection.unsubscribe();
    emitting.unsubscribe();
  };
}
