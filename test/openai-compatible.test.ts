import { afterEach, describe, expect, it, vi } from "vitest";
import {
  collectOpenAICompletions,
  openAICompatibleModel,
  openAICompletionsStream,
  streamOpenAICompatible,
  type Context,
  type Model,
  type ToolCall,
} from "../src/index.js";
import { allEvents, chunk, finalOf, sseBody, types, usageChunk, userContext } from "./helpers/openai-chunks.js";
import { type ScriptedResponse, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.unstubAllEnvs();
});

async function serve(response: ScriptedResponse): Promise<Model> {
  server = await startSseServer(response);
  return openAICompatibleModel({ id: "test-model", baseUrl: `${server.url}/v1` });
}

const textBody = sseBody(chunk({ role: "assistant", content: "" }), chunk({ content: "Hel" }), chunk({ content: "lo" }), chunk({}, "stop"));

describe("request", () => {
  it("maps system prompt, user text and images, assistant tool calls, tool results with images, tools and options", async () => {
    const model = { ...(await serve({ chunks: [textBody] })), headers: { "x-model": "m", "x-both": "model" } };
    const context: Context = {
      systemPrompt: "Be brief.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is here?" },
            { type: "image", data: "aGk=", mimeType: "image/png" },
          ],
          timestamp: 1,
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hidden" },
            { type: "text", text: "Let me look." },
            { type: "toolCall", id: "call_1", name: "look", arguments: { at: "a" } },
            { type: "toolCall", id: "call_2", name: "snap", arguments: {} },
          ],
          api: "openai-completions",
          provider: "openai-compatible",
          model: "test-model",
          usage: emptyUsage(),
          stopReason: "toolUse",
          timestamp: 2,
        },
        { role: "toolResult", toolCallId: "call_1", toolName: "look", content: [{ type: "text", text: "a cat" }], isError: false, timestamp: 3 },
        {
          role: "toolResult",
          toolCallId: "call_2",
          toolName: "snap",
          content: [{ type: "image", data: "AAA=", mimeType: "image/jpeg" }],
          isError: false,
          timestamp: 4,
        },
        { role: "user", content: "Thanks", timestamp: 5 },
      ],
      tools: [{ name: "look", description: "Looks.", parameters: { type: "object", properties: { at: { type: "string" } } } }],
    };
    await allEvents(streamOpenAICompatible(model, context, { apiKey: "sk-test", temperature: 0.2, maxTokens: 99, headers: { "x-both": "options" } }));
    const req = server!.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-test");
    expect(req.headers["x-model"]).toBe("m");
    expect(req.headers["x-both"]).toBe("options");
    expect(req.json()).toEqual({
      model: "test-model",
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 99,
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is here?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,aGk=" } },
          ],
        },
        {
          role: "assistant",
          content: "Let me look.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "look", arguments: '{"at":"a"}' } },
            { id: "call_2", type: "function", function: { name: "snap", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "a cat" },
        { role: "tool", tool_call_id: "call_2", content: "(the result is the image in the next message)" },
        {
          role: "user",
          content: [
            { type: "text", text: "Images returned by the tools above:" },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAA=" } },
          ],
        },
        { role: "user", content: "Thanks" },
      ],
      tools: [{ type: "function", function: { name: "look", description: "Looks.", parameters: { type: "object", properties: { at: { type: "string" } } } } }],
    });
  });

  it("sends unparseable tool-call arguments back as the model wrote them", async () => {
    const model = await serve({ chunks: [textBody] });
    const context: Context = {
      messages: [
        { role: "user", content: "go", timestamp: 1 },
        {
          role: "assistant",
          content: [{ type: "toolCall", id: "call_1", name: "look", arguments: {}, invalidArguments: { raw: '{"at": "a', error: "Unterminated string" } }],
          api: "openai-completions",
          provider: "openai-compatible",
          model: "test-model",
          usage: emptyUsage(),
          stopReason: "toolUse",
          timestamp: 2,
        },
        { role: "toolResult", toolCallId: "call_1", toolName: "look", content: [{ type: "text", text: "bad JSON" }], isError: true, timestamp: 3 },
      ],
    };
    await allEvents(streamOpenAICompatible(model, context));
    const sent = server!.requests[0]!.json() as { messages: { tool_calls?: { function: { arguments: string } }[] }[] };
    expect(sent.messages[1]?.tool_calls?.[0]?.function.arguments).toBe('{"at": "a');
  });

  it("accepts the API root or the full /chat/completions URL as baseUrl", async () => {
    server = await startSseServer({ chunks: [textBody] });
    for (const baseUrl of [`${server.url}/v1`, `${server.url}/v1/`, `${server.url}/v1/chat/completions`]) {
      const events = await allEvents(streamOpenAICompatible(openAICompatibleModel({ id: "m", baseUrl }), userContext()));
      expect(finalOf(events).stopReason).toBe("stop");
    }
    expect(server.requests.map((r) => r.url)).toEqual(["/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions"]);
  });

  it("reads OPENAI_API_KEY for provider openai and sends no key for other providers", async () => {
    vi.stubEnv("OPENAI_API_KEY", "sk-env");
    const model = await serve({ chunks: [textBody] });
    await allEvents(streamOpenAICompatible({ ...model, provider: "openai" }, userContext()));
    await allEvents(streamOpenAICompatible(model, userContext()));
    await allEvents(streamOpenAICompatible(model, userContext(), { apiKey: "sk-option" }));
    expect(server!.requests.map((r) => r.headers.authorization)).toEqual(["Bearer sk-env", undefined, "Bearer sk-option"]);
  });

  it("openAICompatibleModel's provider defaults from the host, so api.openai.com and openrouter.ai read their env keys", () => {
    const provider = (baseUrl: string, given?: string) => openAICompatibleModel({ id: "m", baseUrl, provider: given }).provider;
    expect(provider("https://api.openai.com/v1")).toBe("openai");
    expect(provider("https://api.openai.com/v1/chat/completions")).toBe("openai");
    expect(provider("https://openrouter.ai/api/v1")).toBe("openrouter");
    expect(provider("http://127.0.0.1:11434/v1")).toBe("openai-compatible");
    expect(provider("not a url")).toBe("openai-compatible");
    expect(provider("https://api.openai.com/v1", "azure")).toBe("azure");
  });
});

