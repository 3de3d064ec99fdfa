/**
 * The agent loop as a statechart:
 *
 *   idle → streaming → executingTools → turnEnd → streaming → … → idle
 *
 * The context holds the whole state of a run (transcript, streaming message,
 * pending tool calls, queues, usage), and every public event leaves through
 * `emit` from a named action, so inspecting the actor shows the run.
 * Transcript arrays are append-only and appended in place: no step copies them.
 */
import { assign, enqueueActions, fromPromise, not, setup, type ActorRefFrom } from "xstate";
import { syntheticAssistantMessage, toolResultMessage, zeroUsage } from "../src/core/messages.js";
import type { AgentEvent, AgentMessage, AssistantMessageEvent, ToolResultMessage } from "../src/core/types.js";
import { actorNow, stamped } from "./actor-clock.js";
import {
  initialContext,
  type AgentContext,
  type AgentMachineEvent,
  type AgentMachineInput,
  type PendingToolCall,
} from "./agent-context.js";
import {
  ABORTED,
  announceResults,
  answerUnstarted,
  concludeAssistant,
  isTerminal,
  takeQueued,
  terminalOf,
  toolActorId,
  toolStart,
  waitingCall,
  withStatus,
  type Emit,
} from "./agent-run.js";
import { emitAll } from "./emit-all.js";
import { streamModelActor, type StreamModelInput } from "./stream-model.actor.js";
import { toolCallMachine } from "./tool-call.machine.js";

export { settingsOf } from "./agent-context.js";
export type {
  AgentContext,
  AgentMachineEvent,
  AgentMachineInput,
  AgentSettings,
  PendingToolCall,
} from "./agent-context.js";

