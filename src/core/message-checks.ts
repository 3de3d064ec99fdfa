/**
 * Checks of the messages and content blocks that users and providers hand
 * the agent, where they enter (a tool result, a stream's final message, a
 * prompt, a snapshot being restored). A check returns the problem in words
 * ("messages[3].content[1] is null") or undefined; its caller decides whether
 * that becomes an error result, an error message or an {@link AgentError}.
 * What can be fixed without losing anything (a missing or garbled usage) is
 * fixed instead of refused.
 */
import { zeroUsage } from "./messages.js";
import type { AgentMessage, AssistantMessage, Model, StopReason, Usage } from "./types.js";
import { errorText } from "./errors.js";
import { jsonSafe } from "./json-safe.js";

/** The block types each role's `content` may hold. */
export const BLOCK_TYPES = {
  user: ["text", "image"],
  toolResult: ["text", "image"],
  assistant: ["text", "thinking", "toolCall"],
} as const;

type BlockType = (typeof BLOCK_TYPES)[keyof typeof BLOCK_TYPES][number];

/** Stream events that carry a `partial` message (the others never do). */
export const PARTIAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  "start",
  "text_start",
  "text_delta",
  "text_end",
  "thinking_start",
  "thinking_delta",
  "thinking_end",
  "toolcall_start",
  "toolcall_delta",
  "toolcall_end",
]);

/** An object that is not an array (what a JSON object parses to). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object literal's kind (prototype Object.prototype or null): not a boxed `new String("")`, a Map or a class instance, which JSON writes as something else. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** A value in words, for problems: `null`, `a string ("hi")`, `an array`, `a number (NaN)`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case "number":
    case "boolean":
    case "bigint":
      return `a ${typeof value} (${String(value)})`;
    case "object": {
      const kind = Object.prototype.toString.call(value).slice(8, -1);
      return kind === "Object" ? "an object" : `an object of kind ${kind}`;
    }
    default:
      return `a ${typeof value}`;
  }
}

function stringField(record: Record<string, unknown>, key: string, path: string, optional = false): string | undefined {
  const value = record[key];
  if (typeof value === "string" || (optional && value === undefined)) return undefined;
  return `${path}.${key} is ${describeValue(value)}, expected a string`;
}

/** The problem with one content block, if any. */
export function checkBlock(block: unknown, allowed: readonly BlockType[], path: string): string | undefined {
  if (!isRecord(block)) return `${path} is ${describeValue(block)}, expected a content block`;
  const type = block.type as BlockType;
  if (!allowed.includes(type)) {
    return `${path} has type ${JSON.stringify(block.type) ?? "undefined"}, expected ${allowed.map((t) => `"${t}"`).join(" or ")}`;
  }
  switch (type) {
    case "text":
      return stringField(block, "text", path);
    case "image":
      return stringField(block, "data", path) ?? stringField(block, "mimeType", path);
    case "thinking":
      return stringField(block, "thinking", path) ?? stringField(block, "signature", path, true);
    case "toolCall":
      return (
        stringField(block, "id", path) ??
        stringField(block, "name", path) ??
        (isPlainObject(block.arguments) ? undefined : `${path}.arguments is ${describeValue(block.arguments)}, expected a plain object`)
      );
  }
}

