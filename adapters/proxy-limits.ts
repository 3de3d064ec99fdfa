/**
 * Bounds on what one proxy request may ask for, checked on the parsed JSON
 * before the schema runs: a body inside the byte limit can still hold 300k
 * tiny tools or blocks, which cost seconds of schema work and a many times
 * larger upstream body. The walk is iterative and stops at the first bound
 * passed, so a hostile body costs no more than reading it.
 */
import { HttpRejection } from "./proxy-policy.js";

/** Counts a proxy request may not exceed (see `ProxyServerOptions.limits`). */
export type ProxyRequestLimits = {
  /** Messages in `context.messages` (default 4,000). */
  maxMessages?: number;
  /** Content blocks over all messages (default 20,000). */
  maxContentBlocks?: number;
  /** Tools, from `context.tools` and every `toolsAdded` (default 512). */
  maxTools?: number;
  /** JSON values (objects, arrays, strings, numbers…) in all tool parameter schemas together (default 100,000). */
  maxSchemaNodes?: number;
  /** Nesting depth anywhere in the body (default 64). */
  maxDepth?: number;
  /** The largest `maxTokens` a client may ask for (default 1,048,576); a model's own `maxTokens`, when set, caps it further. */
  maxOutputTokens?: number;
};

/** The defaults of {@link ProxyRequestLimits}. */
export const DEFAULT_REQUEST_LIMITS: Required<ProxyRequestLimits> = {
  maxMessages: 4_000,
  maxContentBlocks: 20_000,
  maxTools: 512,
  maxSchemaNodes: 100_000,
  maxDepth: 64,
  maxOutputTokens: 1_048_576,
};

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
/** `counted` is the exact count, or undefined where counting stopped at the limit. */
const tooMany = (what: string, counted: number | undefined, limit: number, option: string) =>
  new HttpRejection(413, `The request has ${counted ?? `more than ${limit}`} ${what}; this proxy accepts at most ${limit} (limits.${option}).`, {
    limit: option,
  });

/** Throws an {@link HttpRejection} (400 for depth, 413 for counts) when `body` passes a bound. */
export function checkRequestLimits(body: unknown, limits: Required<ProxyRequestLimits>): void {
  checkDepth(body, limits.maxDepth);
  if (!isRecord(body) || !isRecord(body.context)) return; // the schema names what is missing
  const { context } = body;
  const messages = Array.isArray(context.messages) ? context.messages : [];
  if (messages.length > limits.maxMessages) throw tooMany("messages", messages.length, limits.maxMessages, "maxMessages");
  const tools: unknown[] = Array.isArray(context.tools) ? [...context.tools] : [];
  let blocks = 0;
  for (const message of messages) {
    if (!isRecord(message)) continue;
    if (Array.isArray(message.content)) blocks += message.content.length;
    if (isRecord(message.sections)) blocks += Object.keys(message.sections).length;
    for (const added of [message.toolsAdded, message.tools_added]) {
      if (!Array.isArray(added)) continue;
      if (tools.length + added.length > limits.maxTools) throw tooMany("tools", tools.length + added.length, limits.maxTools, "maxTools");
      tools.push(...added);
    }
    if (blocks > limits.maxContentBlocks) throw tooMany("content blocks", undefined, limits.maxContentBlocks, "maxContentBlocks");
  }
  if (tools.length > limits.maxTools) throw tooMany("tools", tools.length, limits.maxTools, "maxTools");
  let nodes = 0;
  for (const tool of tools) {
    if (!isRecord(tool)) continue;
    nodes = countNodes(tool.parameters, nodes, limits.maxSchemaNodes);
    if (nodes > limits.maxSchemaNodes) throw tooMany("values in tool parameter schemas", undefined, limits.maxSchemaNodes, "maxSchemaNodes");
  }
}

/** Refuses nesting deeper than `maxDepth` (a deep value overflows the stack of whatever serialises it later). */
function checkDepth(root: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth >= maxDepth) {
      throw new HttpRejection(400, `The request body is nested deeper than ${maxDepth} levels; flatten it (limits.maxDepth).`, { limit: "maxDepth" });
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
}

/** `start` plus the values in `value`, stopping once past `limit`. */
function countNodes(value: unknown, start: number, limit: number): number {
  let count = start;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count <= limit) {
    const next = stack.pop();
    count++;
    if (typeof next === "object" && next !== null) for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push(child);
  }
  return count;
}