describe("response", () => {
  it("streams text as start, text_start, deltas, text_end and done", async () => {
    const model = await serve({ chunks: [textBody] });
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_end", "done"]);
    expect(events.filter((e) => e.type === "text_delta").map((e) => (e as { delta: string }).delta)).toEqual(["Hel", "lo"]);
    expect(events[4]).toMatchObject({ type: "text_end", contentIndex: 0, content: "Hello" });
    const message = finalOf(events);
    expect(message).toMatchObject({
      role: "assistant",
      content: [{ type: "text", text: "Hello" }],
      stopReason: "stop",
      api: "openai-completions",
      provider: "openai-compatible",
      model: "test-model",
    });
    expect(events.at(-1)).toMatchObject({ type: "done", reason: "stop" });
  });

  it("maps reasoning_content, reasoning and reasoning_details to thinking without counting OpenRouter's duplicate twice", async () => {
    const model = await serve({
      chunks: [
        sseBody(
          chunk({ reasoning_content: "Deep " }),
          chunk({ reasoning: "think ", reasoning_details: [{ type: "reasoning.text", text: "think ", index: 0 }] }),
          chunk({ reasoning_details: [{ type: "reasoning.text", text: "more", signature: "sig-1", index: 0 }] }),
          chunk({ content: "Answer" }),
          chunk({}, "stop"),
        ),
      ],
    });
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(types(events)).toEqual([
      "start",
      "thinking_start",
      "thinking_delta",
      "thinking_delta",
      "thinking_delta",
      "thinking_end",
      "text_start",
      "text_delta",
      "text_end",
      "done",
    ]);
    expect(finalOf(events).content).toEqual([
      { type: "thinking", thinking: "Deep think more", signature: "sig-1" },
      { type: "text", text: "Answer" },
    ]);
  });

  it("merges interleaved parallel tool-call fragments by index, with partial arguments while streaming", async () => {
    const model = await serve({
      chunks: [
        sseBody(
          chunk({ content: "Checking." }),
          chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "weather", arguments: "" } }] }),
          chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "time", arguments: '{"tz":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Par' } }] }),
          chunk({ tool_calls: [{ index: 1, function: { arguments: '"UTC"}' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: 'is","days":2}' } }] }),
          chunk({}, "tool_calls"),
        ),
      ],
    });
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(types(events)).toEqual([
      "start",
      "text_start",
      "text_delta",
      "text_end",
      "toolcall_start",
      "toolcall_start",
      "toolcall_delta",
      "toolcall_delta",
      "toolcall_delta",
      "toolcall_delta",
      "toolcall_end",
      "toolcall_end",
      "done",
    ]);
    const deltas = events.filter((e) => e.type === "toolcall_delta").map((e) => (e as { contentIndex: number }).contentIndex);
    expect(deltas).toEqual([2, 1, 2, 1]);
    const message = finalOf(events);
    expect(message.stopReason).toBe("toolUse");
    expect(message.content.slice(1)).toEqual([
      { type: "toolCall", id: "call_a", name: "weather", arguments: { city: "Paris", days: 2 } },
      { type: "toolCall", id: "call_b", name: "time", arguments: { tz: "UTC" } },
    ]);
    expect(events.filter((e) => e.type === "toolcall_end").map((e) => (e as { toolCall: { id: string } }).toolCall.id)).toEqual(["call_a", "call_b"]);
  });

  it("keeps unparseable final tool arguments as invalidArguments with the parse error", async () => {
    const model = await serve({
      chunks: [sseBody(chunk({ tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: '{"a": 1,,}' } }] }), chunk({}, "tool_calls"))],
    });
    const call = finalOf(await allEvents(streamOpenAICompatible(model, userContext()))).content[0];
    expect(call).toMatchObject({ type: "toolCall", id: "c1", arguments: {}, invalidArguments: { raw: '{"a": 1,,}' } });
    expect((call as ToolCall).invalidArguments?.error).toMatch(/JSON/);
  });

  it.each([
    ["stop", "stop"],
    ["length", "length"],
    ["function_call", "toolUse"],
    ["eos", "stop"],
  ])("maps finish_reason %s to %s", async (finish, expected) => {
    const model = await serve({ chunks: [sseBody(chunk({ content: "x" }), chunk({}, finish))] });
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(events.at(-1)).toMatchObject({ type: "done", reason: expected, message: { stopReason: expected } });
  });

  it("ends content_filter with an error that says so, keeping the text", async () => {
    const model = await serve({ chunks: [sseBody(chunk({ content: "Once upon" }), chunk({}, "content_filter"))] });
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(events.at(-1)).toMatchObject({ type: "error", reason: "error" });
    const message = finalOf(events);
    expect(message.errorMessage).toMatchInlineSnapshot(`"The provider's content filter stopped the answer (finish_reason "content_filter")."`);
    expect(message.content).toEqual([{ type: "text", text: "Once upon" }]);
  });

  it("maps usage: cached tokens out of input, reasoning tokens not added again, cost from model.cost", async () => {
    const model = await serve({
      chunks: [
        sseBody(
          chunk({ content: "ok" }, "stop"),
          usageChunk({
            prompt_tokens: 1000,
            completion_tokens: 300,
            total_tokens: 1300,
            prompt_tokens_details: { cached_tokens: 400 },
            completion_tokens_details: { reasoning_tokens: 200 },
          }),
        ),
      ],
    });
    const priced = { ...model, cost: { input: 2, output: 10, cacheRead: 0.5, cacheWrite: 0 } };
    const { usage } = finalOf(await allEvents(streamOpenAICompatible(priced, userContext())));
    expect(usage).toEqual({
      input: 600,
      output: 300,
      cacheRead: 400,
      cacheWrite: 0,
      totalTokens: 1300,
      cost: { input: 0.0012, output: 0.003, cacheRead: 0.0002, cacheWrite: 0, total: expect.closeTo(0.0044, 12) },
    });
  });
});