/** The agent loop; see the module comment. */
export const agentMachine = setup({
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
      const hook = input.hooks.shouldStopAfterTurn;
      if (!hook || !input.turnMessage) return false;
      try {
        return await hook({
          message: input.turnMessage,
          toolResults: (input.batch?.results ?? []) as ToolResultMessage[],
          messages: input.messages,
        });
      } catch (error) {
        throw new Error(`shouldStopAfterTurn hook threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  },
  guards: {
    hasModel: ({ context }) => context.model !== undefined,
    messageStarted: ({ context }) => context.streamMessage !== null,
    retryPending: ({ context }) => context.retry !== null,
    continuesWithSteering: ({ context }) =>
      context.model !== undefined && context.messages.at(-1)?.role === "assistant" && context.steeringQueue.length > 0,
    continuesWithFollowUp: ({ context }) =>
      context.model !== undefined && context.messages.at(-1)?.role === "assistant" && context.followUpQueue.length > 0,
    startsOnce: ({ context }) => context.once === "pending" && context.model !== undefined,
    ranOnce: ({ context }) => context.once === "running",
    startsOnceWithoutModel: ({ context }) => context.once === "pending",
    batchEndsWithToolCalls: ({ event }) => {
      const terminal = terminalOf((event as { events: AssistantMessageEvent[] }).events);
      return terminal?.type === "done" && terminal.message.content.some((block) => block.type === "toolCall");
    },
    batchEndsMessage: ({ event }) => terminalOf((event as { events: AssistantMessageEvent[] }).events) !== undefined,
    isLastToolResult: ({ context }) => {
      const batch = context.batch!;
      return batch.results.filter(Boolean).length + 1 === batch.calls.length;
    },
    sequentialRunEnds: ({ context, event }) =>
      context.toolExecution === "sequential" && (context.runEnd !== null || (event as { hookError?: string }).hookError !== undefined),
    hookFailed: ({ event }) => (event as { hookError?: string }).hookError !== undefined,
    approvalWaiting: ({ context }) => context.pendingToolCalls.some((call) => call.status === "awaitingApproval"),
    isAwaitingApproval: ({ context, event }) => waitingCall(context, (event as { toolCallId?: string }).toolCallId) !== undefined,
    runEnded: ({ context }) => {
      const message = context.turnMessage;
      return (
        context.runEnd !== null ||
        !message ||
        message.stopReason === "error" ||
        message.stopReason === "aborted" ||
        context.batch?.terminate === true
      );
    },
    stopRequested: ({ event }) => (event as { output?: boolean }).output === true,
    turnLimitReached: ({ context }) =>
      context.turn >= context.maxTurns &&
      (context.steeringQueue.length > 0 || (context.batch?.calls.length ?? 0) > 0 || context.followUpQueue.length > 0),
    hasSteering: ({ context }) => context.steeringQueue.length > 0,
    hasToolResults: ({ context }) => (context.batch?.calls.length ?? 0) > 0,
    hasFollowUp: ({ context }) => context.followUpQueue.length > 0,
  },
  actions: {
    configure: assign(({ event }) => (event as Extract<AgentMachineEvent, { type: "agent.configure" }>).settings),
    replaceMessages: assign({ messages: ({ event }) => [...(event as { messages: AgentMessage[] }).messages] }),
    appendMessage: ({ context, event }) => {
      context.messages.push((event as { message: AgentMessage }).message);
    },
    reset: assign(() => ({ messages: [], steeringQueue: [], followUpQueue: [], error: undefined, usage: zeroUsage() })),
    queueSteering: ({ context, event }) => {
      context.steeringQueue.push((event as { message: AgentMessage }).message);
    },
    queueFollowUp: ({ context, event }) => {
      context.followUpQueue.push((event as { message: AgentMessage }).message);
    },
    clearQueues: enqueueActions(({ enqueue, event }) => {
      if (event.type !== "agent.clearQueues") return;
      if (event.steering) enqueue.assign({ steeringQueue: [] });
      if (event.followUp) enqueue.assign({ followUpQueue: [] });
    }),
    startRun: enqueueActions(({ enqueue, context, event }) => {
      const input = event.type === "agent.prompt" ? [...event.messages] : [...context.pendingInput];
      // Steering queued between runs joins the prompt before the first model call (as in pi-agent-core),
      // unless continue() already took queued messages as its input.
      const startsFresh = event.type === "agent.prompt" || (event.type === "agent.continue" && input.length === 0);
      if (startsFresh) input.push(...takeQueued(context.steeringQueue, context.steeringMode));
      enqueue.assign({
        once: context.once === null ? null : "running",
        runStart: context.messages.length,
        turn: 0,
        error: undefined,
        runEnd: null,
        batch: null,
        turnMessage: null,
        pendingInput: input,
      });
      enqueue.emit({ type: "agent_start" });
    }),
    startTurn: enqueueActions(({ enqueue, context }) => {
      const input = context.pendingInput;
      enqueue.assign({ turn: context.turn + 1, pendingInput: [], streamMessage: null, retry: null, batch: null, turnMessage: null });
      enqueue.emit({ type: "turn_start" });
      for (const message of input) {
        context.messages.push(message);
        enqueue.emit({ type: "message_start", message });
        enqueue.emit({ type: "message_end", message });
      }
    }),
    applyModelEvents: enqueueActions(({ enqueue, context, event, self }) => {
      if (event.type !== "model.events") return;
      const emitted: AgentEvent[] = [];
      const emit: Emit = (e) => emitted.push(e);
      let streamMessage = context.streamMessage;
      let started = streamMessage !== null;
      for (const streamEvent of event.events) {
        if (streamEvent.type === "retry") {
          enqueue.assign({ retry: { attempt: streamEvent.attempt, delayMs: streamEvent.delayMs, reason: streamEvent.reason } });
          continue;
        }
        if (isTerminal(streamEvent)) {
          const message = streamEvent.type === "done" ? streamEvent.message : streamEvent.error;
          concludeAssistant(context, message, started, emit, () => actorNow(self));
          streamMessage = null;
          break; // events after the terminal one are ignored
        }
        streamMessage = streamEvent.partial;
        if (!started) {
          started = true;
          emit({ type: "message_start", message: streamMessage });
        }
        if (streamEvent.type !== "start") {
          emit({ type: "message_update", message: streamMessage, assistantMessageEvent: streamEvent });
        }
      }
      enqueue.assign({ streamMessage, turnMessage: context.turnMessage, batch: context.batch, error: context.error });
      // Hot path: one action for the whole batch, still one emitted event per stream event (see emit-all.ts).
      enqueue(emitAll(emitted));
    }),
    failStream: enqueueActions(({ enqueue, context, event, self }) => {
      const emitted: AgentEvent[] = [];
      const reason =
        event.type === "agent.abort"
          ? ABORTED
          : "error" in event
            ? `Model call failed: ${(event as { error: unknown }).error instanceof Error ? ((event as { error: Error }).error.message) : String((event as { error: unknown }).error)}`
            : "The provider stream ended without a terminal done/error event.";
      const stopReason = event.type === "agent.abort" ? "aborted" : "error";
      const partial = context.streamMessage;
      const message = partial ?? stamped(syntheticAssistantMessage(context.model, stopReason, reason), actorNow(self));
      message.stopReason = stopReason;
      message.errorMessage = reason;
      concludeAssistant(context, message, partial !== null, (e) => emitted.push(e), () => actorNow(self));
      enqueue.assign({ streamMessage: null, turnMessage: context.turnMessage, batch: context.batch, error: context.error });
      for (const e of emitted) enqueue.emit(e);
    }),
    startTools: enqueueActions(({ enqueue, context }) => {
      const batch = context.batch!;
      const count = context.toolExecution === "sequential" ? 1 : batch.calls.length;
      const pending: PendingToolCall[] = batch.calls.map((call, index) => ({
        index,
        toolCallId: call.id,
        toolName: call.name,
        args: call.arguments,
        status: index < count ? "validating" : "queued",
      }));
      enqueue.assign({ pendingToolCalls: pending });
      for (let index = 0; index < count; index++) {
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
    markToolStatus: enqueueActions(({ enqueue, context, event }) => {
      const { index } = event as { index: number };
      const status = event.type === "tool.awaitingApproval" ? "awaitingApproval" : "running";
      enqueue.assign({ pendingToolCalls: withStatus(context.pendingToolCalls, index, status) });
    }),
    emitToolUpdate: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== "tool.update") return;
      const call = context.batch!.calls[event.index]!;
      const { index, partialResult } = event;
      enqueue.assign({ pendingToolCalls: context.pendingToolCalls.map((p) => (p.index === index ? { ...p, partialResult } : p)) });
      enqueue.emit({
        type: "tool_execution_update",
        toolCallId: call.id,
        toolName: call.name,
        args: call.arguments,
        partialResult: event.partialResult,
      });
    }),
    recordToolResult: enqueueActions(({ enqueue, context, event, self }) => {
      if (event.type !== "tool.done") return;
      // A finished call's actor would stay in `children` (holding its input, the transcript) until the agent stops.
      enqueue.stopChild(toolActorId(context, event.index));
      const batch = context.batch!;
      const call = batch.calls[event.index]!;
      if (batch.results[event.index]) return;
      batch.results[event.index] = stamped(toolResultMessage(call, event.result, event.isError), actorNow(self));
      if (event.result.terminate) batch.terminate = true;
      const emitted: AgentEvent[] = [
        { type: "tool_execution_end", toolCallId: call.id, toolName: call.name, result: event.result, isError: event.isError },
      ];
      announceResults(context, (e) => emitted.push(e));
      const runEnd = event.hookError && !context.runEnd ? { stopReason: "error" as const, errorMessage: event.hookError } : context.runEnd;
      enqueue.assign({
        batch,
        runEnd,
        pendingToolCalls: context.pendingToolCalls.filter((p) => p.index !== event.index),
      });
      for (const e of emitted) enqueue.emit(e);
    }),
    abortTools: enqueueActions(({ enqueue, context, self }) => {
      const batch = context.batch!;
      enqueue.assign({ runEnd: { stopReason: "aborted", errorMessage: ABORTED } });
      // Running calls answer for themselves (their actors report an aborted result);
      // calls never started are answered here.
      for (let index = 0; index < batch.started; index++) {
        if (!batch.results[index]) enqueue.sendTo(toolActorId(context, index), { type: "abort" });
      }
      const emitted: AgentEvent[] = [];
      answerUnstarted(context, "Tool execution was aborted before it started.", (e) => emitted.push(e), () => actorNow(self));
      for (const e of emitted) enqueue.emit(e);
    }),
    abortOtherTools: enqueueActions(({ enqueue, context }) => {
      // A throwing hook ends the run: the other calls of the batch (running or awaiting approval) are
      // aborted now rather than left to finish, so the run never waits on them.
      const batch = context.batch!;
      for (let index = 0; index < batch.started; index++) {
        if (!batch.results[index]) enqueue.sendTo(toolActorId(context, index), { type: "abort" });
      }
    }),
    skipUnstartedTools: enqueueActions(({ enqueue, context, self }) => {
      // Sequential calls after a throwing hook never start; they still need answers, or the batch never ends.
      const emitted: AgentEvent[] = [];
      answerUnstarted(context, "Tool call was not executed: the run ended with an error.", (e) => emitted.push(e), () => actorNow(self));
      enqueue.assign({ batch: context.batch });
      for (const e of emitted) enqueue.emit(e);
    }),
    emitTurnEnd: enqueueActions(({ enqueue, context }) => {
      const message = context.turnMessage!;
      const toolResults = (context.batch?.results ?? []).filter((r): r is ToolResultMessage => r !== undefined);
      enqueue.assign({ pendingToolCalls: [] });
      enqueue.emit({ type: "turn_end", message, toolResults });
    }),
    recordHookFailure: assign(({ event }) => {
      const error = (event as { error?: unknown }).error;
      return { runEnd: { stopReason: "error" as const, errorMessage: error instanceof Error ? error.message : String(error) } };
    }),
    forwardApproval: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== "agent.approve" && event.type !== "agent.reject") return;
      const call = waitingCall(context, event.toolCallId)!;
      enqueue.sendTo(
        toolActorId(context, call.index),
        event.type === "agent.approve" ? { type: "approve" } : { type: "reject", reason: event.reason },
      );
    }),
    markAbortAtBoundary: assign({ runEnd: () => ({ stopReason: "aborted" as const, errorMessage: ABORTED }) }),
    recordMissingModel: assign({ error: () => "No model set: pass { model } in the agent's input." }),
    recordTurnLimit: assign({
      error: ({ context }) => `Stopped after ${context.maxTurns} model calls (maxTurns). Call continue() to go on, or raise maxTurns.`,
    }),
    takeSteering: enqueueActions(({ enqueue, context }) => {
      enqueue.assign({ pendingInput: takeQueued(context.steeringQueue, context.steeringMode) });
    }),
    takeFollowUp: enqueueActions(({ enqueue, context }) => {
      enqueue.assign({ pendingInput: takeQueued(context.followUpQueue, context.followUpMode) });
    }),
    endRun: enqueueActions(({ enqueue, context, self }) => {
      let error = context.error;
      if (context.runEnd) {
        const message = stamped(
          syntheticAssistantMessage(context.model, context.runEnd.stopReason, context.runEnd.errorMessage),
          actorNow(self),
        );
        context.messages.push(message);
        error = context.runEnd.errorMessage;
        enqueue.emit({ type: "message_start", message });
        enqueue.emit({ type: "message_end", message });
      }
      enqueue.assign({ error, streamMessage: null, pendingToolCalls: [], batch: null, runEnd: null, retry: null });
      enqueue.emit({ type: "agent_end", messages: context.messages.slice(context.runStart) });
    }),
  },
}).createMachine({
  id: "agent",
  context: ({ input }) => initialContext(input),
  initial: "idle",
  output: ({ context }) => context.messages.slice(context.runStart),
  on: {
    "agent.configure": { actions: "configure" },
    "agent.steer": { actions: "queueSteering" },
    "agent.followUp": { actions: "queueFollowUp" },
    "agent.clearQueues": { actions: "clearQueues" },
  },
  states: {
    idle: {
      always: [
        { guard: "startsOnce", actions: "startRun", target: "streaming" },
        { guard: "ranOnce", target: "done" },
        { guard: "startsOnceWithoutModel", actions: "recordMissingModel", target: "done" },
      ],
      on: {
        "agent.prompt": { guard: "hasModel", actions: "startRun", target: "streaming" },
        // From an assistant message, continue() runs what is queued (as pi-agent-core does): steering first, then follow-ups.
        "agent.continue": [
          { guard: "continuesWithSteering", actions: ["takeSteering", "startRun"], target: "streaming" },
          { guard: "continuesWithFollowUp", actions: ["takeFollowUp", "startRun"], target: "streaming" },
          { guard: "hasModel", actions: "startRun", target: "streaming" },
        ],
        "agent.replaceMessages": { actions: "replaceMessages" },
        "agent.appendMessage": { actions: "appendMessage" },
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
        }),
        onDone: { actions: "failStream", target: "turnEnd" },
        onError: { actions: "failStream", target: "turnEnd" },
      },
      on: {
        "model.events": [
          { guard: "batchEndsWithToolCalls", actions: "applyModelEvents", target: "executingTools" },
          { guard: "batchEndsMessage", actions: "applyModelEvents", target: "turnEnd" },
          { actions: "applyModelEvents" },
        ],
        "agent.abort": { actions: "failStream", target: "turnEnd" },
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
        "tool.awaitingApproval": { actions: "markToolStatus" },
        "tool.running": { actions: "markToolStatus" },
        "tool.update": { actions: "emitToolUpdate" },
        "tool.done": [
          { guard: "isLastToolResult", actions: "recordToolResult", target: "turnEnd" },
          { guard: "sequentialRunEnds", actions: ["recordToolResult", "skipUnstartedTools"], target: "turnEnd" },
          { guard: "hookFailed", actions: ["recordToolResult", "abortOtherTools"] },
          { actions: ["recordToolResult", "startNextSequentialTool"] },
        ],
        "agent.approve": { guard: "isAwaitingApproval", actions: "forwardApproval" },
        "agent.reject": { guard: "isAwaitingApproval", actions: "forwardApproval" },
        "agent.abort": { actions: "abortTools" },
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
          { guard: "stopRequested", actions: "endRun", target: "idle" },
          { guard: "turnLimitReached", actions: ["recordTurnLimit", "endRun"], target: "idle" },
          { guard: "hasSteering", actions: "takeSteering", target: "streaming" },
          { guard: "hasToolResults", target: "streaming" },
          { guard: "hasFollowUp", actions: "takeFollowUp", target: "streaming" },
          { actions: "endRun", target: "idle" },
        ],
        onError: { actions: ["recordHookFailure", "endRun"], target: "idle" },
      },
      on: {
        "agent.abort": { actions: ["markAbortAtBoundary", "endRun"], target: "idle" },
      },
    },
  },
});

/** A running agent machine. */
export type AgentActor = ActorRefFrom<typeof agentMachine>;
