/**
 * Replays a recorded run: the agent machine and its tool-call machines run
 * again on the recorded inputs, with every outside effect made inert (no
 * stream function, no tool `execute`, no hooks, no timers) and the recorded
 * clock readings handed back. Events the machines send each other are not fed
 * in but re-derived, and checked against the recording.
 */
import { EMPTY } from "rxjs";
import { createActor, fromCallback, type AnyActorRef, type InspectionEvent } from "xstate";
import { setActorClock } from "../../machines/actor-clock.js";
import { agentMachine } from "../../machines/agent.machine.js";
import { toolCallMachine } from "../../machines/tool-call.machine.js";
import { DeltaLines } from "./delta-lines.js";
import { RecordingError, parseRunHeader, splitRunLog, type RunLogEntry, type RunLogEvent, type RunLogHeader } from "./run-log.js";
import { BatchDecoder } from "./model-events-codec.js";
import { actorPath, isTracedActor, traceRun, type RunStep } from "./run-trace.js";
import type { AgentEvent } from "../core/types.js";

/** What {@link replayRun} rebuilt. */
export type RunReplay = {
  header: RunLogHeader;
  /** Every step of the run, as {@link traceRun} saw it live. */
  steps: RunStep[];
  /** Every agent event the machine emitted, in order. */
  events: AgentEvent[];
};

const ROOT_EVENTS = new Set([
  "agent.prompt",
  "agent.continue",
  "agent.steer",
  "agent.followUp",
  "agent.abort",
  "agent.approve",
  "agent.reject",
  "agent.configure",
  "agent.replaceMessages",
  "agent.appendMessage",
  "agent.reset",
  "model.events",
]);
const TOOL_CALL_EVENTS = new Set(["approve", "reject", "abort", "update"]);

function knownEvent(to: string, type: string): boolean {
  if (type.startsWith("xstate.done.actor.") || type.startsWith("xstate.error.actor.") || type.startsWith("xstate.after.")) return true;
  return to === "root" ? ROOT_EVENTS.has(type) || type.startsWith("tool.") : TOOL_CALL_EVENTS.has(type);
}

/** Effects that never happen: a replay feeds their recorded outcomes instead. */
const inert = fromCallback(() => undefined);
const inertClock = { setTimeout: () => 0, clearTimeout: () => undefined };
const replayMachine = agentMachine.provide({
  actors: {
    streamModel: inert as never,
    decideAfterTurn: inert as never,
    toolCall: toolCallMachine.provide({ actors: { prepare: inert as never, execute: inert as never, finish: inert as never } }),
  },
});

type Sent = { to: string; from: string; type: string };

/**
 * Rebuilds a recorded run's snapshots without network or tools. Takes the
 * JSONL text or its lines; throws a {@link RecordingError} naming the line
 * when the recording is truncated, malformed, of another version, has an
 * unknown event, or does not match what the machine does.
 * @example
 * const { steps } = replayRun(readFileSync("run.jsonl", "utf8"));
 * console.log(steps.map((step) => step.value));
 */
export function replayRun(recording: string | readonly string[]): RunReplay {
  const lines = typeof recording === "string" ? splitRunLog(recording) : [...recording];
  const header = parseRunHeader(lines[0]);
  const entries: (RunLogEntry & { line: number })[] = [];
  const reader = new DeltaLines(header.t);
  for (let i = 1; i < lines.length; i++) entries.push({ ...reader.read(lines[i]!, i + 1), line: i + 1 });
  const at = { line: 1 };
  try {
    return replayEntries(header, entries, at);
  } catch (error) {
    if (error instanceof RecordingError) throw error;
    // A well-formed line can still hold what the machine cannot take (a state that does not exist, a context
    // field of the wrong kind): that is a bad recording too, named by the line the replay had reached.
    const why = error instanceof Error ? error.message : String(error);
    throw new RecordingError(at.line, `the replay failed here (${why}); the recording is malformed or was not made by this machine.`);
  }
}

