/**
 * The lifecycle of one tool call, a child actor of the agent machine:
 * validating → awaitingApproval? → running → finishing → done | aborted.
 * Whatever happens it reports exactly one result to its parent (`tool.done`),
 * which is what keeps every tool call of a transcript answered.
 */
import { assign, fromPromise, sendParent, setup } from "xstate";
import { checkAfterToolCall, checkBeforeToolCall, checkToolResult, toolOutcome } from "../src/core/tool-result-checks.js";
import { textResult, validateToolArguments } from "../src/core/tools.js";
import type { AgentHooks, AgentMessage, AgentTool, AgentToolResult, ToolCall } from "../src/core/types.js";
import { errorText } from "../src/core/errors.js";

/**
 * The checkpoint barrier `Agent.open` sets: `"saved"` resolves once every
 * durable point so far is in the session store — a tool waits for it before
 * it executes (unless it has `replay: "safe"`), so no tool runs for a call a
 * restart would not know of; `"handedOver"` once a reopened session's agent is
 * in its caller's hands — model calls and a resumed run's answers wait for
 * that, so listeners see their events. Rejects when the session was lost.
 */
export type CheckpointBarrier = (until: "handedOver" | "saved") => Promise<void>;

/** What the agent machine gives each tool-call actor. */
export type ToolCallInput = {
  /** Position of the call in its assistant message. */
  index: number;
  toolCall: ToolCall;
  /** The tool named by the call, if there is one. */
  tool: AgentTool | undefined;
  /** Names of all tools, for the "not found" message. */
  toolNames: string[];
  /** The transcript so far (read-only for hooks). */
  messages: AgentMessage[];
  hooks: Pick<AgentHooks, "beforeToolCall" | "afterToolCall">;
  /** The agent's checkpoint barrier (see {@link CheckpointBarrier}). */
  checkpointed?: CheckpointBarrier;
  /** A resumed run's call that may have run already: answered at once with this error result. */
  interrupted?: AgentToolResult;
  /** A resumed run's call that was waiting for approval: it waits again (`beforeToolCall` passed it before the restart). */
  awaitsApproval?: boolean;
};

/** What a tool-call actor tells its parent. */
export type ToolCallParentEvent =
  | { type: "tool.awaitingApproval"; index: number }
  | { type: "tool.running"; index: number }
  | { type: "tool.update"; index: number; partialResult: AgentToolResult }
  | {
      type: "tool.done";
      index: number;
      result: AgentToolResult;
      isError: boolean;
      /** Set when a hook threw: the run must end with this error. */
      hookError?: string;
    };

type ToolCallContext = ToolCallInput & {
  /** Approved while still validating (a resumed call the agent already shows as waiting). */
  approved?: boolean;
  args: unknown;
  result: AgentToolResult;
  isError: boolean;
  hookError?: string;
};

type ToolCallEvent =
  | { type: "approve" }
  | { type: "reject"; reason?: string }
  /** `reason`: the result's text (the agent machine's close table says why). */
  | { type: "abort"; reason?: string }
  | { type: "update"; partialResult: AgentToolResult };

/** What validation decided: run the tool, ask for approval first, or answer without running. */
type Preparation = { kind: "run"; args: unknown; needsApproval: boolean } | { kind: "answer"; result: AgentToolResult; isError: boolean; hookError?: string };

async function prepare(input: ToolCallInput, signal: AbortSignal): Promise<Preparation> {
  const { tool, toolCall, hooks } = input;
  if (input.interrupted) {
    await input.checkpointed?.("handedOver"); // so the reopened agent's listeners see the answer
    return { kind: "answer", isError: true, result: input.interrupted };
  }
  if (!tool) {
    const available = input.toolNames.length ? input.toolNames.join(", ") : "none";
    return { kind: "answer", isError: true, result: textResult(`Tool "${toolCall.name}" not found. Available tools: ${available}.`) };
  }
  const check = await validateToolArguments(tool, toolCall.arguments, toolCall.invalidArguments);
  if (!check.ok) return { kind: "answer", isError: true, result: textResult(check.message) };
  if (input.awaitsApproval) return { kind: "run", args: check.args, needsApproval: true };
  if (hooks.beforeToolCall) {
    let decision;
    try {
      decision = await hooks.beforeToolCall({ toolCall, tool, args: check.args, messages: input.messages }, signal);
    } catch (error) {
      const hookError = `beforeToolCall hook threw: ${errorText(error)}`;
      return { kind: "answer", isError: true, result: textResult(hookError), hookError };
    }
    const checked = checkBeforeToolCall(decision);
    if (checked.kind === "block") return { kind: "answer", isError: true, result: textResult(checked.reason) };
    if (checked.kind === "answer") return { kind: "answer", isError: checked.isError, result: checked.result };
    if (checked.kind === "invalid") return { kind: "answer", isError: true, result: textResult(checked.problem), hookError: checked.problem };
  }
  const rule = tool.requiresApproval;
  let needsApproval = false;
  try {
    needsApproval = typeof rule === "function" ? rule(check.args) : rule === true;
  } catch (error) {
    return { kind: "answer", isError: true, result: textResult(`requiresApproval of tool "${tool.name}" threw: ${errorText(error)}`) };
  }
  return { kind: "run", args: check.args, needsApproval };
}

