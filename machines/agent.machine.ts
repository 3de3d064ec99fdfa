/**
 * The agent loop as a statechart:
 *
 *   idle → streaming → executingTools → turnEnd → streaming → … → idle
 *
 * The context holds the whole state of a run (transcript, streaming message,
 * pending tool calls, queues, usage), and every public event leaves through
 * `emit` from a named action, so inspecting the actor shows the run.
 * Actions work on a draft of the context and assign it (see draft.ts): a
 * snapshot handed out never changes under its reader.
 */
import { assign, enqueueActions, fromPromise, not, setup, type ActorRefFrom } from "xstate";
import { endedMessage } from "../src/core/message-checks.js";
import { syntheticAssistantMessage, toolResultMessage, zeroUsage } from "../src/core/messages.js";
import type { AgentEvent, AgentMessage, AgentToolResult, AssistantMessageEvent, ToolResultMessage } from "../src/core/types.js";
import { actorNow, stamped } from "./actor-clock.js";
import {
  initialContext,
  type AgentContext,
  type AgentMachineEvent,
  type AgentMachineInput,
  type AgentSettings,
  type PendingToolCall,
  type ResumedRun,
} from "./agent-context.js";
import { concludeAssistant, isTerminal, takeQueued, terminalOf, toolActorId, toolStart, waitingCall, withStatus } from "./agent-run.js";
import { answerOpenCalls, CLOSE_TEXTS } from "./close-run.js";
import { announceResults, appendMessage, draftOf, type Emit } from "./draft.js";
import { streamModelActor, type StreamModelInput } from "./stream-model.actor.js";
import { toolCallMachine } from "./tool-call.machine.js";
import { nextMacrotask } from "./next-macrotask.js";
import { recoverFailedStep } from "./recover-step.js";
import { emitAll, withTransition } from "./xstate-internals.js";
import { errorText } from "../src/core/errors.js";

export { settingsOf } from "./agent-context.js";
export type {
  AgentContext,
  AgentMachineEvent,
  AgentMachineInput,
  AgentSettings,
  PendingToolCall,
  ResumedRun,
  ToolBatch,
} from "./agent-context.js";

/** A tool-call actor's report that it finished (the `tool.done` event's fields). */
type ToolDone = { index: number; result: AgentToolResult; isError: boolean; hookError?: string };

/** Collects a step's events, to emit them once the step's draft is assigned. */
function collector(): { emitted: AgentEvent[]; emit: Emit } {
  const emitted: AgentEvent[] = [];
  return { emitted, emit: (event) => emitted.push(event) };
}

