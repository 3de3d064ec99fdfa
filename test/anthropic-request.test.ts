import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicModel, streamAnthropic, type Context, type Message, type Model, type StreamOptions } from "../src/index.js";
import { anthropicTextBody } from "./helpers/anthropic-events.js";
import { allEvents, finalOf } from "./helpers/openai-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer;
beforeAll(async () => {
  server = await startSseServer({ chunks: [anthropicTextBody("ok")] });
});
afterAll(() => server.close());

/** Sends one call and returns the request body the server got. */
async function bodyOf(context: Context, options: StreamOptions = {}, model: Model = anthropicModel("claude-sonnet-4-5", { baseUrl: server.url })) {
  const before = server.requests.length;
  const message = finalOf(await allEvents(streamAnthropic(model, context, { apiKey: "k", maxRetries: 0, ...options })));
  expect(message.stopReason).toBe("stop");
  return server.requests[before]!.json() as Record<string, unknown> & { messages: { role: string; content: Record<string, unknown>[] }[] };
}

const user = (content: Message & { role: "user" } extends { content: infer C } ? C : never): Message => ({ role: "user", content, timestamp: 1 });
const weatherTool = {
  name: "get_weather",
  description: "Weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("anthropic request: mapping", () => {
  it("system prompt, user text and images, tools from JSON Schema, sampling options, extraBody last", async () => {
    const body = await bodyOf(
      {
        systemPrompt: "You are terse.",
        messages: [
          user([
            { type: "text", text: "What is this?" },
            { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
          ]),
        ],
        tools: [weatherTool],
      },
      {
        temperature: 0.2,
        topP: 0.9,
        stop: ["\n\nHuman:"],
        seed: 7,
        maxTokens: 1000,
        toolChoice: { name: "get_weather" },
        cacheRetention: "none",
        extraBody: { metadata: { user_id: "u-1" }, top_k: 5 },
      },
    );
    expect(body).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 1000,
      stream: true,
      system: [{ type: "text", text: "You are terse." }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          ],
        },
      ],
      tools: [{ name: "get_weather", description: "Weather of a city", input_schema: weatherTool.parameters }],
      tool_choice: { type: "tool", name: "get_weather" },
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ["\n\nHuman:"],
      metadata: { user_id: "u-1" },
      top_k: 5,
    });
  });

  it("toolChoice auto/none/required map to auto/none/any; no tool_choice without tools", async () => {
    const context = { messages: [user("Hi")], tools: [weatherTool] };
    expect((await bodyOf(context, { toolChoice: "auto" })).tool_choice).toEqual({ type: "auto" });
    expect((await bodyOf(context, { toolChoice: "none" })).tool_choice).toEqual({ type: "none" });
    expect((await bodyOf(context, { toolChoice: "required" })).tool_choice).toEqual({ type: "any" });
    expect((await bodyOf({ messages: [user("Hi")] }, { toolChoice: "required" })).tool_choice).toBeUndefined();
  });

  it("max_tokens: the options', else the model's, else the default", async () => {
    const model = anthropicModel("claude-sonnet-4-5", { baseUrl: server.url, maxTokens: 64_000 });
    expect((await bodyOf({ messages: [user("Hi")] }, {}, model)).max_tokens).toBe(64_000);
    expect((await bodyOf({ messages: [user("Hi")] }, { maxTokens: 10 }, model)).max_tokens).toBe(10);
    expect((await bodyOf({ messages: [user("Hi")] })).max_tokens).toBe(8192);
  });

  it("headers: the key and version, then the model's, then the call's", async () => {
    const model = anthropicModel("claude-sonnet-4-5", { baseUrl: `${server.url}/`, headers: { "anthropic-beta": "a", "x-team": "m" } });
    await bodyOf({ messages: [user("Hi")] }, { headers: { "anthropic-beta": "b" } }, model);
    const headers = server.requests.at(-1)!.headers;
    expect(headers).toMatchObject({
      "x-api-key": "k",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "b",
      "x-team": "m",
      "content-type": "application/json",
    });
  });

  it("a base URL ending in /v1 or in /v1/messages works too", async () => {
    for (const baseUrl of [`${server.url}/v1`, `${server.url}/v1/messages`]) {
      await bodyOf({ messages: [user("Hi")] }, {}, anthropicModel("claude-sonnet-4-5", { baseUrl }));
      expect(server.requests.at(-1)!.url).toBe("/v1/messages");
    }
  });

  it("tool results go in one user message after their calls, in call order, with is_error and images; empty text is left out", async () => {
    const body = await bodyOf(
      {
        messages: [
          user("Weather in Paris and Oslo?"),
          {
            role: "assistant",
            content: [
              { type: "text", text: "" },
              { type: "toolCall", id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } },
              { type: "toolCall", id: "toolu_2", name: "get_weather", arguments: { city: "Oslo" } },
            ],
            api: "anthropic-messages",
            provider: "anthropic",
            model: "claude-sonnet-4-5",
            usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
            stopReason: "toolUse",
            timestamp: 2,
          },
          {
            role: "toolResult",
            toolCallId: "toolu_1",
            toolName: "get_weather",
            content: [
              { type: "text", text: "18°C" },
              { type: "image", data: "AAAA", mimeType: "image/jpeg" },
            ],
            isError: false,
            timestamp: 3,
          },
          {
            role: "toolResult",
            toolCallId: "toolu_2",
            toolName: "get_weather",
            content: [{ type: "text", text: "unknown city" }],
            isError: true,
            timestamp: 4,
          },
          user("Thanks"),
        ],
      },
      { cacheRetention: "none" },
    );
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Oslo?" }] },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Oslo" } },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [
              { type: "text", text: "18°C" },
              { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "AAAA" } },
            ],
          },
          { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "unknown city" }], is_error: true },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
  });
});

