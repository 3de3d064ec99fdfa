import { afterEach, describe, expect, it } from "vitest";
import { Agent, defineTool, openAICompatibleModel, streamOpenAICompatible, textResult } from "../src/index.js";
import { chunk, sseBody, usageChunk } from "./helpers/openai-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";
import { expectValidTranscript } from "./helpers/transcript.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const toolCall = (id: string, name: string, args: string) =>
  sseBody(
    chunk({ tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: args.slice(0, 4) } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(4) } }] }),
    chunk({}, "tool_calls"),
    usageChunk({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }),
  );

describe("the agent over HTTP", () => {
  it("runs two tool turns and a final answer through the real adapter", async () => {
    server = await startSseServer([
      { chunks: [toolCall("call_1", "sum", '{"a":2,"b":3}')], chunkDelayMs: 0 },
      { chunks: [toolCall("call_2", "sum", '{"a":5,"b":10}')], chunkDelayMs: 0 },
      { chunks: [sseBody(chunk({ content: "The total is " }), chunk({ content: "15." }), chunk({}, "stop"))] },
    ]);
    const sum = defineTool({
      name: "sum",
      description: "Adds a and b.",
      parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
      execute: async (_id, args: { a: number; b: number }) => textResult(String(args.a + args.b)),
    });
    const agent = new Agent({
      streamFn: streamOpenAICompatible,
      model: openAICompatibleModel({ id: "local", baseUrl: `${server.url}/v1` }),
      systemPrompt: "Use tools.",
      tools: [sum],
    });
    const final = await agent.prompt("What is 2 + 3 + 10?");
    expect(final).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "The total is 15." }] });
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "assistant", "toolResult", "assistant"]);
    expectValidTranscript(agent.state.messages);

    // The third request carries the whole conversation, tool results included.
    const third = server.requests[2]!.json() as { messages: unknown[]; tools: unknown[] };
    expect(third.messages).toEqual([
      { role: "system", content: "Use tools." },
      { role: "user", content: "What is 2 + 3 + 10?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "sum", arguments: '{"a":2,"b":3}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "5" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_2", type: "function", function: { name: "sum", arguments: '{"a":5,"b":10}' } }] },
      { role: "tool", tool_call_id: "call_2", content: "15" },
    ]);
    expect(third.tools).toHaveLength(1);
  });
});
