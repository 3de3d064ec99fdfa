import { afterEach, describe, expect, it } from "vitest";
import { anthropicModel, streamAnthropic, type Model } from "../src/index.js";
import { anthropicSse, anthropicTextBody, messageEnd, messageStart, textBlock, thinkingBlock, toolUseBlock } from "./helpers/anthropic-events.js";
import { allEvents, finalOf, types, userContext } from "./helpers/openai-chunks.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: Script, init: Parameters<typeof anthropicModel>[1] = {}): Promise<Model> {
  server = await startSseServer(script);
  return anthropicModel("claude-sonnet-4-5", { baseUrl: server.url, ...init });
}

const run = (model: Model, options: Parameters<typeof streamAnthropic>[2] = {}) =>
  allEvents(streamAnthropic(model, userContext("Hi"), { apiKey: "sk-ant-test", maxRetries: 0, ...options }));

describe("streamAnthropic: text", () => {
  it("streams text deltas into one block, with ping and usage, at /v1/messages with the key and version headers", async () => {
    const model = await serve({
      chunks: [anthropicSse(messageStart(), { type: "ping" }, ...textBlock(0, "Hello", "", ", wörld 👋"), ...messageEnd("end_turn"))],
    });
    const events = await run(model);
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_end", "done"]);
    const message = finalOf(events);
    expect(message).toMatchObject({
      role: "assistant",
      api: "anthropic-messages",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      stopReason: "stop",
      content: [{ type: "text", text: "Hello, wörld 👋" }],
    });
    const request = server!.requests[0]!;
    expect(request.url).toBe("/v1/messages");
    expect(request.headers["x-api-key"]).toBe("sk-ant-test");
    expect(request.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request.headers.authorization).toBeUndefined();
    expect(request.json()).toMatchObject({ model: "claude-sonnet-4-5", stream: true, max_tokens: 8192 });
  });

  it("keeps two text blocks apart, ignores a repeated message_start and blocks of kinds it does not map", async () => {
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          messageStart(),
          ...textBlock(0, "First."),
          { type: "content_block_start", index: 1, content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} } },
          { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"query":"x"}' } },
          { type: "content_block_stop", index: 1 },
          { type: "content_block_delta", index: 2, delta: { type: "citations_delta", citation: {} } },
          ...textBlock(2, "Second."),
          { type: "some_future_event" },
          ...messageEnd("end_turn"),
        ),
      ],
    });
    const message = finalOf(await run(model));
    expect(message.content).toEqual([
      { type: "text", text: "First." },
      { type: "text", text: "Second." },
    ]);
  });

  it("maps stop reasons: max_tokens is length, stop_sequence and pause_turn are stop, refusal is an error", async () => {
    const model = await serve([
      { chunks: [anthropicTextBody("cut", "max_tokens")] },
      { chunks: [anthropicTextBody("until", "stop_sequence")] },
      { chunks: [anthropicTextBody("paused", "pause_turn")] },
      { chunks: [anthropicTextBody("I can't", "refusal")] },
    ]);
    expect(finalOf(await run(model)).stopReason).toBe("length");
    expect(finalOf(await run(model)).stopReason).toBe("stop");
    expect(finalOf(await run(model)).stopReason).toBe("stop");
    const refused = finalOf(await run(model));
    expect(refused.stopReason).toBe("error");
    expect(refused.errorMessage).toMatchInlineSnapshot(`"The model declined to answer (stop_reason "refusal"); rephrase the request or use another model."`);
    expect(refused.content).toEqual([{ type: "text", text: "I can't" }]);
  });

  it("takes a whole JSON message when a gateway ignored stream: true", async () => {
    const body = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "x" } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    const model = await serve({ headers: { "content-type": "application/json" }, chunks: [JSON.stringify(body)] });
    const message = finalOf(await run(model));
    expect(message).toMatchObject({
      stopReason: "toolUse",
      content: [
        { type: "text", text: "Checking." },
        { type: "toolCall", id: "toolu_1", name: "lookup", arguments: { q: "x" } },
      ],
      usage: { input: 10, output: 5 },
    });
  });
});