type Finished = { result: AgentToolResult; isError: boolean; hookError?: string };

/** A tool's `onUpdate`: a malformed progress report is dropped (it is not part of the transcript, but UIs read it). */
function reportProgress(self: { send(event: ToolCallEvent): void }, partial: unknown): void {
  const checked = checkToolResult(partial, "partial");
  if (checked.ok) self.send({ type: "update", partialResult: checked.value });
}

async function finish(context: ToolCallContext): Promise<Finished> {
  const { afterToolCall } = context.hooks;
  const own: Finished = { result: context.result, isError: context.isError, hookError: context.hookError };
  if (!afterToolCall || context.hookError) return own;
  try {
    const patch = await afterToolCall({
      toolCall: context.toolCall,
      tool: context.tool,
      args: context.args,
      result: context.result,
      isError: context.isError,
      messages: context.messages,
    });
    const checked = checkAfterToolCall(patch);
    if (!checked.ok) return { result: textResult(checked.problem), isError: true, hookError: checked.problem };
    const { isError, ...fields } = checked.patch;
    if (isError === undefined && Object.keys(fields).length === 0) return own;
    return { result: { ...context.result, ...fields }, isError: isError ?? context.isError };
  } catch (error) {
    const hookError = `afterToolCall hook threw: ${errorText(error)}`;
    return { result: textResult(hookError), isError: true, hookError };
  }
}

