/**
 * From the flat options users write (`new Agent(options)`, `agentLogic`'s
 * input) to the agent machine's input: hooks gathered, session id moved into
 * the stream options, the default provider filled in. One mapping, so an
 * agent built either way behaves the same.
 */
import { defaultStreamFn } from "./default-stream.js";
import { settingsOf, type AgentMachineInput, type AgentSettings } from "../machines/agent.machine.js";
import type { AgentOptions } from "./agent-options.js";
import { AgentError } from "./core/errors.js";
import { checkMessages } from "./core/message-checks.js";
import { userMessage } from "./core/messages.js";
import { checkTools } from "./core/tools.js";
import type { AgentHooks, AgentMessage, StreamOptions } from "./core/types.js";

const HOOK_NAMES = [
  "beforeToolCall",
  "afterToolCall",
  "shouldStopAfterTurn",
  "transformContext",
  "convertToLlm",
  "getApiKey",
] as const satisfies readonly (keyof AgentHooks)[];

/**
 * The agent machine's input for agent options (tools are checked first).
 * @example
 * const actor = createActor(agentMachine, { input: agentMachineInput({ model, tools: [sum] }) });
 */
export function agentMachineInput(options: Omit<AgentOptions, "inspect">): AgentMachineInput {
  if (options.tools) checkTools(options.tools);
  if (options.messages !== undefined) checkedMessages(options.messages, "messages");
  const hooks: AgentHooks = {};
  for (const name of HOOK_NAMES) if (options[name]) (hooks as Record<string, unknown>)[name] = options[name];
  const streamOptions: StreamOptions = { ...options.streamOptions };
  if (options.sessionId !== undefined) streamOptions.sessionId = options.sessionId;
  // Filled in rather than spread into a literal with more keys: on Node 20's V8 `{ ...a, b }` gives every object a
  // map of its own (~230 bytes per agent, kept as long as the actor).
  const input = settingsOf({ ...options, hooks, streamOptions }) as AgentMachineInput;
  input.streamFn = options.streamFn ?? defaultStreamFn;
  input.messages = options.messages;
  return input;
}

/** The flat options that give back `settings` (hooks spread out again): how `asTool` starts a child like its agent. */
export function agentOptionsOf(settings: AgentSettings): Omit<AgentOptions, "inspect"> {
  const { hooks, ...rest } = settings;
  return { ...hooks, ...rest };
}

/** What a prompt may be: text, one message, or several. */
export type PromptInput = string | AgentMessage | AgentMessage[];

/** The messages of a prompt; throws {@link AgentError} for anything that is not text or well-formed messages. */
export function promptMessages(input: PromptInput): AgentMessage[] {
  if (typeof input === "string") return [userMessage(input)];
  const messages = Array.isArray(input) ? input : [input];
  for (const message of messages) {
    if (!message || typeof message !== "object" || typeof (message as { role?: unknown }).role !== "string") {
      throw new AgentError("invalid-input", `A prompt is a string, a message with a "role", or an array of them; got ${String(message)}.`);
    }
  }
  return checkedMessages(messages, "prompt");
}

/**
 * `messages` when each is well-formed (see core/message-checks.ts), so
 * nothing malformed enters the transcript; else throws {@link AgentError}
 * naming the first problem. `what` names the input in the error.
 */
export function checkedMessages<TMessages>(messages: TMessages, what: string): TMessages {
  const problem = checkMessages(messages, what);
  if (problem) {
    throw new AgentError(
      "invalid-input",
      `Invalid ${what}: ${problem}. Messages are { role: "user", content: string | (text | image blocks)[] }, assistant messages with a content array, tool results with toolCallId and a content array, or your own kinds with a string role.`,
    );
  }
  return messages;
}