describe("streamAnthropic: thinking", () => {
  it("keeps the signature on the thinking block, then the answer", async () => {
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          ...thinkingBlock(0, ["Let me think", " about 2+2."], "EqQBCkYIARgCKkD…sig=="),
          ...textBlock(1, "4"),
          ...messageEnd("end_turn"),
        ),
      ],
    });
    const events = await run(model, { reasoning: "low" });
    expect(types(events)).toEqual([
      "start",
      "thinking_start",
      "thinking_delta",
      "thinking_delta",
      "thinking_end",
      "text_start",
      "text_delta",
      "text_end",
      "done",
    ]);
    expect(finalOf(events).content).toEqual([
      { type: "thinking", thinking: "Let me think about 2+2.", signature: "EqQBCkYIARgCKkD…sig==" },
      { type: "text", text: "4" },
    ]);
  });

  it("keeps redacted thinking as a redacted block carrying its data", async () => {
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4a" } },
          { type: "content_block_stop", index: 0 },
          ...textBlock(1, "Done."),
          ...messageEnd("end_turn"),
        ),
      ],
    });
    const events = await run(model, { reasoning: "high" });
    expect(types(events)).toEqual(["start", "thinking_start", "thinking_end", "text_start", "text_delta", "text_end", "done"]);
    expect(finalOf(events).content).toEqual([
      { type: "thinking", thinking: "", signature: "EmwKAhgBEgy3va3pzix/LafPsn4a", redacted: true },
      { type: "text", text: "Done." },
    ]);
  });
});

describe("streamAnthropic: tool calls", () => {
  it("one call: arguments merged from input_json_delta pieces (an empty one included), toolcall_end at its block's stop", async () => {
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          ...textBlock(0, "Let me check."),
          ...toolUseBlock(1, "toolu_01A09q90qw90lq917835lq9", "get_weather", "", '{"location": "San', ' Francisco, CA", "unit": "fahrenheit"}'),
          ...messageEnd("tool_use"),
        ),
      ],
    });
    const events = await run(model);
    expect(types(events)).toEqual([
      "start",
      "text_start",
      "text_delta",
      "text_end",
      "toolcall_start",
      "toolcall_delta",
      "toolcall_delta",
      "toolcall_end",
      "done",
    ]);
    const message = finalOf(events);
    expect(message.stopReason).toBe("toolUse");
    expect(message.content[1]).toEqual({
      type: "toolCall",
      id: "toolu_01A09q90qw90lq917835lq9",
      name: "get_weather",
      arguments: { location: "San Francisco, CA", unit: "fahrenheit" },
    });
  });

  it("several calls in a row, each ended at its own stop; a call with no arguments gets {}", async () => {
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          ...toolUseBlock(0, "toolu_a", "read", '{"path":', '"/tmp/ä.txt"}'),
          ...toolUseBlock(1, "toolu_b", "list"),
          ...toolUseBlock(2, "toolu_c", "read", '{"path":"/etc/hosts"}'),
          ...messageEnd("tool_use"),
        ),
      ],
    });
    const events = await run(model);
    const ends = events.filter((e) => e.type === "toolcall_end").map((e) => (e.type === "toolcall_end" ? e.contentIndex : -1));
    expect(ends).toEqual([0, 1, 2]);
    expect(finalOf(events).content).toEqual([
      { type: "toolCall", id: "toolu_a", name: "read", arguments: { path: "/tmp/ä.txt" } },
      { type: "toolCall", id: "toolu_b", name: "list", arguments: {} },
      { type: "toolCall", id: "toolu_c", name: "read", arguments: { path: "/etc/hosts" } },
    ]);
  });

  it("arguments that are not JSON are kept as invalidArguments", async () => {
    const model = await serve({ chunks: [anthropicSse(messageStart(), ...toolUseBlock(0, "toolu_x", "read", '{"path": "/tm'), ...messageEnd("max_tokens"))] });
    const message = finalOf(await run(model));
    expect(message.stopReason).toBe("length");
    expect(message.content[0]).toMatchObject({ type: "toolCall", arguments: {}, invalidArguments: { raw: '{"path": "/tm' } });
  });
});

describe("streamAnthropic: usage and cost", () => {
  it("message_delta's usage replaces message_start's field by field; cache reads and writes are priced", async () => {
    const model = await serve(
      {
        chunks: [
          anthropicSse(
            messageStart({ input_tokens: 100, output_tokens: 1, cache_read_input_tokens: 2000, cache_creation_input_tokens: 500 }),
            ...textBlock(0, "ok"),
            ...messageEnd("end_turn", { output_tokens: 40, cache_read_input_tokens: 3000 }),
          ),
        ],
      },
      { cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } },
    );
    const { usage } = finalOf(await run(model));
    expect(usage).toMatchObject({ input: 100, output: 40, cacheRead: 3000, cacheWrite: 500, totalTokens: 3640 });
    expect(usage.cost.input).toBeCloseTo(0.0003, 10);
    expect(usage.cost.output).toBeCloseTo(0.0006, 10);
    expect(usage.cost.cacheRead).toBeCloseTo(0.0009, 10);
    expect(usage.cost.cacheWrite).toBeCloseTo(0.001875, 10);
    expect(usage.cost.total).toBeCloseTo(0.003675, 10);
  });
});