describe("servers that ignore stream: true", () => {
  it("maps a whole JSON completion as one delta per part", async () => {
    const completion = {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          message: {
            role: "assistant",
            content: "Sure.",
            reasoning_content: "Easy.",
            tool_calls: [{ id: "call_1", type: "function", function: { name: "sum", arguments: '{"a":1}' } }],
          },
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    };
    const model = await serve({ headers: { "content-type": "application/json" }, chunks: [JSON.stringify(completion)] });
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(types(events)).toEqual([
      "start",
      "thinking_start",
      "thinking_delta",
      "thinking_end",
      "text_start",
      "text_delta",
      "text_end",
      "toolcall_start",
      "toolcall_delta",
      "toolcall_end",
      "done",
    ]);
    expect(finalOf(events)).toMatchObject({
      stopReason: "toolUse",
      content: [
        { type: "thinking", thinking: "Easy." },
        { type: "text", text: "Sure." },
        { type: "toolCall", id: "call_1", name: "sum", arguments: { a: 1 } },
      ],
      usage: { input: 5, output: 7, totalTokens: 12 },
    });
  });
});

describe("one-shot and handle", () => {
  it("collectOpenAICompletions resolves with every event and the final message", async () => {
    const model = await serve({ chunks: [textBody] });
    const { events, finalMessage } = await collectOpenAICompletions(model, userContext());
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_end", "done"]);
    expect(finalMessage.content).toEqual([{ type: "text", text: "Hello" }]);
  });

  it("openAICompletionsStream is async-iterable, replays on events$ and resolves result()", async () => {
    const model = await serve({ chunks: [textBody] });
    const handle = openAICompletionsStream(model, userContext());
    const iterated: string[] = [];
    for await (const event of handle) iterated.push(event.type);
    expect(iterated).toEqual(["start", "text_start", "text_delta", "text_delta", "text_end", "done"]);
    expect((await handle.result()).content).toEqual([{ type: "text", text: "Hello" }]);
    expect(types(await allEvents(handle.events$))).toEqual(iterated);
  });

  it("openAICompletionsStream abort() ends with an aborted error", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const model = await serve({ chunks: [sseBody(chunk({ content: "partial" })).replace("data: [DONE]\n\n", ""), () => held], end: "hang" });
    const handle = openAICompletionsStream(model, userContext());
    for await (const event of handle) if (event.type === "text_delta") handle.abort();
    const message = await handle.result();
    expect(message).toMatchObject({ stopReason: "aborted", content: [{ type: "text", text: "partial" }] });
    release();
  });
});

function emptyUsage() {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
}