function replayEntries(header: RunLogHeader, entries: (RunLogEntry & { line: number })[], at: { line: number }): RunReplay {
  const context = { ...header.context, streamFn: () => EMPTY, hooks: header.context.hooks ?? {} };
  const snapshot = replayMachine.resolveState({ value: header.value as never, context: context as never });
  // `input` is unused when a snapshot is restored, but the machine's type requires it.
  const actor = createActor(replayMachine, { snapshot, clock: inertClock, input: { streamFn: context.streamFn } });
  const root = actor as AnyActorRef;

  const readings = entries.filter((entry) => entry.kind === "clock");
  let nextReading = 0;
  let current = { line: 1, t: header.t };
  let problem: RecordingError | undefined;
  setActorClock(actor, () => {
    const reading = readings[nextReading++];
    if (reading) return reading.t;
    problem ??= new RecordingError(current.line, "the machine read its clock more often than the recording did; the recording does not match this machine.");
    return current.t;
  });

  // Events the replayed machines send each other, to check against the recording.
  const derived: Sent[] = [];
  const inspection = root.system.inspect((inspected: InspectionEvent) => {
    if (inspected.type !== "@xstate.event" || !inspected.sourceRef || inspected.event.type === "xstate.init") return;
    const [target, source] = [inspected.actorRef as AnyActorRef, inspected.sourceRef as AnyActorRef];
    if (!isTracedActor(target, root) || !isTracedActor(source, root)) return;
    derived.push({ to: actorPath(target, root), from: actorPath(source, root), type: inspected.event.type });
  });
  actor.subscribe({ error: (error) => (problem ??= new RecordingError(current.line, `the machine failed: ${String(error)}`)) });
  actor.start();
  // Traced from here: the live trace began with the agent already running.
  const steps: RunStep[] = [];
  const events: AgentEvent[] = [];
  const stopTrace = traceRun(root, (step) => steps.push(step), { now: () => current.t });
  const emitting = actor.on("*", (event) => events.push(event));
  const batches = new BatchDecoder();
  try {
    for (const recorded of entries) {
      if (recorded.kind !== "event") continue;
      // Format 2 writes stream batches without their partial messages: rebuild them (in order, each from the last).
      const entry =
        header.version >= 2 && recorded.to === "root" && recorded.event.type === "model.events"
          ? { ...recorded, event: batches.decode(recorded as never) }
          : recorded;
      current = entry;
      at.line = entry.line;
      if (isDerived(entry, root)) {
        const sent = derived.shift();
        if (!sent || sent.type !== entry.event.type || sent.to !== entry.to || sent.from !== entry.from) {
          const got = sent ? `${sent.type} (${sent.from} → ${sent.to})` : "nothing";
          throw new RecordingError(
            entry.line,
            `the replay diverged: the recording has ${entry.event.type} (${entry.from} → ${entry.to}) here, the replay sent ${got}.`,
          );
        }
        continue;
      }
      deliver(root, entry);
      if (problem) throw problem;
    }
    const unused = readings[nextReading];
    if (unused) throw new RecordingError(unused.line, "the replay did not use this clock reading; the recording does not match this machine.");
    return { header, steps, events };
  } finally {
    stopTrace();
    emitting.unsubscribe();
    inspection.unsubscribe();
    setActorClock(actor, undefined);
    actor.stop();
  }
}

/** Sent by one of the machines a replay runs (not by a timer): the replay re-derives it. */
function isDerived(entry: RunLogEvent, root: AnyActorRef): boolean {
  if (entry.from === null || entry.event.type.startsWith("xstate.after.")) return false;
  if (entry.from === "root") return true;
  const child = (root.getSnapshot() as { children: Record<string, AnyActorRef> }).children[entry.from];
  return child ? child.src === "toolCall" : /^tool-\d+-\d+$/.test(entry.from);
}

function deliver(root: AnyActorRef, entry: RunLogEvent & { line: number }): void {
  if (!knownEvent(entry.to, entry.event.type)) {
    throw new RecordingError(entry.line, `unknown event "${entry.event.type}" for actor "${entry.to}"; was this recorded by another version of tinyagent?`);
  }
  const target = entry.to === "root" ? root : (root.getSnapshot() as { children: Record<string, AnyActorRef | undefined> }).children[entry.to];
  if (!target) {
    throw new RecordingError(entry.line, `the event "${entry.event.type}" is for actor "${entry.to}", which does not exist at this point of the replay.`);
  }
  target.send(entry.event);
}
