/**
 * An agent as a tool of another agent (`agent.asTool(…)`). Each call runs
 * the agent's current settings (system prompt, model, tools, hooks) as a
 * fresh run-once actor, so calls are independent and may run in parallel.
 * The child's events reach the parent as `tool_execution_update`, its final
 * text is the tool result, and the tool's signal aborts the child.
 */
import { createActor, toPromise } from "xstate";
import { settingsOf, type AgentContext, type AgentSettings } from "../machines/agent.machine.js";
import { agentOptionsOf, type PromptInput } from "./agent-input.js";
import { agentLogic } from "./agent-logic.js";
import { errorText } from "./core/errors.js";
import { assistantText, lastAssistantMessage } from "./core/messages.js";
import type { AgentEvent, AgentMessage, AgentTool, AgentToolResult, JSONSchema, ToolParameters } from "./core/types.js";

/** Options of `agent.asTool(…)`. */
export type AgentAsToolOptions<TArgs = { prompt: string }> = {
  /** The tool name the parent model sees. */
  name: string;
  /** When the parent model should use this agent. */
  description: string;
  /** A human-readable name for UIs. */
  label?: string;
  /** The call's arguments (default: `{ prompt: string }`). */
  parameters?: ToolParameters<TArgs>;
  /** The child's prompt for a call (default: the `prompt` argument if it is a string, else the arguments as JSON). */
  toPrompt?: (args: TArgs) => PromptInput;
  /**
   * Decides the child's tool calls that need approval: true approves, false
   * or a string (the reason) rejects. Without it such calls are rejected, so a
   * sub-agent never waits for an approval nobody can give.
   */
  approve?: (request: { toolCallId: string; toolName: string; args: unknown }) => boolean | string | Promise<boolean | string>;
};

/** `details` of each `tool_execution_update` of an agent tool: the child's event. */
export type AgentToolUpdateDetails = { event: AgentEvent };

/** `details` of an agent tool's result: the child run's new messages. */
export type AgentToolResultDetails = { messages: AgentMessage[] };

const PROMPT_PARAMETERS: JSONSchema = {
  type: "object",
  properties: { prompt: { type: "string", description: "The task for this agent, in plain words." } },
  required: ["prompt"],
};

function defaultPrompt(args: unknown): PromptInput {
  const prompt = (args as { prompt?: unknown } | null)?.prompt;
  return typeof prompt === "string" ? prompt : JSON.stringify(args);
}

const NO_APPROVER = "this sub-agent has no approver: pass `approve` to asTool() to let its calls run.";

/** The child machine's answer to one approval request. */
async function decide(
  options: Pick<AgentAsToolOptions<never>, "approve">,
  call: { toolCallId: string; toolName: string; args: unknown },
): Promise<{ type: "agent.approve"; toolCallId: string } | { type: "agent.reject"; toolCallId: string; reason: string }> {
  const { toolCallId } = call;
  let answer: boolean | string;
  try {
    answer = options.approve ? await options.approve(call) : NO_APPROVER;
  } catch (error) {
    answer = `the approve hook threw: ${errorText(error)}`;
  }
  if (answer === true) return { type: "agent.approve", toolCallId };
  return { type: "agent.reject", toolCallId, reason: typeof answer === "string" ? answer : "not approved." };
}

/**
 * A tool that runs an agent, given a function returning that agent's current
 * machine context (its settings are read when a call starts).
 * @example
 * const researcher = new Agent({ model, systemPrompt: "You research." });
 * const lead = new Agent({ model, tools: [researcher.asTool({ name: "research", description: "Look things up" })] });
 */
export function agentAsTool<TArgs = { prompt: string }>(
  settings: () => AgentContext,
  options: AgentAsToolOptions<TArgs>,
): AgentTool<TArgs, AgentToolUpdateDetails | AgentToolResultDetails> {
  const toPrompt = options.toPrompt ?? defaultPrompt;
  const tool: AgentTool<TArgs, AgentToolUpdateDetails | AgentToolResultDetails> = {
    name: options.name,
    description: options.description,
    parameters: options.parameters ?? PROMPT_PARAMETERS,
    async execute(_toolCallId, args, signal, onUpdate) {
      // A run-once agentLogic actor: stopping it (finally, below) closes its run like any stopped agent.
      const childOptions = agentOptionsOf(settingsOf(settings()) as AgentSettings);
      const child = createActor(agentLogic, { input: { ...childOptions, messages: [], prompt: toPrompt(args) } });
      let text = "";
      // Listen before start: the run's first events go out as the actor starts.
      child.on("*", (event: AgentEvent) => {
        // From the deltas, not the (in-place updated) partial message, so each update shows its own moment.
        if (event.type === "message_start" && event.message.role === "assistant") text = "";
        if (event.type === "message_update" && event.assistantMessageEvent.type === "text_delta") text += event.assistantMessageEvent.delta;
        onUpdate({ content: [{ type: "text", text }], details: { event } });
      });
      const asked = new Set<string>();
      child.subscribe((snapshot) => {
        for (const call of snapshot.context.pendingToolCalls) {
          if (call.status !== "awaitingApproval" || asked.has(call.toolCallId)) continue;
          asked.add(call.toolCallId);
          void decide(options, call).then((decision) => {
            if (child.getSnapshot().status === "active") child.send(decision);
          });
        }
      });
      const abort = () => child.send({ type: "agent.abort" });
      signal?.addEventListener("abort", abort, { once: true });
      try {
        child.start();
        if (signal?.aborted) abort();
        const messages = (await toPromise(child)) as AgentMessage[];
        const last = lastAssistantMessage(messages);
        if (!last) throw new Error(child.getSnapshot().context.error ?? `Agent "${options.name}" produced no answer.`);
        if (last.stopReason === "error" || last.stopReason === "aborted") {
          throw new Error(`Agent "${options.name}" ${last.stopReason === "aborted" ? "was aborted" : "failed"}: ${last.errorMessage ?? "no reason given"}`);
        }
        const result: AgentToolResult<AgentToolResultDetails> = { content: [{ type: "text", text: assistantText(last) }], details: { messages } };
        return result;
      } finally {
        signal?.removeEventListener("abort", abort);
        child.stop();
      }
    },
  };
  if (options.label !== undefined) tool.label = options.label;
  return tool;
}
