/**
 * The wire dialects the bench server speaks besides chat-completions: each
 * native provider's streaming body for a {@link TurnScript} (shaped like the
 * real API's, with the fields it sends), how many assistant turns a request
 * of that dialect carries, and the floor's one-chunk parse of its stream.
 */
import { anthropicSse, messageEnd, messageStart, textBlock, toolUseBlock } from "../test/helpers/anthropic-events.js";
import type { TurnScript } from "./workloads.js";

/** The dialects; "openai" is chat-completions (workloads.ts builds its bodies). */
export type Dialect = "openai" | "anthropic" | "responses" | "google";

const named = (event: { type: string } & Record<string, unknown>) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

function anthropicBody(script: TurnScript): string {
  const events: ({ type: string } & Record<string, unknown>)[] = [messageStart({ input_tokens: 120, output_tokens: 1 }, "claude-sonnet-4-5-20250929")];
  let index = 0;
  if (script.text.length) events.push(...textBlock(index++, ...script.text));
  for (const call of script.toolCalls) events.push(...toolUseBlock(index++, call.id, call.name, ...call.pieces));
  events.push(...messageEnd(script.toolCalls.length ? "tool_use" : "end_turn", { output_tokens: 900 }));
  return anthropicSse(...events);
}

function responsesBody(script: TurnScript): string {
  const out: string[] = [];
  let sequence = 0;
  const push = (event: { type: string } & Record<string, unknown>) => {
    const { type, ...rest } = event;
    out.push(named({ type, sequence_number: sequence++, ...rest }));
  };
  const response = (status: string, output: unknown[]) => ({
    id: "resp_68c1f0a2b4e08190a5c1d2e3f4a5b6c7",
    object: "response",
    created_at: 1_757_500_000,
    status,
    error: null,
    model: "gpt-5-mini-2025-08-07",
    output,
    usage:
      status === "completed"
        ? {
            input_tokens: 120,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 900,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 1020,
          }
        : null,
  });
  push({ type: "response.created", response: response("in_progress", []) });
  const output: unknown[] = [];
  let outputIndex = 0;
  if (script.text.length) {
    const item_id = "msg_68c1f0a2c0e48190b0e3f1c2d3e4f5a6";
    const output_index = outputIndex++;
    const text = script.text.join("");
    push({ type: "response.output_item.added", output_index, item: { id: item_id, type: "message", status: "in_progress", content: [], role: "assistant" } });
    push({ type: "response.content_part.added", item_id, output_index, content_index: 0, part: { type: "output_text", annotations: [], text: "" } });
    for (const delta of script.text)
      push({ type: "response.output_text.delta", item_id, output_index, content_index: 0, delta, logprobs: [], obfuscation: "Qm" });
    push({ type: "response.output_text.done", item_id, output_index, content_index: 0, text, logprobs: [] });
    const item = { id: item_id, type: "message", status: "completed", content: [{ type: "output_text", annotations: [], text }], role: "assistant" };
    output.push(item);
    push({ type: "response.output_item.done", output_index, item });
  }
  for (const call of script.toolCalls) {
    const item_id = `fc_${call.id}`;
    const output_index = outputIndex++;
    const args = call.pieces.join("");
    push({
      type: "response.output_item.added",
      output_index,
      item: { id: item_id, type: "function_call", status: "in_progress", arguments: "", call_id: call.id, name: call.name },
    });
    for (const delta of call.pieces) push({ type: "response.function_call_arguments.delta", item_id, output_index, delta, obfuscation: "Zq" });
    push({ type: "response.function_call_arguments.done", item_id, output_index, arguments: args });
    const item = { id: item_id, type: "function_call", status: "completed", arguments: args, call_id: call.id, name: call.name };
    output.push(item);
    push({ type: "response.output_item.done", output_index, item });
  }
  push({ type: "response.completed", response: response("completed", output) });
  return out.join("");
}

