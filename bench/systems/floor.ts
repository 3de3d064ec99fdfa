/**
 * The physical floor of a streaming client: fetch, eventsource-parser,
 * JSON.parse of each chunk and appending each delta to a string — nothing
 * else (no events, no message object, no partial-JSON of tool arguments).
 */
import { createParser, type EventSourceParser } from "eventsource-parser";
import type { Workload } from "../workloads.js";
import { rawRequest } from "./raw.js";
import { type BenchSystem, expectSame } from "./system.js";

type Chunk = { choices?: { delta?: { content?: string | null; tool_calls?: { index: number; function?: { arguments?: string } }[] } }[] };

/** Streams one turn the cheapest possible way; returns its text and tool-argument strings. */
export async function floorTurn(baseUrl: string, turnIndex: number): Promise<{ text: string; args: string[] }> {
  const response = await rawRequest(baseUrl, turnIndex);
  let text = "";
  const args: string[] = [];
  const parser = createParser({
    onEvent: ({ data }) => {
      if (data === "[DONE]") return;
      const delta = (JSON.parse(data) as Chunk).choices?.[0]?.delta;
      if (!delta) return;
      if (delta.content) text += delta.content;
      if (delta.tool_calls) for (const call of delta.tool_calls) args[call.index] = (args[call.index] ?? "") + (call.function?.arguments ?? "");
    },
  });
  await feedBody(response, parser);
  return { text, args };
}

/** Reads `response`'s body to the end, decoding each chunk and feeding it to `parser` (every floor's read loop). */
export async function feedBody(response: Response, parser: EventSourceParser): Promise<void> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}

/** The floor. */
export const floorSystem: BenchSystem = {
  id: "floor",
  label: "floor (fetch + eventsource-parser + JSON.parse + append)",
  concurrent: true,
  async run(baseUrl: string, workload: Workload) {
    for (const [t, turn] of workload.turns.entries()) {
      const { text, args } = await floorTurn(baseUrl, t);
      expectSame(`turn ${t} text`, text, turn.expect.text);
      expectSame(`turn ${t} arguments`, args.join("\n"), turn.expect.toolCalls.map((call) => call.arguments).join("\n"));
    }
  },
};
