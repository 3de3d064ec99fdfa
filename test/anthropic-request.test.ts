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
const weatherTool = { name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

describe("anthropic request: mapping", () => {
  it("system prompt, user text and images, tools from JSON Schema, sampling options, extraBody last", async () => {
    const body = await bodyOf(
      {
        systemPrompt: "You are terse.",
        messages: [user([{ type: "text", text: "What is this?" }, { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" }])],
        tools: [weatherTool],
      },
      { temperature: 0.2, topP: 0.9, stop: ["\n\nHuman:"], seed: 7, maxTokens: 1000, toolChoice: { name: "get_weather" }, cacheRetention: "none", extraBody: { metadata: { user_id: "u-1" }, top_k: 5 } },
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
    expect(headers).toMatchObject({ "x-api-key": "k", "anthropic-version": "2023-06-01", "anthropic-beta": "b", "x-team": "m", "content-type": "application/json" });
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
          { role: "toolResult", toolCallId: "toolu_1", toolName: "get_weather", content: [{ type: "text", text: "18°C" }, { type: "image", data: "AAAA", mimeType: "image/jpeg" }], isError: false, timestamp: 3 },
          { role: "toolResult", toolCallId: "toolu_2", toolName: "get_weather", content: [{ type: "text", text: "unknown city" }], isError: true, timestamp: 4 },
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
          { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "18°C" }, { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "AAAA" } }] },
          { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "unknown city" }], is_error: true },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
  });
});
