/**
 * What every benchmarked system implements, and the checks that keep the
 * comparison honest: each run must reproduce the workload's exact text and
 * tool-call arguments, or it throws (a fast wrong answer is no result).
 */
import type { AssistantMessage, Message, ToolResultMessage } from "../../src/index.js";
import { BENCH_TOOL, type TurnExpectation, type Workload } from "../workloads.js";

/** The ids of the systems, in report order. */
export type SystemId =
  | "raw"
  | "floor"
  | "tinyagent-stream"
  | "tinyagent-agent"
  | "tinyagent-inspect"
  | "tinyagent-viewer"
  | "pi-ai"
  | "pi-agent"
  | "ai-sdk"
  | "anthropic-floor"
  | "anthropic-stream"
  | "responses-floor"
  | "responses-stream"
  | "google-floor"
  | "google-stream";

/** One benchmarked system. */
export type BenchSystem = {
  id: SystemId;
  label: string;
  /** Runs one conversation through all of the workload's turns; throws unless the output is exact. */
  run(baseUrl: string, workload: Workload): Promise<void>;
  /** Builds one idle agent (workload f); absent for systems without an agent object. */
  idleAgent?(baseUrl: string): unknown;
  /** True when the system takes part in workload (e) (concurrent agents). */
  concurrent: boolean;
};

/** The prompt every conversation starts with. */
export const PROMPT = "Write the files, then summarise.";
/** The system prompt of every agent. */
export const SYSTEM_PROMPT = "You are a benchmark model. Answer exactly as scripted.";
/** The model id every request names. */
export const MODEL_ID = "gpt-4o-2024-08-06";

/** Throws with both values when they differ. */
export function expectSame(what: string, actual: unknown, expected: unknown): void {
  if (actual === expected) return;
  const show = (v: unknown) => {
    const s = typeof v === "string" ? v : JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 80)}… (${s.length} chars)` : s;
  };
  throw new Error(`bench check failed: ${what}: got ${show(actual)}, expected ${show(expected)}`);
}

/** All text the workload's turns stream, in order. */
export function expectedText(workload: Workload): string {
  return workload.turns.map((turn) => turn.expect.text).join("");
}

/** Checks one assistant message (tinyagent's and pi-ai's share the shape) against a turn. */
export function checkAssistant(message: AssistantMessage | undefined, expect: TurnExpectation, where: string): void {
  if (!message) throw new Error(`bench check failed: ${where}: no assistant message`);
  expectSame(`${where} stopReason`, message.stopReason, expect.toolCalls.length ? "toolUse" : "stop");
  const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
  expectSame(`${where} text`, text, expect.text);
  const calls = message.content.filter((block) => block.type === "toolCall");
  expectSame(`${where} tool calls`, calls.length, expect.toolCalls.length);
  calls.forEach((call, i) => {
    const want = expect.toolCalls[i]!;
    expectSame(`${where} call ${i} id`, call.id, want.id);
    expectSame(`${where} call ${i} arguments`, JSON.stringify(call.arguments), want.arguments);
  });
}

/** Checks a whole agent transcript: the workload's history, user, then per turn the assistant message and its tool results. */
export function checkTranscript(messages: readonly { role: string }[], workload: Workload): void {
  let at = workload.history;
  expectSame("transcript[0] role", messages[at++]?.role, "user");
  workload.turns.forEach((turn, t) => {
    checkAssistant(messages[at++] as AssistantMessage | undefined, turn.expect, `turn ${t}`);
    for (const call of turn.expect.toolCalls) {
      const result = messages[at++] as ToolResultMessage | undefined;
      expectSame(`turn ${t} result role`, result?.role, "toolResult");
      expectSame(`turn ${t} result id`, result?.toolCallId, call.id);
      expectSame(`turn ${t} result error`, result?.isError, false);
    }
  });
  expectSame("transcript length", messages.length, at);
}

/**
 * The messages a stream-level system sends for turn `turnIndex`: the prompt,
 * then each earlier turn's assistant message and tool results (the server
 * picks the turn by counting assistant messages).
 */
export function conversationFor(workload: Workload, turnIndex: number): Message[] {
  const messages: Message[] = [{ role: "user", content: PROMPT, timestamp: 0 }];
  for (const turn of workload.turns.slice(0, turnIndex)) {
    const toolCalls = turn.expect.toolCalls.map((call) => ({
      type: "toolCall" as const,
      id: call.id,
      name: call.name,
      arguments: JSON.parse(call.arguments) as Record<string, unknown>,
    }));
    messages.push({
      role: "assistant",
      content: [...(turn.expect.text ? [{ type: "text" as const, text: turn.expect.text }] : []), ...toolCalls],
      api: "openai-completions",
      provider: "bench",
      model: MODEL_ID,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
      stopReason: toolCalls.length ? "toolUse" : "stop",
      timestamp: 0,
    });
    for (const call of toolCalls) {
      messages.push({
        role: "toolResult",
        toolCallId: call.id,
        toolName: call.name,
        content: [{ type: "text", text: BENCH_TOOL.resultText }],
        isError: false,
        timestamp: 0,
      });
    }
  }
  return messages;
}

/** The tool's JSON Schema (for systems that take one). */
export const TOOL_PARAMETERS = {
  type: "object",
  properties: { path: { type: "string" }, content: { type: "string" } },
  required: ["path", "content"],
} as const;
