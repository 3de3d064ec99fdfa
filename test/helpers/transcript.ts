/**
 * Shared assertions for agent tests: the transcript invariant (every tool
 * call answered exactly once, in call order, before the next assistant
 * message) and small helpers to record an agent's events.
 */
import { expect } from "vitest";
import type { Agent, AgentEvent, AgentMessage, AgentTool } from "../../src/index.js";

/** Fails unless every ToolCall is answered by exactly one ToolResultMessage, in call order, before the next assistant message. */
export function expectValidTranscript(messages: readonly AgentMessage[]): void {
  let expected: string[] = [];
  for (const [i, message] of messages.entries()) {
    if (message.role === "assistant") {
      expect(expected, `tool calls left unanswered before message ${i}`).toEqual([]);
      expected = message.content.filter((b) => b.type === "toolCall").map((b) => (b as { id: string }).id);
    } else if (message.role === "toolResult") {
      expect(message.toolCallId, `unexpected tool result at message ${i}`).toBe(expected[0]);
      expected.shift();
    } else if (message.role === "user") {
      expect(expected, `user message ${i} arrived before tool results`).toEqual([]);
    }
  }
  expect(expected, "tool calls left unanswered at the end").toEqual([]);
}

/** Records every event of an agent; `types()` lists their types. */
export function recordEvents(agent: Agent) {
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return {
    events,
    types: () => events.map((event) => event.type),
    /** Types without message_update noise. */
    outline: () => events.filter((e) => e.type !== "message_update").map((e) => e.type),
  };
}

/** A promise with its resolve/reject exposed, to control timing without clocks. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `predicate` holds, polling on macrotasks (at most ~2 s, then fails). */
export async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!predicate()) throw new Error(`until: condition never held: ${predicate.toString()}`);
}

/** A tool whose calls wait until released, recording their signals. */
export function gatedTool(name = "gate", extra: Partial<AgentTool> = {}) {
  const gate = deferred();
  const signals: AbortSignal[] = [];
  /** Tool call ids, in the order the calls started. */
  const started: string[] = [];
  const tool: AgentTool = {
    name,
    description: "waits for the gate",
    parameters: { type: "object", properties: {} },
    async execute(id, _args, signal) {
      started.push(id);
      signals.push(signal!);
      await Promise.race([gate.promise, new Promise((_, reject) => signal!.addEventListener("abort", () => reject(new Error("aborted"))))]);
      return { content: [{ type: "text", text: "released" }] };
    },
    ...extra,
  };
  return { tool, gate, signals, started };
}

/** A tool named "guarded" that needs approval and answers "ran". */
export function approvalTool(): AgentTool {
  return {
    name: "guarded",
    description: "needs approval",
    parameters: { type: "object", properties: {} },
    requiresApproval: true,
    execute: async () => ({ content: [{ type: "text", text: "ran" }] }),
  };
}
