/**
 * Records a run: every input the agent machine and its tool-call actors
 * receive (prompts, provider stream batches, tool results and updates,
 * approvals, timer firings, aborts, settings) and every clock reading the
 * machine makes, as JSON lines (see run-log.ts). `replayRun` rebuilds the run
 * from them with no network and no tools.
 */
import type { AnyActorRef, InspectionEvent } from "xstate";
import { watchActorClock } from "../../machines/actor-clock.js";
import type { AgentActor } from "../../machines/agent.machine.js";
import { AgentError } from "../core/errors.js";
import { DeltaLines } from "./delta-lines.js";
import { BatchEncoder } from "./model-events-codec.js";
import { RUN_LOG_VERSION, encodeRunValue, type RunLogClock, type RunLogEvent, type RunLogHeader } from "./run-log.js";
import { actorPath, isTracedActor } from "./run-trace.js";

/** A recording in progress. */
export type RunRecording = {
  /** The JSON lines so far, header first. */
  readonly lines: readonly string[];
  /** The recording as a JSONL text (one line per entry, newline-terminated). */
  text(): string;
  /** Stops recording; the lines stay. */
  stop(): void;
};

/** Options of {@link recordRun}. */
export type RecordRunOptions = {
  /** Called with each line as it is written, e.g. to append it to a file. */
  onLine?: (line: string) => void;
};

/**
 * Starts recording an agent (an `Agent` or its `actor`), which must be idle.
 * Functions are not recorded; what they produced is (the events they caused).
 * Credentials are redacted by the rule snapshots use (core/redact.ts): every
 * credential header (authorization, cookie, `*key*`, `*token*`, …) and `apiKey`.
 * @example
 * const recording = recordRun(agent, { onLine: (line) => appendFileSync("run.jsonl", line + "\n") });
 * await agent.prompt("What is 2 + 3?");
 * recording.stop();
 * const { steps } = replayRun(recording.lines);
 */
export function recordRun(agent: { actor: AgentActor } | AgentActor, options: RecordRunOptions = {}): RunRecording {
  const root = ("actor" in agent ? agent.actor : agent) as AnyActorRef;
  const snapshot = root.getSnapshot() as { value: unknown; context: unknown };
  const busy = snapshot.value !== "idle" || Object.keys((root.getSnapshot() as { children: object }).children).length > 0;
  if (busy) {
    throw new AgentError(
      "agent-busy",
      `recordRun: the agent is in state ${JSON.stringify(snapshot.value)}; start recording while it is idle (await agent.waitForIdle() first).`,
    );
  }
  const lines: string[] = [];
  const header: RunLogHeader = {
    kind: "tinyagent-run",
    version: RUN_LOG_VERSION,
    t: Date.now(),
    value: snapshot.value,
    context: snapshot.context as Record<string, unknown>,
  };
  // Batches that only continue the last one's deltas get a terse line (see delta-lines.ts).
  const terse = new DeltaLines(header.t);
  const write = (entry: RunLogHeader | RunLogEvent | RunLogClock) => {
    const line = (entry.kind !== "tinyagent-run" && terse.write(entry)) || encodeRunValue(entry);
    lines.push(line);
    options.onLine?.(line);
  };
  write(header);

  const stopClock = watchActorClock(root, (t) => write({ kind: "clock", t }));
  // Stream batches go out without each event's whole partial message: that would grow with message × deltas.
  const batches = new BatchEncoder();
  const inspection = root.system.inspect((inspected: InspectionEvent) => {
    const target = inspected.actorRef as AnyActorRef;
    if (inspected.type !== "@xstate.event" || !isTracedActor(target, root)) return;
    // Init events are derived (a spawn) and carry the child's whole input.
    if (inspected.event.type === "xstate.init") return;
    const entry: RunLogEvent = {
      kind: "event",
      t: Date.now(),
      to: actorPath(target, root),
      from: inspected.sourceRef ? actorPath(inspected.sourceRef as AnyActorRef, root) : null,
      event: inspected.event as RunLogEvent["event"],
    };
    if (target === root && inspected.event.type === "model.events") Object.assign(entry, batches.encode(inspected.event as never));
    write(entry);
  });
  let stopped = false;
  return {
    lines,
    text: () => lines.map((line) => `${line}\n`).join(""),
    stop() {
      if (stopped) return;
      stopped = true;
      stopClock();
      inspection.unsubscribe();
    },
  };
}