/** Gemini streams text in chunks and a function call whole (it has no argument deltas). */
function googleBody(script: TurnScript): string {
  const chunk = (parts: unknown[], last: boolean) =>
    `data: ${JSON.stringify({
      candidates: [{ content: { parts, role: "model" }, ...(last ? { finishReason: "STOP" } : {}), index: 0 }],
      ...(last ? { usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 900, totalTokenCount: 1020 } } : {}),
      modelVersion: "gemini-2.5-flash",
      responseId: "resp-bench-1",
    })}\r\n\r\n`;
  const out = script.text.map((text, i) => chunk([{ text }], i === script.text.length - 1 && script.toolCalls.length === 0));
  if (script.toolCalls.length) {
    out.push(
      chunk(
        script.toolCalls.map((call) => ({ functionCall: { id: call.id, name: call.name, args: JSON.parse(call.pieces.join("")) } })),
        true,
      ),
    );
  }
  return out.join("");
}

/** The streaming body of `script` in `dialect`. */
export function nativeBody(dialect: Exclude<Dialect, "openai">, script: TurnScript): Buffer {
  return Buffer.from(dialect === "anthropic" ? anthropicBody(script) : dialect === "responses" ? responsesBody(script) : googleBody(script));
}

type Item = { role?: string; type?: string };

/** How many assistant turns a request carries: the turn it asks for. */
export function requestTurns(dialect: Dialect, body: Record<string, unknown>): number {
  if (dialect === "google") return ((body.contents as Item[] | undefined) ?? []).filter((c) => c.role === "model").length;
  if (dialect === "responses") {
    // Consecutive assistant-side items (reasoning, message, function_call) are one turn.
    let turns = 0;
    let inTurn = false;
    for (const item of (body.input as Item[] | undefined) ?? []) {
      const assistant = item.type === "function_call" || item.type === "reasoning" || item.role === "assistant";
      if (assistant && !inTurn) turns++;
      inTurn = assistant;
    }
    return turns;
  }
  return ((body.messages as Item[] | undefined) ?? []).filter((m) => m.role === "assistant").length;
}

/** What the floor takes from one chunk of `dialect`'s stream: text appended, or argument text of call `index`. */
export type FloorSink = { text(delta: string): void; args(index: number, delta: string): void };

type Parsed = Record<string, unknown> & {
  type?: string;
  index?: number;
  output_index?: number;
  delta?: { type?: string; text?: string; partial_json?: string } | string;
  candidates?: { content?: { parts?: { text?: string; functionCall?: { args?: unknown } }[] } }[];
};

/** One `data:` payload of `dialect`, parsed and its deltas handed to `sink` (no events, no message). */
export function floorChunk(dialect: Exclude<Dialect, "openai">, data: string, sink: FloorSink, calls: Map<number, number>): void {
  const chunk = JSON.parse(data) as Parsed;
  if (dialect === "anthropic") {
    const delta = chunk.delta;
    if (chunk.type !== "content_block_delta" || typeof delta !== "object") return;
    if (delta.type === "text_delta") sink.text(delta.text!);
    else if (delta.type === "input_json_delta") sink.args(slot(calls, chunk.index!), delta.partial_json!);
  } else if (dialect === "responses") {
    if (chunk.type === "response.output_text.delta") sink.text(chunk.delta as string);
    else if (chunk.type === "response.function_call_arguments.delta") sink.args(slot(calls, chunk.output_index!), chunk.delta as string);
  } else {
    for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
      if (part.text) sink.text(part.text);
      if (part.functionCall) {
        sink.args(calls.size, JSON.stringify(part.functionCall.args ?? {}));
        calls.set(calls.size, calls.size);
      }
    }
  }
}

/** The n-th tool call seen, by the provider's block or output index. */
function slot(calls: Map<number, number>, key: number): number {
  let at = calls.get(key);
  if (at === undefined) calls.set(key, (at = calls.size));
  return at;
}