/** One tool call's lifecycle; see the module comment. */
export const toolCallMachine = setup({
  types: {
    input: {} as ToolCallInput,
    context: {} as ToolCallContext,
    events: {} as ToolCallEvent,
  },
  actors: {
    prepare: fromPromise<Preparation, ToolCallInput>(({ input, signal }) => prepare(input, signal)),
    // The tool's answer is checked here, before it can reach the transcript (see tool-result-checks.ts).
    execute: fromPromise<Finished, { context: ToolCallContext; onUpdate: (r: AgentToolResult) => void }>(async ({ input, signal }) => {
      const { tool, toolCall, args, checkpointed } = input.context;
      // Only once its call is in the store, so a restart knows it may have run; an idempotent tool need not wait.
      await checkpointed?.(tool!.replay === "safe" ? "handedOver" : "saved");
      return toolOutcome(tool!.name, await tool!.execute(toolCall.id, args, signal, input.onUpdate));
    }),
    finish: fromPromise<Finished, ToolCallContext>(({ input }) => finish(input)),
  },
  actions: {
    applyPreparation: assign((_, prep: Preparation) =>
      prep.kind === "run" ? { args: prep.args } : { result: prep.result, isError: prep.isError, hookError: prep.hookError },
    ),
    storeResult: assign((_, params: Finished) => ({ result: params.result, isError: params.isError })),
    storeThrow: assign((_, params: { error: unknown }) => ({ result: textResult(errorText(params.error)), isError: true })),
    storeRejection: assign(({ context }, params: { reason?: string }) => ({
      result: textResult(`The user rejected this call of "${context.toolCall.name}"${params.reason ? `: ${params.reason}` : "."}`),
      isError: true,
    })),
    storeTimeout: assign(({ context }) => ({
      result: textResult(`Tool "${context.toolCall.name}" timed out after ${context.tool?.timeoutMs} ms and was aborted.`),
      isError: true,
    })),
    storeAborted: assign((_, params: { reason?: string }) => ({ result: textResult(params.reason ?? "Tool execution was aborted."), isError: true })),
    storeFinished: assign((_, finished: Finished) => finished),
    storeApproval: assign({ approved: true }),
    reportAwaitingApproval: sendParent(({ context }) => ({ type: "tool.awaitingApproval", index: context.index })),
    reportRunning: sendParent(({ context }) => ({ type: "tool.running", index: context.index })),
    reportUpdate: sendParent(({ context }, params: { partialResult: AgentToolResult }) => ({
      type: "tool.update",
      index: context.index,
      partialResult: params.partialResult,
    })),
    reportDone: sendParent(({ context }) => ({
      type: "tool.done",
      index: context.index,
      result: context.result,
      isError: context.isError,
      hookError: context.hookError,
    })),
  },
  guards: {
    shouldRun: (_, prep: Preparation) => prep.kind === "run",
    needsApproval: (_, prep: Preparation) => prep.kind === "run" && prep.needsApproval,
    approvedEarly: ({ context }, prep: Preparation) => prep.kind === "run" && prep.needsApproval && context.approved === true,
    hasTimeout: ({ context }) => (context.tool?.timeoutMs ?? 0) > 0,
  },
  delays: {
    toolTimeout: ({ context }) => context.tool?.timeoutMs ?? 0,
  },
}).createMachine({
  id: "toolCall",
  // Keys first, then the input: `{ ...input, args, … }` would give every call's context a hidden class of its own on Node 20.
  context: ({ input }) => ({ args: input.toolCall.arguments, result: { content: [] }, isError: false, ...input }),
  initial: "validating",
  on: { abort: { actions: { type: "storeAborted", params: ({ event }) => ({ reason: event.reason }) }, target: ".aborted" } },
  states: {
    validating: {
      // A resumed call waiting for approval may get its answer before its arguments are checked again.
      on: {
        approve: { actions: "storeApproval" },
        reject: { actions: { type: "storeRejection", params: ({ event }) => ({ reason: event.reason }) }, target: "done" },
      },
      invoke: {
        src: "prepare",
        input: ({ context }) => context,
        onDone: [
          {
            guard: { type: "approvedEarly", params: ({ event }) => event.output },
            actions: { type: "applyPreparation", params: ({ event }) => event.output },
            target: "running",
          },
          {
            guard: { type: "needsApproval", params: ({ event }) => event.output },
            actions: { type: "applyPreparation", params: ({ event }) => event.output },
            target: "awaitingApproval",
          },
          {
            guard: { type: "shouldRun", params: ({ event }) => event.output },
            actions: { type: "applyPreparation", params: ({ event }) => event.output },
            target: "running",
          },
          { actions: { type: "applyPreparation", params: ({ event }) => event.output }, target: "done" },
        ],
        onError: { actions: { type: "storeThrow", params: ({ event }) => ({ error: event.error }) }, target: "done" },
      },
    },
    awaitingApproval: {
      entry: "reportAwaitingApproval",
      on: {
        approve: { target: "running" },
        reject: { actions: { type: "storeRejection", params: ({ event }) => ({ reason: event.reason }) }, target: "done" },
      },
    },
    running: {
      entry: "reportRunning",
      invoke: {
        src: "execute",
        input: ({ context, self }) => ({ context, onUpdate: (partial) => reportProgress(self, partial) }),
        onDone: { actions: { type: "storeResult", params: ({ event }) => event.output }, target: "finishing" },
        onError: { actions: { type: "storeThrow", params: ({ event }) => ({ error: event.error }) }, target: "finishing" },
      },
      on: { update: { actions: { type: "reportUpdate", params: ({ event }) => ({ partialResult: event.partialResult }) } } },
      initial: "checkingTimeout",
      states: {
        checkingTimeout: { always: [{ guard: "hasTimeout", target: "timed" }, { target: "untimed" }] },
        timed: { after: { toolTimeout: { actions: "storeTimeout", target: "#toolCall.finishing" } } },
        untimed: {},
      },
    },
    finishing: {
      invoke: {
        src: "finish",
        input: ({ context }) => context,
        onDone: { actions: { type: "storeFinished", params: ({ event }) => event.output }, target: "done" },
      },
    },
    done: { type: "final", entry: "reportDone" },
    aborted: { type: "final", entry: "reportDone" },
  },
});