/** The problem with a `content` array, if any: it must be an array of `allowed` blocks. */
export function checkContent(content: unknown, allowed: readonly BlockType[], path: string): string | undefined {
  if (!Array.isArray(content)) return `${path} is ${describeValue(content)}, expected an array of content blocks`;
  for (let index = 0; index < content.length; index++) {
    const problem = checkBlock(content[index], allowed, `${path}[${index}]`);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The problem with one transcript message, if any: an object with a string
 * `role`; user, assistant and tool-result messages with well-formed content.
 * Other roles are the app's own kinds (`CustomAgentMessages`) and pass.
 */
export function checkMessage(message: unknown, path: string): string | undefined {
  if (!isRecord(message)) return `${path} is ${describeValue(message)}, expected a message object`;
  const { role } = message;
  if (typeof role !== "string") return `${path}.role is ${describeValue(role)}, expected a string`;
  switch (role) {
    case "user":
      return typeof message.content === "string" ? undefined : checkContent(message.content, BLOCK_TYPES.user, `${path}.content`);
    case "assistant":
      return checkContent(message.content, BLOCK_TYPES.assistant, `${path}.content`);
    case "toolResult":
      return stringField(message, "toolCallId", path) ?? checkContent(message.content, BLOCK_TYPES.toolResult, `${path}.content`);
    default:
      return undefined;
  }
}

/** The first problem of a list of messages, if any (it must be an array of well-formed messages). */
export function checkMessages(messages: unknown, path: string): string | undefined {
  if (!Array.isArray(messages)) return `${path} is ${describeValue(messages)}, expected an array of messages`;
  for (let index = 0; index < messages.length; index++) {
    const problem = checkMessage(messages[index], `${path}[${index}]`);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Where well-formed `messages` break the transcript invariant, if they do:
 * every tool call of an assistant message answered by exactly one tool
 * result, in call order, before the next assistant or user message.
 */
export function checkTranscript(messages: readonly AgentMessage[], path: string): string | undefined {
  let open: string[] = [];
  let openAt = -1;
  for (const [index, message] of messages.entries()) {
    if (message.role === "assistant" || message.role === "user") {
      if (open.length > 0) {
        return `${path}[${openAt}] has tool call "${open[0]}" without a result before ${path}[${index}] (${message.role === "assistant" ? "an" : "a"} ${message.role} message)`;
      }
      if (message.role === "assistant") {
        open = message.content.flatMap((block) => (block.type === "toolCall" ? [block.id] : []));
        openAt = index;
      }
    } else if (message.role === "toolResult") {
      if (open[0] !== message.toolCallId) {
        return open.length > 0
          ? `${path}[${index}] answers tool call "${message.toolCallId}", but "${open[0]}" is next (results come in call order, one per call)`
          : `${path}[${index}] answers tool call "${message.toolCallId}", which no earlier assistant message left open`;
      }
      open.shift();
    }
  }
  return open.length > 0 ? `${path}[${openAt}] has tool call "${open[0]}" without a result` : undefined;
}

/** A token count or a price: a finite number >= 0 (a numeric string is read as its number), else undefined. */
function amount(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number >= 0 ? number : undefined;
}

const COUNTS = ["input", "output", "cacheRead", "cacheWrite"] as const;

function isCleanUsage(usage: unknown): usage is Usage {
  if (!isRecord(usage) || !isRecord(usage.cost)) return false;
  const cost = usage.cost;
  const clean = (value: unknown) => typeof value === "number" && amount(value) !== undefined;
  return COUNTS.every((key) => clean(usage[key]) && clean(cost[key])) && clean(usage.totalTokens) && clean(cost.total);
}

/**
 * A usage whose every number is finite and >= 0: `usage` itself when it
 * already is; else a copy where numeric strings become numbers, anything
 * else (missing, NaN, negative, text) becomes 0, and a bad total becomes the
 * sum of its parts. Totals summed from it stay numbers, and JSON keeps them.
 */
export function sanitizeUsage(usage: unknown): Usage {
  if (isCleanUsage(usage)) return usage;
  const given = isRecord(usage) ? usage : {};
  const givenCost = isRecord(given.cost) ? given.cost : {};
  const clean = zeroUsage();
  for (const key of COUNTS) {
    clean[key] = amount(given[key]) ?? 0;
    clean.cost[key] = amount(givenCost[key]) ?? 0;
  }
  clean.totalTokens = amount(given.totalTokens) ?? clean.input + clean.output + clean.cacheRead + clean.cacheWrite;
  clean.cost.total = amount(givenCost.total) ?? clean.cost.input + clean.cost.output + clean.cost.cacheRead + clean.cost.cacheWrite;
  return clean;
}

/**
 * A well-formed assistant message from `message` (whose `content` passed
 * {@link checkContent}): the same object when nothing needs fixing, else a
 * copy with `role`, the names of api/provider/model (from `model`), the
 * timestamp and `stopReason` filled in where missing, and usage sanitized.
 */
export function completeAssistantMessage(message: Record<string, unknown>, model: Model | undefined, stopReason: StopReason): AssistantMessage {
  const usage = sanitizeUsage(message.usage);
  const fixes: Partial<Record<keyof AssistantMessage, unknown>> = {};
  if (message.role !== "assistant") fixes.role = "assistant";
  if (typeof message.api !== "string") fixes.api = model?.api ?? "none";
  if (typeof message.provider !== "string") fixes.provider = model?.provider ?? "none";
  if (typeof message.model !== "string") fixes.model = model?.id ?? "none";
  if (usage !== message.usage) fixes.usage = usage;
  if (message.stopReason !== stopReason) fixes.stopReason = stopReason;
  if (message.errorMessage !== undefined && typeof message.errorMessage !== "string") fixes.errorMessage = errorText(message.errorMessage);
  if (typeof message.timestamp !== "number" || !Number.isFinite(message.timestamp)) fixes.timestamp = Date.now();
  return (Object.keys(fixes).length === 0 ? message : { ...message, ...fixes }) as AssistantMessage;
}

/**
 * A streamed message that ends unfinished (failed, aborted, interrupted):
 * `partial` with `stopReason` and `errorMessage`, keeping only its
 * well-formed content blocks, so whatever the stream sent, what enters the
 * transcript is a valid assistant message.
 */
export function endedMessage(partial: unknown, model: Model | undefined, stopReason: "error" | "aborted", errorMessage: string): AssistantMessage {
  // JSON-safe, as everything that enters the transcript: the next request and persist() write it.
  const source = isRecord(partial) ? jsonSafe(partial) : {};
  const content = Array.isArray(source.content) ? source.content : [];
  const kept = content.every((block, index) => checkBlock(block, BLOCK_TYPES.assistant, `content[${index}]`) === undefined)
    ? content
    : content.filter((block, index) => checkBlock(block, BLOCK_TYPES.assistant, `content[${index}]`) === undefined);
  return completeAssistantMessage({ ...source, content: kept, errorMessage }, model, stopReason);
}
