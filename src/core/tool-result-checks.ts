/**
 * The boundary of a tool call: what a tool's `execute`, `onUpdate`,
 * `beforeToolCall` and `afterToolCall` give back is checked here before it
 * can reach the transcript. A tool's bad result becomes an error result that
 * says what was wrong (the run goes on, as for a throwing tool); a hook's bad
 * answer is a hook failure (the run ends with an error, as for a throwing
 * hook). `content: "text"` is read as one text block. A final result's
 * `details` are made JSON-safe (a cycle would make `persist()` and recordings throw).
 */
import { jsonSafe } from "./json-safe.js";
import { BLOCK_TYPES, checkContent, describeValue, isRecord } from "./message-checks.js";
import { textResult } from "./tools.js";
import type { AgentToolResult, ImageContent, TextContent } from "./types.js";

const RESULT_SHAPE = '{ content: [{ type: "text", text: "…" }] }';

type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** `content` as a content array: a string becomes one text block; anything else must be well-formed. */
function resultContent(content: unknown, path: string): Checked<(TextContent | ImageContent)[]> {
  if (typeof content === "string") return { ok: true, value: [{ type: "text", text: content }] };
  const problem = checkContent(content, BLOCK_TYPES.toolResult, path);
  return problem ? { ok: false, problem } : { ok: true, value: content as (TextContent | ImageContent)[] };
}

/** `value` as a tool result, or the problem with it. Returns `value` itself when it is already well-formed. */
export function checkToolResult(value: unknown, path = "result"): Checked<AgentToolResult> {
  if (!isRecord(value)) return { ok: false, problem: `${path} is ${describeValue(value)}` };
  const content = resultContent(value.content, `${path}.content`);
  if (!content.ok) return content;
  if (value.terminate !== undefined && typeof value.terminate !== "boolean") {
    return { ok: false, problem: `${path}.terminate is ${describeValue(value.terminate)}, expected a boolean` };
  }
  return { ok: true, value: content.value === value.content ? (value as AgentToolResult) : { ...value, content: content.value } };
}

/** `result` with JSON-safe `details` (itself when they already are). */
function withSafeDetails(result: AgentToolResult): AgentToolResult {
  if (result.details === undefined) return result;
  const details = jsonSafe(result.details);
  return details === result.details ? result : { ...result, details };
}

/**
 * What a tool's `execute` resolved with, as the call's result: itself when
 * well-formed, else an error result naming the problem (a forgotten `return`
 * gives `undefined`).
 */
export function toolOutcome(toolName: string, value: unknown): { result: AgentToolResult; isError: boolean } {
  const checked = checkToolResult(value);
  if (checked.ok) {
    // A returned result's own `isError` (an MCP tool's, say) becomes the call's flag; it is not kept in the result.
    const own = withSafeDetails(checked.value) as AgentToolResult & { isError?: unknown };
    if (own.isError === undefined) return { result: own, isError: false };
    const { isError, ...result } = own;
    return { result, isError: isError === true };
  }
  return {
    isError: true,
    result: textResult(`Tool "${toolName}" returned an invalid result: ${checked.problem}. A tool must resolve with ${RESULT_SHAPE}.`),
  };
}

/** What `beforeToolCall` decided, once checked. */
export type BeforeDecision =
  | { kind: "run" }
  | { kind: "block"; reason: string }
  | { kind: "answer"; result: AgentToolResult; isError: boolean }
  | { kind: "invalid"; problem: string };

/** Reads a `beforeToolCall` answer: nothing, `{ block: true, reason }` or `{ result, isError? }`. */
export function checkBeforeToolCall(decision: unknown): BeforeDecision {
  if (decision === undefined || decision === null) return { kind: "run" };
  const expected = "return nothing, { block: true, reason } or { result: " + RESULT_SHAPE + " }";
  if (!isRecord(decision)) return { kind: "invalid", problem: `beforeToolCall hook returned ${describeValue(decision)}; ${expected}` };
  if (decision.block === true)
    return { kind: "block", reason: typeof decision.reason === "string" && decision.reason ? decision.reason : "Tool call was blocked." };
  if (!("result" in decision)) return { kind: "run" };
  const result = checkToolResult(decision.result, "result");
  if (!result.ok) return { kind: "invalid", problem: `beforeToolCall hook returned an invalid result: ${result.problem}; ${expected}` };
  return { kind: "answer", result: withSafeDetails(result.value), isError: decision.isError === true };
}

/** What `afterToolCall` changes, once checked: the fields to replace. */
export type AfterPatch = { ok: true; patch: Partial<AgentToolResult> & { isError?: boolean } } | { ok: false; problem: string };

/** Reads an `afterToolCall` answer: nothing, or `{ content?, details?, isError?, terminate? }`. */
export function checkAfterToolCall(answer: unknown): AfterPatch {
  if (answer === undefined || answer === null) return { ok: true, patch: {} };
  const expected = "return nothing or { content?, details?, isError?, terminate? }";
  if (!isRecord(answer)) return { ok: false, problem: `afterToolCall hook returned ${describeValue(answer)}; ${expected}` };
  const patch: Partial<AgentToolResult> & { isError?: boolean } = {};
  if (answer.content !== undefined) {
    const content = resultContent(answer.content, "content");
    if (!content.ok) return { ok: false, problem: `afterToolCall hook returned invalid content: ${content.problem}; ${expected}` };
    patch.content = content.value;
  }
  for (const key of ["isError", "terminate"] as const) {
    const value = answer[key];
    if (value === undefined) continue;
    if (typeof value !== "boolean") return { ok: false, problem: `afterToolCall hook returned ${key}: ${describeValue(value)}, expected a boolean` };
    patch[key] = value;
  }
  if (answer.details !== undefined) patch.details = jsonSafe(answer.details);
  return { ok: true, patch };
}
