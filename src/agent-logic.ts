/**
 * `agentLogic`: one agent run as XState actor logic, for `invoke`,
 * `spawnChild` and `sendTo` in any machine. It is the agent machine itself
 * (same states, events, tags, `can()`, emitted events), with two changes:
 * its input is the flat agent options plus a `prompt`, and being stopped
 * closes the run. XState stops a child without running exit actions, so the
 * stop is caught here: the stream and tools are stopped by XState (their
 * signals abort), and the transcript gets what an abort would have added.
 */
import type { StateMachine } from "xstate";
import { actorNow } from "../machines/actor-clock.js";
import { agentMachine } from "../machines/agent.machine.js";
import { closeRun } from "../machines/close-run.js";
import { draftOf } from "../machines/draft.js";
import { withTransition } from "../machines/xstate-internals.js";
import type { AgentOptions } from "./agent-options.js";
import { agentMachineInput, promptMessages, type PromptInput } from "./agent-input.js";
import type { AgentEvent, AgentMessage } from "./core/types.js";

/** The input of {@link agentLogic}: what `new Agent(options)` takes, and the prompt to run. */
export type AgentLogicInput = Omit<AgentOptions, "inspect"> & {
  /** Text, a message, or messages; they enter the transcript as the run's first turn. */
  prompt: PromptInput;
};

/** `TMachine` with another input and output type. */
type Rewired<TMachine, TInput, TOutput> =
  TMachine extends StateMachine<
    infer TContext,
    infer TEvent,
    infer TChildren,
    infer TActor,
    infer TAction,
    infer TGuard,
    infer TDelay,
    infer TStateValue,
    infer TTag,
    infer _TInput,
    infer _TOutput,
    infer TEmitted,
    infer TMeta,
    infer TSchema
  >
    ? StateMachine<TContext, TEvent, TChildren, TActor, TAction, TGuard, TDelay, TStateValue, TTag, TInput, TOutput, TEmitted, TMeta, TSchema>
    : never;

/** The type of {@link agentLogic}: the agent machine with {@link AgentLogicInput} in and the run's new messages out. */
export type AgentLogic = Rewired<typeof agentMachine, AgentLogicInput, AgentMessage[]>;

type Machine = typeof agentMachine;
type MachineSnapshot = ReturnType<Machine["transition"]>;
type Scope = Parameters<Machine["transition"]>[2];

/** Closes the run of an actor being stopped (see close-run.ts) and emits its `agent_end`. */
function closeStoppedRun(snapshot: MachineSnapshot, scope: Scope): void {
  if (snapshot.status !== "active" || snapshot.matches("idle") || snapshot.matches("done")) return;
  const emit = (event: AgentEvent) => scope.emit(event);
  const draft = draftOf(snapshot.context);
  closeRun(draft, "stopped", emit, () => actorNow(scope.self));
  // The stopped snapshot is the actor's last: it takes the closed run (XState keeps no snapshot after stop).
  Object.assign(snapshot.context, draft);
  emit({ type: "agent_end", messages: draft.messages.slice(draft.runStart) });
}

function rewire(machine: Machine): AgentLogic {
  const logic = withTransition(machine, {
    before: (snapshot, event, scope) => {
      if (event.type === "xstate.stop") closeStoppedRun(snapshot, scope);
    },
    getInitialSnapshot: (provided, scope, input) => {
      const { prompt, ...options } = input as AgentLogicInput;
      return provided.getInitialSnapshot(scope, { ...agentMachineInput(options), prompt: promptMessages(prompt) });
    },
  });
  return logic as unknown as AgentLogic;
}

/**
 * One agent run as actor logic. Input: agent options and a `prompt`; output
 * (`onDone`'s `event.output`): the run's new messages. It emits the agent
 * events (`agent_start` … `agent_end`), takes the agent's inputs
 * (`agent.steer`, `agent.abort`, `agent.approve`, …) and, when its parent
 * stops it, cancels its stream, aborts its tools' signals and still leaves a
 * valid transcript.
 * @example
 * const coordinator = setup({ actors: { agent: agentLogic } }).createMachine({
 *   invoke: { src: "agent", input: { model, streamFn, prompt: "Summarise the notes" },
 *             onDone: { actions: ({ event }) => console.log(event.output) } },
 * });
 */
export const agentLogic: AgentLogic = rewire(agentMachine);