const zero = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
const assistant = (content: (Message & { role: "assistant" })["content"], from: { api: string; provider: string; model: string }): Message => ({
  role: "assistant",
  content,
  ...from,
  usage: zero,
  stopReason: content.some((c) => c.type === "toolCall") ? "toolUse" : "stop",
  timestamp: 2,
});
const result = (toolCallId: string, text: string): Message => ({
  role: "toolResult",
  toolCallId,
  toolName: "get_weather",
  content: [{ type: "text", text }],
  isError: false,
  timestamp: 3,
});
const claude = { api: "anthropic-messages", provider: "anthropic", model: "claude-sonnet-4-5" };

/** Every cache_control marker in a request body. */
function cacheMarkers(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(cacheMarkers);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (key === "cache_control" ? [v] : cacheMarkers(v)));
}

describe("anthropic request: reasoning", () => {
  it("no level and 'off' send no thinking; a level sends its budget inside max_tokens and drops temperature", async () => {
    const context = { messages: [user("Hi")] };
    expect((await bodyOf(context, { temperature: 0.5 })).thinking).toBeUndefined();
    const off = await bodyOf(context, { reasoning: "off", temperature: 0.5 });
    expect(off.thinking).toBeUndefined();
    expect(off.temperature).toBe(0.5);
    const low = await bodyOf(context, { reasoning: "low", temperature: 0.5 });
    expect(low).toMatchObject({ thinking: { type: "enabled", budget_tokens: 2048 }, max_tokens: 8192 + 2048 });
    expect(low.temperature).toBeUndefined();
    const high = await bodyOf(context, { reasoning: "high", maxTokens: 10_000 });
    expect(high).toMatchObject({ thinking: { type: "enabled", budget_tokens: 8976 }, max_tokens: 10_000 });
    // A maxTokens too small for the minimum budget is raised so the answer keeps room.
    expect(await bodyOf(context, { reasoning: "minimal", maxTokens: 500 })).toMatchObject({ thinking: { budget_tokens: 1024 }, max_tokens: 2048 });
  });

  it("a forced tool (required or named) with a reasoning level sends no thinking, which Anthropic would refuse; auto keeps it", async () => {
    const context = { messages: [user("Weather in Paris?")], tools: [weatherTool] };
    const named = await bodyOf(context, { reasoning: "high", toolChoice: { name: "get_weather" }, temperature: 0.3 });
    expect(named).toMatchObject({ tool_choice: { type: "tool", name: "get_weather" }, max_tokens: 8192, temperature: 0.3 });
    expect(named.thinking).toBeUndefined();
    const opus = anthropicModel("claude-opus-4-6", { baseUrl: server.url });
    const required = await bodyOf(context, { reasoning: "medium", toolChoice: "required" }, opus);
    expect(required.tool_choice).toEqual({ type: "any" });
    expect(required.thinking).toBeUndefined();
    expect(required.output_config).toBeUndefined();
    expect(await bodyOf(context, { reasoning: "low", toolChoice: "auto" })).toMatchObject({
      tool_choice: { type: "auto" },
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
  });

  it("Claude 4.6 and later think adaptively with an effort; a model marked reasoning: false gets none", async () => {
    const opus = anthropicModel("claude-opus-4-6", { baseUrl: server.url });
    expect(await bodyOf({ messages: [user("Hi")] }, { reasoning: "medium" }, opus)).toMatchObject({
      thinking: { type: "adaptive" },
      output_config: { effort: "medium" },
      max_tokens: 8192,
    });
    const dated = anthropicModel("claude-sonnet-4-20250514", { baseUrl: server.url });
    expect((await bodyOf({ messages: [user("Hi")] }, { reasoning: "medium" }, dated)).thinking).toEqual({ type: "enabled", budget_tokens: 8192 });
    const plain = anthropicModel("claude-3-5-haiku-latest", { baseUrl: server.url, reasoning: false });
    expect((await bodyOf({ messages: [user("Hi")] }, { reasoning: "high" }, plain)).thinking).toBeUndefined();
  });
});

describe("anthropic request: prompt caching", () => {
  const context: Context = {
    systemPrompt: "Be brief.",
    tools: [weatherTool, { ...weatherTool, name: "get_time" }],
    messages: [
      user("Weather?"),
      assistant([{ type: "toolCall", id: "toolu_1", name: "get_weather", arguments: { city: "Oslo" } }], claude),
      result("toolu_1", "3°C"),
    ],
  };

  it('default "short": ephemeral breakpoints on the system prompt, the last tool and the last user message', async () => {
    const body = await bodyOf(context);
    const ephemeral = { type: "ephemeral" };
    expect(body.system).toEqual([{ type: "text", text: "Be brief.", cache_control: ephemeral }]);
    const tools = body.tools as Record<string, unknown>[];
    expect(tools[0]!.cache_control).toBeUndefined();
    expect(tools[1]!.cache_control).toEqual(ephemeral);
    expect(body.messages.at(-1)!.content.at(-1)).toEqual({
      type: "tool_result",
      tool_use_id: "toolu_1",
      content: [{ type: "text", text: "3°C" }],
      cache_control: ephemeral,
    });
    expect(cacheMarkers(body)).toHaveLength(3);
  });

  it('"long" uses the 1-hour TTL; "none" sends no marker', async () => {
    expect(cacheMarkers(await bodyOf(context, { cacheRetention: "long" }))).toEqual([
      { type: "ephemeral", ttl: "1h" },
      { type: "ephemeral", ttl: "1h" },
      { type: "ephemeral", ttl: "1h" },
    ]);
    expect(cacheMarkers(await bodyOf(context, { cacheRetention: "none" }))).toEqual([]);
  });

  it("a long transcript still has at most 4 markers", async () => {
    const messages: Message[] = [];
    for (let i = 0; i < 30; i++) {
      messages.push(
        user(`q${i}`),
        assistant([{ type: "toolCall", id: `toolu_${i}`, name: "get_weather", arguments: {} }], claude),
        result(`toolu_${i}`, `r${i}`),
      );
    }
    expect(cacheMarkers(await bodyOf({ ...context, messages })).length).toBeLessThanOrEqual(4);
  });
});

describe("anthropic request: continuation", () => {
  it("this model's thinking goes back signed (redacted too), before its tool calls", async () => {
    const body = await bodyOf({
      messages: [
        user("Weather?"),
        assistant(
          [
            { type: "thinking", thinking: "The user wants weather.", signature: "sig-1" },
            { type: "thinking", thinking: "", signature: "opaque", redacted: true },
            { type: "toolCall", id: "toolu_1", name: "get_weather", arguments: { city: "Oslo" } },
          ],
          claude,
        ),
        result("toolu_1", "3°C"),
      ],
    });
    expect(body.messages[1]!.content).toEqual([
      { type: "thinking", thinking: "The user wants weather.", signature: "sig-1" },
      { type: "redacted_thinking", data: "opaque" },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
    ]);
  });

  it("an OpenAI-made transcript: foreign thinking becomes text, foreign signatures and redacted thinking are dropped, tool-call ids made valid and their results remapped alike", async () => {
    const longId = `call_${"x".repeat(70)}|fc_0123`;
    const openai = { api: "openai-responses", provider: "openai", model: "gpt-5" };
    const body = await bodyOf(
      {
        messages: [
          user("Weather in Oslo and Rome?"),
          assistant(
            [
              { type: "thinking", thinking: "Two cities.", signature: "gAAAA-encrypted" },
              { type: "thinking", thinking: "", signature: "enc", redacted: true },
              { type: "text", text: "Checking both." },
              { type: "toolCall", id: longId, name: "get_weather", arguments: { city: "Oslo" }, signature: "fc_0123" },
              { type: "toolCall", id: "call.2", name: "get_weather", arguments: { city: "Rome" } },
            ],
            openai,
          ),
          result(longId, "3°C"),
          result("call.2", "21°C"),
          assistant([{ type: "text", text: "Oslo 3°C, Rome 21°C." }], openai),
          user("And tomorrow?"),
        ],
      },
      { cacheRetention: "none" },
    );
    const [, asked, answered] = body.messages;
    const ids = asked!.content.filter((b) => b.type === "tool_use").map((b) => b.id as string);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(new Set(ids).size).toBe(2);
    expect(asked!.content).toEqual([
      { type: "text", text: "Two cities." },
      { type: "text", text: "Checking both." },
      { type: "tool_use", id: ids[0], name: "get_weather", input: { city: "Oslo" } },
      { type: "tool_use", id: ids[1], name: "get_weather", input: { city: "Rome" } },
    ]);
    expect(answered!.content.map((b) => b.tool_use_id)).toEqual(ids);
    expect(JSON.stringify(body)).not.toContain("gAAAA-encrypted");
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
  });

  it("the same transcript from another Claude model sends no signatures (they only verify where they were made)", async () => {
    const body = await bodyOf({
      messages: [
        user("Hi"),
        assistant(
          [
            { type: "thinking", thinking: "Greeting.", signature: "sig-haiku" },
            { type: "text", text: "Hello!" },
          ],
          { ...claude, model: "claude-haiku-4-5" },
        ),
        user("Again"),
      ],
    });
    expect(body.messages[1]!.content).toEqual([
      { type: "text", text: "Greeting." },
      { type: "text", text: "Hello!" },
    ]);
  });
});

describe("anthropic request: structured output", () => {
  const schema = {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "array", items: { type: "object", properties: { t: { type: "number" } } } } },
    required: ["city"],
  };
  const strict = {
    type: "object",
    properties: {
      city: { type: "string" },
      days: { type: "array", items: { type: "object", properties: { t: { type: "number" } }, additionalProperties: false } },
    },
    required: ["city"],
    additionalProperties: false,
  };

  it("output goes as output_config.format json_schema, objects closed; without tools", async () => {
    const body = await bodyOf({ messages: [user("Forecast as JSON")] }, { output: { schema } });
    expect(body.output_config).toEqual({ format: { type: "json_schema", schema: strict } });
    expect(body.tools).toBeUndefined();
  });

  it("with tools and thinking: the tools stay callable, the format and the effort share output_config", async () => {
    const opus = anthropicModel("claude-opus-4-6", { baseUrl: server.url });
    const body = await bodyOf({ messages: [user("Forecast as JSON")], tools: [weatherTool] }, { output: { schema }, reasoning: "high" }, opus);
    expect(body.output_config).toEqual({ effort: "high", format: { type: "json_schema", schema: strict } });
    expect(body.tool_choice).toBeUndefined();
    expect((body.tools as unknown[]).length).toBe(1);
  });
});