/** The agent loop as XState defines it; {@link agentMachine} adds recovery from a failing step. */
const loopMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentMachineEvent,
    input: {} as AgentMachineInput,
    emitted: {} as AgentEvent,
  },
  actors: {
    streamModel: streamModelActor,
    toolCall: toolCallMachine,
    decideAfterTurn: fromPromise<boolean, AgentContext>(async ({ input }) => {
      // Between turns the event loop gets a turn too, so a timer's abort() lands even when nothing in the run waits on I/O.
      await nextMacrotask();
      const hook = input.hooks.shouldStopAfterTurn;
      if (!hook || !input.turnMessage) return false;
      try {
        return await hook({
          message: input.turnMessage,
          toolResults: (input.batch?.results ?? []) as ToolResultMessage[],
          messages: input.messages,
        });
      } catch (error) {
        throw new Error(`shouldStopAfterTurn hook threw: ${errorText(error)}`);
      }
    }),
  },
  guards: {
    hasModel: ({ context }) => context.model !== undefined,
    messageStarted: ({ context }) => context.streamMessage !== null,
    retryPending: ({ context }) => context.retry !== null,
    continuesWithSteering: ({ context }) => context.model !== undefined && context.messages.at(-1)?.role === "assistant" && context.steeringQueue.length > 0,
    continuesWithFollowUp: ({ context }) => context.model !== undefined && context.messages.at(-1)?.role === "assistant" && context.followUpQueue.length > 0,
    // continue() with nothing queued needs a transcript the model has not answered yet.
    continuesTranscript: ({ context }) => {
      const last = context.messages.at(-1);
      return context.model !== undefined && last !== undefined && last.role !== "assistant";
    },
    resumesAt: ({ context }, params: { state: ResumedRun["state"] }) => context.resumeAt === params.state,
    startsOnce: ({ context }) => context.once === "pending" && context.model !== undefined,
    ranOnce: ({ context }) => context.once === "running",
    startsOnceWithoutModel: ({ context }) => context.once === "pending",
    batchEndsWithToolCalls: (_, params: { events: AssistantMessageEvent[] }) => {
      const terminal = terminalOf(params.events);
      return terminal?.type === "done" && terminal.message.content.some((block) => block.type === "toolCall");
    },
    batchEndsMessage: (_, params: { events: AssistantMessageEvent[] }) => terminalOf(params.events) !== undefined,
    isLastToolResult: ({ context }) => {
      const batch = context.batch!;
      return batch.results.filter(Boolean).length + 1 === batch.calls.length;
    },
    sequentialRunEnds: ({ context }, params: { hookError?: string }) =>
      context.toolExecution === "sequential" && (context.runEnd !== null || params.hookError !== undefined),
    hookFailed: (_, params: { hookError?: string }) => params.hookError !== undefined,
    approvalWaiting: ({ context }) => context.pendingToolCalls.some((call) => call.status === "awaitingApproval"),
    isAwaitingApproval: ({ context }, params: { toolCallId?: string }) => waitingCall(context, params.toolCallId) !== undefined,
    runEnded: ({ context }) => {
      const message = context.turnMessage;
      return context.runEnd !== null || !message || message.stopReason === "error" || message.stopReason === "aborted" || context.batch?.terminate === true;
    },
    stopRequested: (_, params: { stop: boolean }) => params.stop,
    turnLimitReached: ({ context }) =>
      context.turn >= context.maxTurns && (context.steeringQueue.length > 0 || (context.batch?.calls.length ?? 0) > 0 || context.followUpQueue.length > 0),
    hasSteering: ({ context }) => context.steeringQueue.length > 0,
    hasToolResults: ({ context }) => (context.batch?.calls.length ?? 0) > 0,
    hasFollowUp: ({ context }) => context.followUpQueue.length > 0,
  },
  actions: {
    configure: assign((_, params: { settings: Partial<AgentSettings> }) => params.settings),
    replaceMessages: assign((_, params: { messages: AgentMessage[] }) => ({ messages: [...params.messages] })),
    appendMessage: assign(({ context }, params: { message: AgentMessage }) => ({ messages: [...context.messages, params.message] })),
    reset: assign(() => ({ messages: [], steeringQueue: [], followUpQueue: [], error: undefined, usage: zeroUsage() })),
    queueSteering: assign(({ context }, params: { message: AgentMessage }) => ({ steeringQueue: [...context.steeringQueue, params.message] })),
    queueFollowUp: assign(({ context }, params: { message: AgentMessage }) => ({ followUpQueue: [...context.followUpQueue, params.message] })),
    clearQueues: assign(({ context }, params: { steering: boolean; followUp: boolean }) => ({
      steeringQueue: params.steering ? [] : context.steeringQueue,
      followUpQueue: params.followUp ? [] : context.followUpQueue,
    })),
    /** `messages`: a prompt's; else the run starts from `pendingInput`. `fresh`: queued steering joins the input. */
    startRun: enqueueActions(({ enqueue, context }, params: { messages?: AgentMessage[]; fresh: boolean }) => {
      let input = params.messages ? [...params.messages] : [...context.pendingInput];
      let steeringQueue = context.steeringQueue;
      // Steering queued between runs joins the prompt before the first model call (as in pi-agent-core),
      // unless continue() already took queued messages as its input.
      if (params.fresh && (params.messages || input.length === 0)) {
        const { taken, rest } = takeQueued(steeringQueue, context.steeringMode);
        input = [...input, ...taken];
        steeringQueue = rest;
      }
      enqueue.assign({
        once: context.once === null ? null : "running",
        runStart: context.messages.length,
        turn: 0,
        error: undefined,
        runEnd: null,
        batch: null,
        turnMessage: null,
        pendingInput: input,
        steeringQueue,
      });
      enqueue.emit({ type: "agent_start" });
    }),
    startTurn: enqueueActions(({ enqueue, context }) => {
      const draft = draftOf(context);
      Object.assign(draft, { turn: context.turn + 1, pendingInput: [], streamMessage: null, retry: null, batch: null, turnMessage: null });
      const { emitted, emit } = collector();
      emit({ type: "turn_start" });
      for (const message of context.pendingInput) {
        appendMessage(draft, message);
        emit({ type: "message_start", message });
        emit({ type: "message_end", message });
      }
      enqueue.assign(() => draft);
      for (const event of emitted) enqueue.emit(event);
    }),
    applyModelEvents: enqueueActions(({ enqueue, context, self }, params: { events: AssistantMessageEvent[] }) => {
      const draft = draftOf(context);
      const { emitted, emit } = collector();
      let started = draft.streamMessage !== null;
      for (const streamEvent of params.events) {
        if (streamEvent.type === "retry") {
          draft.retry = { attempt: streamEvent.attempt, delayMs: streamEvent.delayMs, reason: streamEvent.reason };
          emit({ type: "model_retry", ...draft.retry });
          continue;
        }
        if (isTerminal(streamEvent)) {
          const message = streamEvent.type === "done" ? streamEvent.message : streamEvent.error;
          concludeAssistant(draft, message, started, emit, () => actorNow(self));
          break; // events after the terminal one are ignored
        }
        draft.streamMessage = streamEvent.partial;
        if (!started) {
          started = true;
          emit({ type: "message_start", message: streamEvent.partial });
        }
        if (streamEvent.type !== "start") {
          emit({ type: "message_update", message: streamEvent.partial, assistantMessageEvent: streamEvent });
        }
      }
      enqueue.assign(() => draft);
      // Hot path: one action for the whole batch, still one emitted event per stream event (see xstate-internals.ts).
      enqueue(emitAll(emitted));
    }),
    /** The model call ended without a terminal event: aborted, failed (`error`), or its stream just completed. */
    failStream: enqueueActions(({ enqueue, context, self }, params: { cause: "aborted" | "failed" | "ended"; error?: unknown }) => {
      const reason =
        params.cause === "aborted"
          ? CLOSE_TEXTS.aborted.run
          : params.cause === "failed"
            ? `Model call failed: ${errorText(params.error)}`
            : "The provider stream ended without a terminal done/error event.";
      const stopReason: "aborted" | "error" = params.cause === "aborted" ? "aborted" : "error";
      const partial = context.streamMessage;
      const message = partial
        ? endedMessage(partial, context.model, stopReason, reason)
        : stamped(syntheticAssistantMessage(context.model, stopReason, reason), actorNow(self));
      const draft = draftOf(context);
      const { emitted, emit } = collector();
      concludeAssistant(draft, message, partial !== null, emit, () => actorNow(self));
      enqueue.assign(() => draft);
      for (const event of emitted) enqueue.emit(event);
    }),
    resumeRun: assign({ resumeAt: null }),
    startTools: enqueueActions(({ enqueue, context }) => {
      const batch = context.batch!;
      // Calls with a result already (a resumed run's) do not start again.
      const open = batch.calls.flatMap((_, index) => (batch.results[index] ? [] : [index]));
      const starting = context.toolExecution === "sequential" ? open.slice(0, 1) : open;
      const pending: PendingToolCall[] = open.map((index) => {
        const call = batch.calls[index]!;
        const waits = batch.resumed?.[index] === "awaitingApproval";
        const status = waits ? "awaitingApproval" : index === starting[0] || context.toolExecution === "parallel" ? "validating" : "queued";
        return { index, toolCallId: call.id, toolName: call.name, args: call.arguments, status };
      });
      enqueue.assign({ pendingToolCalls: pending });
      for (const index of starting) {
        const start = toolStart(context, index);
        enqueue.emit(start.event);
        enqueue.spawnChild("toolCall", { id: start.id, input: start.input });
      }
    }),
    startNextSequentialTool: enqueueActions(({ enqueue, context }) => {
      const batch = context.batch!;
      if (context.toolExecution !== "sequential" || context.runEnd) return;
      if (batch.started >= batch.calls.length) return;
      const index = batch.started;
      enqueue.assign({ pendingToolCalls: withStatus(context.pendingToolCalls, index, "validating") });
      const start = toolStart(context, index);
      enqueue.emit(start.event);
      enqueue.spawnChild("toolCall", { id: start.id, input: start.input });
    }),
    markToolStatus: assign(({ context }, params: { index: number; status: PendingToolCall["status"] }) => ({
      pendingToolCalls: withStatus(context.pendingToolCalls, params.index, params.status),
    })),
    emitToolUpdate: enqueueActions(({ enqueue, context }, params: { index: number; partialResult: AgentToolResult }) => {
      const call = context.batch!.calls[params.index]!;
      const { index, partialResult } = params;
      enqueue.assign({ pendingToolCalls: context.pendingToolCalls.map((p) => (p.index === index ? { ...p, partialResult } : p)) });
      enqueue.emit({ type: "tool_execution_update", toolCallId: call.id, toolName: call.name, args: call.arguments, partialResult });
    }),
    recordToolResult: enqueueActions(({ enqueue, context, self }, params: ToolDone) => {
      // A finished call's actor would stay in `children` (holding its input, the transcript) until the agent stops.
      enqueue.stopChild(toolActorId(context, params.index));
      const batch = context.batch!;
      const call = batch.calls[params.index]!;
      if (batch.results[params.index]) return;
      batch.results[params.index] = stamped(toolResultMessage(call, params.result, params.isError), actorNow(self));
      if (params.result.terminate) batch.terminate = true;
      const draft = draftOf(context);
      const { emitted, emit } = collector();
      emit({ type: "tool_execution_end", toolCallId: call.id, toolName: call.name, result: params.result, isError: params.isError });
      announceResults(draft, emit);
      if (params.hookError && !context.runEnd) draft.runEnd = { stopReason: "error", errorMessage: params.hookError };
      draft.pendingToolCalls = context.pendingToolCalls.filter((p) => p.index !== params.index);
      enqueue.assign(() => draft);
      for (const event of emitted) enqueue.emit(event);
    }),
    /** Ends the run's tool calls with `cause`: running ones are told to abort (they answer for themselves), the rest answered here. */
    closeTools: enqueueActions(({ enqueue, context, self }, params: { cause: "aborted" | "error" }) => {
      const batch = context.batch!;
      for (let index = 0; index < batch.started; index++) {
        if (!batch.results[index]) enqueue.sendTo(toolActorId(context, index), { type: "abort", reason: CLOSE_TEXTS[params.cause].running });
      }
      const draft = draftOf(context);
      const { emitted, emit } = collector();
      answerOpenCalls(draft, params.cause, emit, () => actorNow(self), { running: false });
      if (params.cause === "aborted") draft.runEnd = { stopReason: "aborted", errorMessage: CLOSE_TEXTS.aborted.run };
      enqueue.assign(() => draft);
      for (const event of emitted) enqueue.emit(event);
    }),
    emitTurnEnd: enqueueActions(({ enqueue, context }) => {
      const message = context.turnMessage!;
      const toolResults = (context.batch?.results ?? []).filter((r): r is ToolResultMessage => r !== undefined);
      enqueue.assign({ pendingToolCalls: [] });
      enqueue.emit({ type: "turn_end", message, toolResults });
    }),
    recordHookFailure: assign((_, params: { error: unknown }) => ({
      runEnd: { stopReason: "error" as const, errorMessage: errorText(params.error) },
    })),
    forwardApproval: enqueueActions(({ enqueue, context }, params: { toolCallId?: string; approved: boolean; reason?: string }) => {
      const call = waitingCall(context, params.toolCallId)!;
      // An approved call may run from now on: a checkpoint must no longer show it waiting.
      if (params.approved) enqueue.assign({ pendingToolCalls: withStatus(context.pendingToolCalls, call.index, "running") });
      enqueue.sendTo(toolActorId(context, call.index), params.approved ? { type: "approve" } : { type: "reject", reason: params.reason });
    }),
    markAbortAtBoundary: assign({ runEnd: () => ({ stopReason: "aborted" as const, errorMessage: CLOSE_TEXTS.aborted.run }) }),
    recordMissingModel: assign({ error: () => "No model set: pass { model } in the agent's input." }),
    recordTurnLimit: assign({
      error: ({ context }) => `Stopped after ${context.maxTurns} model calls (maxTurns). Call continue() to go on, or raise maxTurns.`,
    }),
    takeSteering: assign(({ context }) => {
      const { taken, rest } = takeQueued(context.steeringQueue, context.steeringMode);
      return { pendingInput: taken, steeringQueue: rest };
    }),
    takeFollowUp: assign(({ context }) => {
      const { taken, rest } = takeQueued(context.followUpQueue, context.followUpMode);
      return { pendingInput: taken, followUpQueue: rest };
    }),
    endRun: enqueueActions(({ enqueue, context, self }) => {
      const draft = draftOf(context);
      const { emitted, emit } = collector();
      if (context.runEnd) {
        const message = stamped(syntheticAssistantMessage(context.model, context.runEnd.stopReason, context.runEnd.errorMessage), actorNow(self));
        appendMessage(draft, message);
        draft.error = context.runEnd.errorMessage;
        emit({ type: "message_start", message });
        emit({ type: "message_end", message });
      }
      Object.assign(draft, { streamMessage: null, pendingToolCalls: [], batch: null, runEnd: null, retry: null });
      emit({ type: "agent_end", messages: draft.messages.slice(context.runStart) });
      enqueue.assign(() => draft);
      for (const event of emitted) enqueue.emit(event);
    }),
  },
}).createMachine({
  id: "agent",
  context: ({ input }) => initialContext(input),
  initial: "idle",
  output: ({ context }) => context.messages.slice(context.runStart),
  on: {
    "agent.configure": { actions: { type: "configure", params: ({ event }) => ({ settings: event.settings }) } },
    "agent.steer": { actions: { type: "queueSteering", params: ({ event }) => ({ message: event.message }) } },
    "agent.followUp": { actions: { type: "queueFollowUp", params: ({ event }) => ({ message: event.message }) } },
    "agent.clearQueues": { actions: { type: "clearQueues", params: ({ event }) => ({ steering: event.steering, followUp: event.followUp }) } },
  },
  states: {
    idle: {
      always: [
        { guard: { type: "resumesAt", params: { state: "streaming" } }, actions: "resumeRun", target: "streaming" },
        { guard: { type: "resumesAt", params: { state: "executingTools" } }, actions: "resumeRun", target: "executingTools" },
        { guard: { type: "resumesAt", params: { state: "turnEnd" } }, actions: "resumeRun", target: "turnEnd" },
        { guard: "startsOnce", actions: { type: "startRun", params: { fresh: false } }, target: "streaming" },
        { guard: "ranOnce", target: "done" },
        { guard: "startsOnceWithoutModel", actions: "recordMissingModel", target: "done" },
      ],
      on: {
        "agent.prompt": {
          guard: "hasModel",
          actions: { type: "startRun", params: ({ event }) => ({ messages: event.messages, fresh: true }) },
          target: "streaming",
        },
        // From an assistant message, continue() runs what is queued (as pi-agent-core does): steering first, then follow-ups.
        "agent.continue": [
          { guard: "continuesWithSteering", actions: ["takeSteering", { type: "startRun", params: { fresh: true } }], target: "streaming" },
          { guard: "continuesWithFollowUp", actions: ["takeFollowUp", { type: "startRun", params: { fresh: true } }], target: "streaming" },
          { guard: "continuesTranscript", actions: { type: "startRun", params: { fresh: true } }, target: "streaming" },
        ],
        "agent.replaceMessages": { actions: { type: "replaceMessages", params: ({ event }) => ({ messages: event.messages }) } },
        "agent.appendMessage": { actions: { type: "appendMessage", params: ({ event }) => ({ message: event.message }) } },
        "agent.reset": { actions: "reset" },
      },
    },
    streaming: {
      tags: ["busy"],
      entry: "startTurn",
      invoke: {
        id: "model",
        src: "streamModel",
        input: ({ context }): StreamModelInput => ({
          model: context.model!,
          systemPrompt: context.systemPrompt,
          messages: context.messages,
          tools: context.tools,
          streamFn: context.streamFn,
          hooks: context.hooks,
          streamOptions: context.streamOptions,
          checkpointed: context.checkpointed,
        }),
        onDone: { actions: { type: "failStream", params: { cause: "ended" } }, target: "turnEnd" },
        onError: { actions: { type: "failStream", params: ({ event }) => ({ cause: "failed", error: event.error }) }, target: "turnEnd" },
      },
      on: {
        "model.events": [
          {
            guard: { type: "batchEndsWithToolCalls", params: ({ event }) => ({ events: event.events }) },
            actions: { type: "applyModelEvents", params: ({ event }) => ({ events: event.events }) },
            target: "executingTools",
          },
          {
            guard: { type: "batchEndsMessage", params: ({ event }) => ({ events: event.events }) },
            actions: { type: "applyModelEvents", params: ({ event }) => ({ events: event.events }) },
            target: "turnEnd",
          },
          { actions: { type: "applyModelEvents", params: ({ event }) => ({ events: event.events }) } },
        ],
        "agent.abort": { actions: { type: "failStream", params: { cause: "aborted" } }, target: "turnEnd" },
      },
      // Where the model call stands, so a UI (and the viewer) can show a provider retry as a state.
      initial: "requesting",
      states: {
        requesting: {
          always: [
            { guard: "messageStarted", target: "receiving" },
            { guard: "retryPending", target: "retrying" },
          ],
        },
        retrying: { tags: ["retrying"], always: { guard: "messageStarted", target: "receiving" } },
        receiving: {},
      },
    },
    executingTools: {
      tags: ["busy"],
      entry: "startTools",
      on: {
        "tool.awaitingApproval": { actions: { type: "markToolStatus", params: ({ event }) => ({ index: event.index, status: "awaitingApproval" }) } },
        "tool.running": { actions: { type: "markToolStatus", params: ({ event }) => ({ index: event.index, status: "running" }) } },
        "tool.update": { actions: { type: "emitToolUpdate", params: ({ event }) => ({ index: event.index, partialResult: event.partialResult }) } },
        "tool.done": [
          { guard: "isLastToolResult", actions: { type: "recordToolResult", params: ({ event }) => event }, target: "turnEnd" },
          {
            guard: { type: "sequentialRunEnds", params: ({ event }) => ({ hookError: event.hookError }) },
            // Sequential calls after a throwing hook never start; they still need answers, or the batch never ends.
            actions: [
              { type: "recordToolResult", params: ({ event }) => event },
              { type: "closeTools", params: { cause: "error" } },
            ],
            target: "turnEnd",
          },
          {
            guard: { type: "hookFailed", params: ({ event }) => ({ hookError: event.hookError }) },
            // A throwing hook ends the run: the batch's other calls (running or awaiting approval) are aborted now.
            actions: [
              { type: "recordToolResult", params: ({ event }) => event },
              { type: "closeTools", params: { cause: "error" } },
            ],
          },
          { actions: [{ type: "recordToolResult", params: ({ event }) => event }, "startNextSequentialTool"] },
        ],
        "agent.approve": {
          guard: { type: "isAwaitingApproval", params: ({ event }) => ({ toolCallId: event.toolCallId }) },
          actions: { type: "forwardApproval", params: ({ event }) => ({ toolCallId: event.toolCallId, approved: true }) },
        },
        "agent.reject": {
          guard: { type: "isAwaitingApproval", params: ({ event }) => ({ toolCallId: event.toolCallId }) },
          actions: { type: "forwardApproval", params: ({ event }) => ({ toolCallId: event.toolCallId, approved: false, reason: event.reason }) },
        },
        "agent.abort": { actions: { type: "closeTools", params: { cause: "aborted" } } },
      },
      // A substate per approval status, so `hasTag("awaitingApproval")` tells a UI to ask.
      initial: "running",
      states: {
        running: { always: { guard: "approvalWaiting", target: "awaitingApproval" } },
        awaitingApproval: { tags: ["awaitingApproval"], always: { guard: not("approvalWaiting"), target: "running" } },
      },
    },
    // A finished run-once actor takes no more input: forbidden transitions make can() say so.
    done: { type: "final", on: { "agent.configure": {}, "agent.steer": {}, "agent.followUp": {} } },
    turnEnd: {
      tags: ["busy"],
      entry: "emitTurnEnd",
      // An ended run leaves at once, so abort() and errors settle synchronously.
      always: { guard: "runEnded", actions: "endRun", target: "idle" },
      invoke: {
        id: "decision",
        src: "decideAfterTurn",
        input: ({ context }) => context,
        onDone: [
          { guard: { type: "stopRequested", params: ({ event }) => ({ stop: event.output }) }, actions: "endRun", target: "idle" },
          { guard: "turnLimitReached", actions: ["recordTurnLimit", "endRun"], target: "idle" },
          { guard: "hasSteering", actions: "takeSteering", target: "streaming" },
          { guard: "hasToolResults", target: "streaming" },
          { guard: "hasFollowUp", actions: "takeFollowUp", target: "streaming" },
          { actions: "endRun", target: "idle" },
        ],
        onError: { actions: [{ type: "recordHookFailure", params: ({ event }) => ({ error: event.error }) }, "endRun"], target: "idle" },
      },
      on: {
        "agent.abort": { actions: ["markAbortAtBoundary", "endRun"], target: "idle" },
      },
    },
  },
});

/**
 * The agent loop; see the module comment. A step that throws closes the run
 * with an error and leaves the actor idle (see recover-step.ts).
 */
export const agentMachine = withTransition(loopMachine, { recover: recoverFailedStep });

/** A running agent machine. */
export type AgentActor = ActorRefFrom<typeof agentMachine>;
