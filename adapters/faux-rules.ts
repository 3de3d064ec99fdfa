/**
 * The rule-based faux "model" behind `fauxStream` and `startFauxServer()`:
 * deterministic, tiny, good enough for a demo.
 *
 * - Last message is a tool result → a text answer built from the results ("The sum is 5.").
 * - The user asks for arithmetic ("what is 2 + 3", "add 4 and 5", "sum of 1, 2, 3",
 *   "multiply 3 by 4") and a fitting tool is offered (`sum`/`add`, `multiply`/`product`,
 *   by name or description) → a call with the parsed numbers, after a short thinking block.
 * - The user asks for the time or date and a `get_time`/`clock`-like tool is offered → a call.
 * - Several asks in one prompt ("add 1 and 2, and what time is it?") → parallel calls.
 * - Otherwise → a friendly text reply that says what it understood.
 */
import type { Context, Message, ToolSpec } from "../src/core/types.js";
import type { FauxResponse, FauxToolCall } from "./faux-script.js";

type Ask = { kind: "sum" | "multiply"; numbers: number[] } | { kind: "time" };

const TOOL_PATTERNS = { sum: /\b(sum|add|plus|addition)/i, multiply: /(multipl|product|times)/i, time: /(time|clock|date|now)/i };

/** The rule-based reply to `context`. */
export function fauxRulesResponse(context: Context): FauxResponse {
  const last = context.messages[context.messages.length - 1];
  if (last?.role === "toolResult") return { text: answerFromResults(context.messages) };
  const text = lastUserText(context.messages);
  const asks = parseAsks(text);
  const calls: FauxToolCall[] = [];
  const unanswered: string[] = [];
  for (const ask of asks) {
    const tool = findTool(context.tools ?? [], ask.kind);
    if (tool) calls.push({ name: tool.name, arguments: ask.kind === "time" ? {} : numberArguments(tool, ask.numbers) });
    else if (ask.kind === "time") unanswered.push("I have no clock tool, so I cannot tell the time.");
    else unanswered.push(`${ask.numbers.join(ask.kind === "sum" ? " + " : " × ")} = ${compute(ask)} (worked out without a tool).`);
  }
  if (calls.length > 0) {
    const names = calls.map((call) => call.name).join(" and ");
    return { thinking: `The user asked for ${describe(asks)}; I will call ${names}.`, toolCalls: calls };
  }
  if (unanswered.length > 0) return { text: unanswered.join(" ") };
  const quoted = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return {
    text:
      `Hello! I am tinyagent's built-in faux model. I understood: "${quoted}". ` +
      "Ask me to add or multiply numbers, or for the time, and I will use the tools I am given.",
  };
}

/** Splits the prompt into clauses and reads each as an arithmetic or time request. */
function parseAsks(text: string): Ask[] {
  const asks: Ask[] = [];
  for (const clause of text.split(/[?;!]|\.\s|\band then\b|\balso\b|,\s*and\b/i)) {
    const numbers = (clause.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
    if (/\b(time|date|clock|today)\b/i.test(clause)) asks.push({ kind: "time" });
    else if (numbers.length >= 2 && /(\*|×|\btimes\b|multipl|product)/i.test(clause)) asks.push({ kind: "multiply", numbers });
    else if (numbers.length >= 2 && /(\+|\bplus\b|\badd\b|\bsum\b|\btotal\b|what is|what's)/i.test(clause)) asks.push({ kind: "sum", numbers });
  }
  return asks;
}

function findTool(tools: ToolSpec[], kind: Ask["kind"]): ToolSpec | undefined {
  const pattern = TOOL_PATTERNS[kind];
  return tools.find((tool) => pattern.test(tool.name)) ?? tools.find((tool) => pattern.test(tool.description));
}

/** Fits the numbers to the tool's schema: an array property gets them all, else number properties in order. */
function numberArguments(tool: ToolSpec, numbers: number[]): Record<string, unknown> {
  const properties = (tool.parameters.properties ?? {}) as Record<string, { type?: unknown }>;
  const entries = Object.entries(properties);
  const arrayKey = entries.find(([, schema]) => schema.type === "array")?.[0];
  if (arrayKey) return { [arrayKey]: numbers };
  const numberKeys = entries.filter(([, schema]) => schema.type === "number" || schema.type === "integer").map(([key]) => key);
  if (numberKeys.length === 0) return { numbers };
  return Object.fromEntries(numberKeys.map((key, i) => [key, numbers[i] ?? 0]));
}

/** A sentence per trailing tool result. */
function answerFromResults(messages: Message[]): string {
  const sentences: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== "toolResult") break;
    const text = message.content
      .map((block) => (block.type === "text" ? block.text : "[image]"))
      .join(" ")
      .trim();
    if (message.isError) sentences.unshift(`The ${message.toolName} tool failed: ${text}`);
    else if (/^-?\d+(\.\d+)?$/.test(text) && TOOL_PATTERNS.sum.test(message.toolName)) sentences.unshift(`The sum is ${text}.`);
    else if (/^-?\d+(\.\d+)?$/.test(text) && TOOL_PATTERNS.multiply.test(message.toolName)) sentences.unshift(`The product is ${text}.`);
    else if (TOOL_PATTERNS.time.test(message.toolName)) sentences.unshift(`The time is ${text}.`);
    else sentences.unshift(`${message.toolName} returned: ${text}`);
  }
  return sentences.join(" ");
}

function lastUserText(messages: Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== "user") continue;
    if (typeof message.content === "string") return message.content.trim();
    return message.content
      .map((block) => (block.type === "text" ? block.text : ""))
      .join(" ")
      .trim();
  }
  return "";
}

function compute(ask: Extract<Ask, { numbers: number[] }>): number {
  return ask.kind === "sum" ? ask.numbers.reduce((a, b) => a + b, 0) : ask.numbers.reduce((a, b) => a * b, 1);
}

function describe(asks: Ask[]): string {
  return asks.map((ask) => (ask.kind === "time" ? "the time" : `the ${ask.kind === "sum" ? "sum" : "product"} of ${ask.numbers.join(", ")}`)).join(" and ");
}
