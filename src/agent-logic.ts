/**
 * `agentLogic`: one agent run as XState actor logic, for `invoke`,
 * `spawnChild` and `sendTo` in any machine. It is the agent machine itself
 * (same states, events, tags, `can()`, emitted events), with two changes:
 * its input is the flat agent options plus a `prompt`, and being stopped
 * closes the run. XState stops a child without running exit actions, so the
 * stop is caught here: the stream and tools are stopped by XState (their
 * signals abort), and the transcript gets what an abort would have added.
 */
import type { ActorScope, AnyEventObject, StateMachine } from "xstate";
import { actorNow, stamped } from "../machines/actor-clock.js";
import { agentMachine, type AgentContext } from "../machines/agent.machine.js";
import type { AgentOptions } from "./agent-options.js";
import { agentMachineInput, promptMessages, type PromptInput } from "./agent-input.js";
import { syntheticAssistantMessage, toolCallsOf, toolResultMessage } from "./core/messages.js";
import { textResult } from "./core/tools.js";
import type { AgentEvent, AgentMessage, AssistantMessage } from "./core/types.js";

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

/** The errorMessage of a run closed because its actor was stopped. */
export const STOPPED = "Stopped: the actor running this agent was stopped.";

type Machine = typeof agentMachine;
type MachineSnapshot = ReturnType<Machine["transition"]>;
type Scope = ActorScope<MachineSnapshot, AnyEventObject, never, AgentEvent> & { emit(event: AgentEvent): void };

/** Adds what an abort would have: the partial reply, answers to unanswered calls, a closing aborted message, `agent_end`. */
function closeRun(snapshot: MachineSnapshot, scope: Scope): void {
  if (snapshot.status !== "active" || snapshot.matches("idle") || snapshot.matches("done")) return;
  const context: AgentContext = snapshot.context;
  const now = () => actorNow(scope.self);
  const emit = (event: AgentEvent) => scope.emit(event);
  const append = (message: AgentMessage) => {
    context.messages.push(message);
    emit({ type: "message_start", message });
    emit({ type: "message_end", message });
  };
  let last: AssistantMessage | null = null;
  const partial = context.streamMessage;
  if (snapshot.matches("streaming") && partial) {
    partial.stopReason = "aborted";
    partial.errorMessage = STOPPED;
    context.messages.push(partial); // message_start went out with the first delta
    emit({ type: "message_end", message: partial });
    const unexecuted = textResult("Tool call was not executed: the run was stopped.");
    for (const call of toolCallsOf(partial)) append(stamped(toolResultMessage(call, unexecuted, true), now()));
    last = partial;
  }
  const batch = context.batch;
  if (snapshot.matches("executingTools") && batch) {
    for (let index = batch.announced; index < batch.calls.length; index++) {
      const call = batch.calls[index]!;
      let result = batch.results[index];
      if (!result) {
        const stopped = textResult("Tool execution was stopped with the run.");
        if (index >= batch.started) emit({ type: "tool_execution_start", toolCallId: call.id, toolName: call.name, args: call.arguments });
        emit({ type: "tool_execution_end", toolCallId: call.id, toolName: call.name, result: stopped, isError: true });
        result = stamped(toolResultMessage(call, stopped, true), now());
      }
      append(result);
    }
  }
  if (!last) append(stamped(syntheticAssistantMessage(context.model, "aborted", STOPPED), now()));
  Object.assign(context, { streamMessage: null, pendingToolCalls: [], batch: null, runEnd: null, error: STOPPED });
  emit({ type: "agent_end", messages: context.messages.slice(context.runStart) });
}

/** Wraps a (possibly provided) agent machine as {@link AgentLogic}. */
function rewire(machine: Machine): AgentLogic {
  const logic = Object.create(machine) as Machine;
  Object.defineProperties(logic, {
    getInitialSnapshot: {
      value: (scope: Parameters<Machine["getInitialSnapshot"]>[0], input: AgentLogicInput) => {
        const { prompt, ...options } = input;
        return machine.getInitialSnapshot(scope, { ...agentMachineInput(options), prompt: promptMessages(prompt) });
      },
    },
    transition: {
      value: (snapshot: MachineSnapshot, event: AnyEventObject, scope: Scope) => {
        // Snapshot context is mutated in place, as the machine's own actions do (no transcript copy).
        if (event.type === "xstate.stop") closeRun(snapshot, scope);
        return machine.transition(snapshot, event as never, scope as never);
      },
    },
    provide: { value: (implementations: Parameters<Machine["provide"]>[0]) => rewire(machine.provide(implementations)) },
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
