/**
 * Scripts of the faux model: what a scripted response is, how a script is
 * consumed, and how one response is cut into the deltas a real model would
 * stream. Shared by the in-process provider (`faux.ts`) and the loopback
 * OpenAI-compatible server (`faux-server.ts`), so both stream the same thing.
 */
import type { Context, Model, Usage } from "../src/core/types.js";

/** A tool call a scripted response makes. A string `arguments` is sent verbatim (even if it is not valid JSON). */
export type FauxToolCall = { name: string; arguments: Record<string, unknown> | string; id?: string };

/** Token counts a scripted response reports; missing ones are estimated (about 4 characters per token). */
export type FauxUsage = { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };

/**
 * One scripted model reply. Content streams in the order thinking, text, tool calls.
 * @example
 * const reply: FauxResponse = { text: "Let me add.", toolCalls: [{ name: "sum", arguments: { numbers: [2, 3] } }] };
 */
export type FauxResponse = {
  /** Visible text. */
  text?: string;
  /** A reasoning block streamed before the text. */
  thinking?: string;
  /** Tool calls; their arguments stream as JSON text in chunks. */
  toolCalls?: FauxToolCall[];
  usage?: FauxUsage;
  /** Default: "toolUse" when there are tool calls, else "stop". */
  stopReason?: "stop" | "length" | "toolUse";
  /** Ends the stream with a terminal error carrying this text, after any content. */
  error?: string;
  /**
   * Faux server only: the HTTP status it answers an `error` with when nothing
   * was streamed before it (default 400; 429/5xx let a client's retries be tested).
   * An `error` after content is sent as a mid-stream `{"error": …}` chunk instead.
   */
  status?: number;
  /** Characters per delta (default 4). */
  chunkSize?: number;
  /** Pause between deltas in ms (default 0: all deltas at once). */
  chunkDelayMs?: number;
  /** After `start`, wait for this before streaming the rest: lets a test abort mid-stream deterministically. */
  hold?: PromiseLike<unknown>;
};

/** Computes a reply from the request; `callIndex` counts calls from 0. */
export type FauxResponder = (context: Context, callIndex: number) => FauxResponse;

/** A list of replies consumed one per call, or one function answering every call. */
export type FauxScript = readonly (FauxResponse | FauxResponder)[] | FauxResponder;

/** One delta of a faux reply, in wire order. A tool call's first step carries its id and name. */
export type FauxStep =
  | { type: "thinking"; delta: string }
  | { type: "text"; delta: string }
  | { type: "toolCall"; index: number; id?: string; name?: string; arguments: string };

/** Hands out a script's replies in order; `next` throws (with a message for a person) when none is left. */
export type FauxScriptCursor = { next(context: Context): FauxResponse; readonly pending: number; readonly calls: number };

/** Starts reading `script` from its first reply. */
export function scriptCursor(script: FauxScript): FauxScriptCursor {
  let calls = 0;
  return {
    get pending() {
      return typeof script === "function" ? Infinity : Math.max(0, script.length - calls);
    },
    get calls() {
      return calls;
    },
    next(context) {
      const callIndex = calls++;
      if (typeof script === "function") return script(context, callIndex);
      const entry = script[callIndex];
      if (entry === undefined) {
        throw new Error(
          `Faux script exhausted: it has ${script.length} response(s) and this is call #${callIndex + 1}. ` +
            "Add a response to the script for every model call the test makes.",
        );
      }
      return typeof entry === "function" ? entry(context, callIndex) : entry;
    },
  };
}

/** Cuts `text` into pieces of `size` UTF-16 units without splitting a surrogate pair. */
export function chunkText(text: string, size: number): string[] {
  const step = Math.max(1, Math.floor(size));
  const chunks: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + step);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++;
    chunks.push(text.slice(at, end));
    at = end;
  }
  return chunks;
}

/** The deltas of one reply; `idFor(i)` names the i-th tool call when the script gave no id. */
export function fauxSteps(response: FauxResponse, chunkSize: number, idFor: (index: number) => string): FauxStep[] {
  const steps: FauxStep[] = [];
  for (const delta of chunkText(response.thinking ?? "", chunkSize)) steps.push({ type: "thinking", delta });
  for (const delta of chunkText(response.text ?? "", chunkSize)) steps.push({ type: "text", delta });
  (response.toolCalls ?? []).forEach((call, index) => {
    const json = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
    const [first = "", ...rest] = chunkText(json, chunkSize);
    steps.push({ type: "toolCall", index, id: call.id ?? idFor(index), name: call.name, arguments: first });
    for (const part of rest) steps.push({ type: "toolCall", index, arguments: part });
  });
  return steps;
}

/** The reply's stop reason, defaulted from its tool calls. */
export function fauxStopReason(response: FauxResponse): "stop" | "length" | "toolUse" {
  return response.stopReason ?? (response.toolCalls?.length ? "toolUse" : "stop");
}

/** Usage of a reply: given counts win, the rest is estimated; cost from `model.cost` ($ per million tokens). */
export function fauxUsage(response: FauxResponse, model: Model, context: Context): Usage {
  const given = response.usage ?? {};
  const input = given.input ?? estimateTokens(contextChars(context));
  const output = given.output ?? estimateTokens(responseChars(response));
  const cacheRead = given.cacheRead ?? 0;
  const cacheWrite = given.cacheWrite ?? 0;
  const price = model.cost ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  const cost = {
    input: (input * price.input) / 1e6,
    output: (output * price.output) / 1e6,
    cacheRead: (cacheRead * price.cacheRead) / 1e6,
    cacheWrite: (cacheWrite * price.cacheWrite) / 1e6,
    total: 0,
  };
  cost.total = cost.input + cost.output + cost.cacheRead + cost.cacheWrite;
  return { input, output, cacheRead, cacheWrite, totalTokens: input + output + cacheRead + cacheWrite, cost };
}

/** Tool calls already in the transcript: the rule-based model numbers its new calls after them. */
export function countToolCalls(context: Context): number {
  let count = 0;
  for (const message of context.messages) {
    if (message.role !== "assistant") continue;
    for (const block of message.content) if (block.type === "toolCall") count++;
  }
  return count;
}

function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function responseChars(response: FauxResponse): number {
  let chars = (response.text ?? "").length + (response.thinking ?? "").length;
  for (const call of response.toolCalls ?? []) {
    chars += call.name.length + (typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments)).length;
  }
  return chars;
}

function contextChars(context: Context): number {
  let chars = (context.systemPrompt ?? "").length;
  for (const tool of context.tools ?? []) chars += tool.name.length + tool.description.length;
  for (const message of context.messages) {
    if (typeof message.content === "string") {
      chars += message.content.length;
      continue;
    }
    for (const block of message.content) {
      if (block.type === "text") chars += block.text.length;
      else if (block.type === "thinking") chars += block.thinking.length;
      else if (block.type === "toolCall") chars += block.name.length + JSON.stringify(block.arguments).length;
      else chars += 1000; // an image: a rough flat price
    }
  }
  return chars;
}
