import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, anthropicModel, assistantText, defineTool, textResult, type Message } from "../src/index.js";
import { anthropicSse, messageEnd, messageStart, textBlock, thinkingBlock, toolUseBlock } from "./helpers/anthropic-events.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";
import { expectValidTranscript } from "./helpers/transcript.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const weather = defineTool({
  name: "get_weather",
  description: "The weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  execute: async (_id, args: { city: string }) => textResult(`${args.city}: 21 °C`),
});

type Body = { system: unknown; tools: Record<string, unknown>[]; messages: { role: string; content: Record<string, unknown>[] }[]; thinking?: unknown };

function cacheMarkers(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + cacheMarkers(v), 0);
  if (typeof value !== "object" || value === null) return 0;
  return Object.entries(value).reduce((n, [key, v]) => n + (key === "cache_control" ? 1 : cacheMarkers(v)), 0);
}

describe("the agent on Anthropic (default stream function, loopback server)", () => {
  it("runs a tool-call turn then a text turn; the second request pairs results with calls, replays the signed thinking, ≤ 4 cache markers", async () => {
    server = await startSseServer([
      {
        chunks: [
          anthropicSse(
            messageStart({ input_tokens: 400, output_tokens: 1, cache_creation_input_tokens: 1200 }),
            ...thinkingBlock(0, ["Two cities: ", "call the tool twice."], "EuYBCkQYAiJA-signature"),
            ...textBlock(1, "Checking both."),
            ...toolUseBlock(2, "toolu_01Oslo", "get_weather", '{"city":', '"Oslo"}'),
            ...toolUseBlock(3, "toolu_02Lima", "get_weather", '{"city":"Lima"}'),
            ...messageEnd("tool_use", { output_tokens: 90 }),
          ),
        ],
      },
      {
        chunks: [
          anthropicSse(
            messageStart({ input_tokens: 60, output_tokens: 1, cache_read_input_tokens: 1200, cache_creation_input_tokens: 500 }),
            ...textBlock(0, "Oslo and Lima are ", "both 21 °C."),
            ...messageEnd("end_turn", { output_tokens: 12 }),
          ),
        ],
      },
    ]);
    const agent = new Agent({
      model: anthropicModel("claude-sonnet-4-5", { baseUrl: server.url, reasoning: true, cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } }),
      streamOptions: { apiKey: "sk-ant-test", reasoning: "medium" },
      systemPrompt: "Use tools.",
      tools: [weather],
    });
    const final = await agent.prompt("Weather in Oslo and Lima?");
    expect(assistantText(final)).toBe("Oslo and Lima are both 21 °C.");
    expect(final).toMatchObject({ stopReason: "stop", usage: { input: 60, output: 12, cacheRead: 1200, cacheWrite: 500 } });
    expect(final.usage.cost.total).toBeCloseTo((60 * 3 + 12 * 15 + 1200 * 0.3 + 500 * 3.75) / 1e6, 12);
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "toolResult", "assistant"]);
    expectValidTranscript(agent.state.messages);

    const second = server.requests[1]!.json() as Body;
    expect(second.thinking).toEqual({ type: "enabled", budget_tokens: 8192 });
    expect(second.system).toEqual([{ type: "text", text: "Use tools.", cache_control: { type: "ephemeral" } }]);
    expect(second.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Oslo and Lima?" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Two cities: call the tool twice.", signature: "EuYBCkQYAiJA-signature" },
          { type: "text", text: "Checking both." },
          { type: "tool_use", id: "toolu_01Oslo", name: "get_weather", input: { city: "Oslo" } },
          { type: "tool_use", id: "toolu_02Lima", name: "get_weather", input: { city: "Lima" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01Oslo", content: [{ type: "text", text: "Oslo: 21 °C" }] },
          { type: "tool_result", tool_use_id: "toolu_02Lima", content: [{ type: "text", text: "Lima: 21 °C" }], cache_control: { type: "ephemeral" } },
        ],
      },
    ]);
    expect(cacheMarkers(second)).toBeLessThanOrEqual(4);
  });

  it("continues a transcript an OpenAI model made: its reasoning becomes text, its call ids are made valid, the results follow them", async () => {
    server = await startSseServer({ chunks: [anthropicSse(messageStart(), ...textBlock(0, "Still 21 °C."), ...messageEnd("end_turn"))] });
    const fcId = `call_Vx9|fc_${"a".repeat(80)}`;
    const openaiTurn: Message[] = [
      { role: "user", content: "Weather in Oslo?", timestamp: 1 },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Use the tool.", signature: "gAAAAB-encrypted-reasoning" },
          { type: "toolCall", id: fcId, name: "get_weather", arguments: { city: "Oslo" } },
        ],
        api: "openai-responses",
        provider: "openai",
        model: "gpt-5",
        usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
        stopReason: "toolUse",
        timestamp: 2,
      },
      { role: "toolResult", toolCallId: fcId, toolName: "get_weather", content: [{ type: "text", text: "Oslo: 21 °C" }], isError: false, timestamp: 3 },
      {
        role: "assistant",
        content: [{ type: "text", text: "21 °C." }],
        api: "openai-responses",
        provider: "openai",
        model: "gpt-5",
        usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
        stopReason: "stop",
        timestamp: 4,
      },
    ];
    const agent = new Agent({
      model: anthropicModel("claude-haiku-4-5", { baseUrl: server.url }),
      streamOptions: { apiKey: "k" },
      tools: [weather],
      messages: openaiTurn,
    });
    const final = await agent.prompt("And now?");
    expect(final.stopReason).toBe("stop");
    const body = server.requests[0]!.json() as Body;
    const toolUse = body.messages[1]!.content.find((b) => b.type === "tool_use")!;
    expect(toolUse.id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(body.messages[1]!.content[0]).toEqual({ type: "text", text: "Use the tool." });
    expect(body.messages[2]!.content[0]).toMatchObject({ type: "tool_result", tool_use_id: toolUse.id });
    expect(server.requests[0]!.body).not.toContain("gAAAAB");
    expectValidTranscript(agent.state.messages);
  });

  it("structured output through the agent: the JSON answer is the final text, with tools callable on the way", async () => {
    const schema = { type: "object", properties: { city: { type: "string" }, celsius: { type: "number" } }, required: ["city", "celsius"] };
    server = await startSseServer([
      { chunks: [anthropicSse(messageStart(), ...toolUseBlock(0, "toolu_1", "get_weather", '{"city":"Oslo"}'), ...messageEnd("tool_use"))] },
      { chunks: [anthropicSse(messageStart(), ...textBlock(0, '{"city":"Oslo",', '"celsius":21}'), ...messageEnd("end_turn"))] },
    ]);
    const agent = new Agent({
      model: anthropicModel("claude-sonnet-4-5", { baseUrl: server.url }),
      streamOptions: { apiKey: "k", output: { schema } },
      tools: [weather],
    });
    const final = await agent.prompt("Oslo weather as JSON");
    expect(JSON.parse(assistantText(final))).toEqual({ city: "Oslo", celsius: 21 });
    for (const request of server.requests) {
      const body = request.json() as Body & { output_config: unknown };
      expect(body.output_config).toEqual({ format: { type: "json_schema", schema: { ...schema, additionalProperties: false } } });
      expect(body.tools.map((t) => t.name)).toEqual(["get_weather"]);
    }
  });

  it("promptObject with tools: an invalid answer goes back for correction, the corrected JSON is the typed result", async () => {
    server = await startSseServer([
      { chunks: [anthropicSse(messageStart(), ...toolUseBlock(0, "toolu_1", "get_weather", '{"city":"Oslo"}'), ...messageEnd("tool_use"))] },
      { chunks: [anthropicSse(messageStart(), ...textBlock(0, '{"city":"Oslo","celsius":"21"}'), ...messageEnd("end_turn"))] },
      { chunks: [anthropicSse(messageStart(), ...textBlock(0, '{"city":"Oslo","celsius":21}'), ...messageEnd("end_turn"))] },
    ]);
    const agent = new Agent({ model: anthropicModel("claude-sonnet-4-5", { baseUrl: server.url }), streamOptions: { apiKey: "k" }, tools: [weather] });
    const forecast = await agent.promptObject("Oslo weather as JSON", z.object({ city: z.string(), celsius: z.number() }));
    expect(forecast).toEqual({ city: "Oslo", celsius: 21 });
    expect(server.requests).toHaveLength(3);
    const third = server.requests[2]!.json() as Body & { output_config: { format: { type: string; schema: Record<string, unknown> } } };
    expect(third.output_config.format.type).toBe("json_schema");
    expect(third.output_config.format.schema).toMatchObject({ type: "object", required: ["city", "celsius"], additionalProperties: false });
    expect(third.output_config.format.schema.$schema).toBeUndefined();
    // The correction is a user message after the invalid answer.
    expect(third.messages.at(-2)!.role).toBe("assistant");
    expect(third.messages.at(-1)).toMatchObject({ role: "user", content: [{ type: "text" }] });
    expectValidTranscript(agent.state.messages);
  });
});
