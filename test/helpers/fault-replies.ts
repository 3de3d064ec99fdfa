/**
 * Scripted model replies for fault tests and the soak (no vitest here, so
 * the soak script can use them too), and the real adapter with a fast retry.
 */
import { streamOpenAICompatible, type StreamFn } from "../../src/index.js";
import { chunk, sseBody } from "./openai-chunks.js";
import type { ScriptedResponse } from "./sse-server.js";

/** A tool call the scripted model makes; `args` is sent verbatim as the arguments text. */
export type ScriptedCall = { id: string; name: string; args: string };

/** A complete streamed text reply. */
export function textReply(text: string): ScriptedResponse {
  return { chunks: [sseBody(chunk({ role: "assistant", content: text }), chunk({}, "stop"))] };
}

/** A complete streamed reply that calls tools (finish_reason "tool_calls"). */
export function toolReply(...calls: ScriptedCall[]): ScriptedResponse {
  const deltas = calls.map((call, index) =>
    chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: call.args } }] }),
  );
  return { chunks: [sseBody(chunk({ role: "assistant", content: null }), ...deltas, chunk({}, "tool_calls"))] };
}

/** The real adapter with a 1 ms backoff base, so retry faults take milliseconds. */
export const fastRetryStream: StreamFn = (model, context, options) => streamOpenAICompatible(model, context, { ...options, retryBaseDelayMs: 1 });
