/**
 * The functional form of the loop, as TinyAgent (`agent_loop`,
 * `agent_loop_continue`) and pi-agent-core (`agentLoop`) offer it: one run as
 * a cold Observable of agent events, no Agent object. Subscribing starts the
 * run; unsubscribing aborts it (stream cancelled, tool signals aborted).
 */
import { Observable } from "rxjs";
import { createActor } from "xstate";
import type { AgentOptions } from "./agent-options.js";
import { agentLogic } from "./agent-logic.js";
import { promptMessages, type PromptInput } from "./agent-input.js";
import { AgentError } from "./core/errors.js";
import type { AgentEvent, AgentMessage } from "./core/types.js";

function runOnce(options: Omit<AgentOptions, "inspect">, prompt: AgentMessage[]): Observable<AgentEvent> {
  if (!options.model) throw new AgentError("no-model", "No model: pass { model } in the options of agentLoop()/agentLoopContinue().");
  return new Observable<AgentEvent>((subscriber) => {
    const actor = createActor(agentLogic, { input: { ...options, prompt } });
    actor.on("*", (event) => subscriber.next(event));
    actor.subscribe({ complete: () => subscriber.complete(), error: (error) => subscriber.error(error) });
    actor.start();
    return () => {
      if (actor.getSnapshot().status === "active") actor.send({ type: "agent.abort" });
      actor.stop();
    };
  });
}

/**
 * One run of `prompt` on `options.messages` (if any), as events: `agent_start` … `agent_end`.
 * @example
 * agentLoop("What is 2 + 3?", { model, tools: [sum] }).subscribe((event) => console.log(event.type));
 */
export function agentLoop(prompt: PromptInput, options: Omit<AgentOptions, "inspect">): Observable<AgentEvent> {
  return runOnce(options, promptMessages(prompt));
}

/**
 * One run continuing `options.messages`, which must end with a user or tool-result message.
 * @example
 * agentLoopContinue({ model, messages: transcript }).subscribe(render);
 */
export function agentLoopContinue(options: Omit<AgentOptions, "inspect"> & { messages: AgentMessage[] }): Observable<AgentEvent> {
  const last = options.messages.at(-1);
  if (!last) throw new AgentError("invalid-continue", "Nothing to continue: `messages` is empty. Use agentLoop(prompt, options).");
  if (last.role === "assistant") {
    throw new AgentError("invalid-continue", "Cannot continue from an assistant message: add a user message, or use agentLoop(prompt, options).");
  }
  return runOnce(options, []);
}
