import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, type AssistantMessage, defineTool, openAIResponsesModel, textResult, type Message } from "../src/index.js";
import { ResponsesStream } from "./helpers/responses-events.js";
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

const sig = (id: string, encrypted: string) => JSON.stringify({ id, encrypted_content: encrypted });
const inputOf = (i: number) => (server!.requests[i]!.json() as { input: unknown[] }).input;

describe("the agent on OpenAI Responses (default stream function, loopback server)", () => {
  it("runs a function-call turn then a text turn; the next requests pair outputs with calls and replay the encrypted reasoning", async () => {
    server = await startSseServer([
      {
        chunks: [
          new ResponsesStream()
            .reasoning("rs_a1", ["Two cities: two lookups."], "gAAAAABoTURN1")
            .functionCall("fc_a2", "call_Oslo", "get_weather", '{"city":"Oslo"}')
            .functionCall("fc_a3", "call_Lima", "get_weather", '{"city":"Lima"}')
            .completed({ input: 80, output: 40, reasoning: 24 })
            .body(),
        ],
      },
      {
        chunks: [
          new ResponsesStream().reasoning("rs_b1", ["Both answered."], "gAAAAABoTURN2").message("msg_b2", "Oslo and Lima: ", "21 °C.").completed().body(),
        ],
      },
      { chunks: [new ResponsesStream().message("msg_c1", "You're welcome.").completed().body()] },
    ]);
    const agent = new Agent({
      model: openAIResponsesModel("gpt-5-mini", { baseUrl: `${server.url}/v1`, reasoning: true }),
      getApiKey: (provider) => (provider === "openai" ? "sk-agent" : undefined),
      sessionId: "chat-7",
      systemPrompt: "Use tools.",
      tools: [weather],
    });
    const final = await agent.prompt("Weather in Oslo and Lima?");
    expect(final).toMatchObject({ stopReason: "stop", content: [{ type: "thinking" }, { type: "text", text: "Oslo and Lima: 21 °C.", signature: "msg_b2" }] });
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "toolResult", "assistant"]);
    expectValidTranscript(agent.state.messages);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer sk-agent");

    const second = server.requests[1]!.json() as Record<string, unknown>;
    expect(second).toMatchObject({ instructions: "Use tools.", store: false, include: ["reasoning.encrypted_content"], prompt_cache_key: "chat-7" });
    expect(second.input).toEqual([
      { role: "user", content: [{ type: "input_text", text: "Weather in Oslo and Lima?" }] },
      { type: "reasoning", id: "rs_a1", encrypted_content: "gAAAAABoTURN1", summary: [{ type: "summary_text", text: "Two cities: two lookups." }] },
      { type: "function_call", id: "fc_a2", call_id: "call_Oslo", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { type: "function_call", id: "fc_a3", call_id: "call_Lima", name: "get_weather", arguments: '{"city":"Lima"}' },
      { type: "function_call_output", call_id: "call_Oslo", output: "Oslo: 21 °C" },
      { type: "function_call_output", call_id: "call_Lima", output: "Lima: 21 °C" },
    ]);

    // The next turn replays the text turn too: its reasoning item, then the message item under its own id.
    await agent.prompt("Thanks!");
    expect(inputOf(2).slice(6)).toEqual([
      { type: "reasoning", id: "rs_b1", encrypted_content: "gAAAAABoTURN2", summary: [{ type: "summary_text", text: "Both answered." }] },
      {
        type: "message",
        id: "msg_b2",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Oslo and Lima: 21 °C.", annotations: [] }],
      },
      { role: "user", content: [{ type: "input_text", text: "Thanks!" }] },
    ]);
  });

  it("promptObject with tools: text.format json_schema next to the tools; an invalid answer is corrected on retry", async () => {
    server = await startSseServer([
      { chunks: [new ResponsesStream().functionCall("fc_1", "call_1", "get_weather", '{"city":"Oslo"}').completed().body()] },
      { chunks: [new ResponsesStream().message("msg_2", '{"city":"Oslo","celsius":"21"}').completed().body()] },
      { chunks: [new ResponsesStream().message("msg_3", '{"city":"Oslo",', '"celsius":21}').completed().body()] },
    ]);
    const agent = new Agent({ model: openAIResponsesModel("gpt-4.1", { baseUrl: `${server.url}/v1` }), streamOptions: { apiKey: "k" }, tools: [weather] });
    const forecast = await agent.promptObject("Forecast for Oslo as JSON.", z.object({ city: z.string(), celsius: z.number() }), { name: "forecast" });
    expect(forecast).toEqual({ city: "Oslo", celsius: 21 });
    expectValidTranscript(agent.state.messages);
    for (const request of server.requests) {
      const body = request.json() as { text: { format: Record<string, unknown> }; tools: unknown[] };
      expect(body.text.format).toMatchObject({
        type: "json_schema",
        name: "forecast",
        strict: false,
        schema: { type: "object", required: ["city", "celsius"] },
      });
      expect(body.tools).toHaveLength(1);
    }
    // Without reasoning items, no item ids go back (they would need their reasoning item).
    expect(inputOf(2).slice(1, 3)).toEqual([
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { type: "function_call_output", call_id: "call_1", output: "Oslo: 21 °C" },
    ]);
  });

  it("promptObject without tools sends only the format", async () => {
    server = await startSseServer({ chunks: [new ResponsesStream().message("msg_1", '{"answer":42}').completed().body()] });
    const agent = new Agent({ model: openAIResponsesModel("gpt-4.1-mini", { baseUrl: `${server.url}/v1` }), streamOptions: { apiKey: "k" } });
    expect(await agent.promptObject("The answer?", { type: "object", properties: { answer: { type: "number" } }, required: ["answer"] })).toEqual({
      answer: 42,
    });
    const body = server.requests[0]!.json() as Record<string, unknown>;
    expect(body).not.toHaveProperty("tools");
    expect(body.text).toEqual({
      format: {
        type: "json_schema",
        name: "output",
        schema: { type: "object", properties: { answer: { type: "number" } }, required: ["answer"] },
        strict: false,
      },
    });
  });
});

describe("continuing a transcript made elsewhere on OpenAI Responses", () => {
  const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
  const assistant = (
    meta: Pick<AssistantMessage, "api" | "provider" | "model">,
    content: AssistantMessage["content"],
    stopReason: AssistantMessage["stopReason"] = "toolUse",
  ): AssistantMessage => ({
    role: "assistant",
    content,
    ...meta,
    usage,
    stopReason,
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
  const user = (text: string): Message => ({ role: "user", content: text, timestamp: 1 });

  it("sends no foreign signatures, drops foreign thinking, and makes tool-call ids valid while keeping them paired", async () => {
    server = await startSseServer({ chunks: [new ResponsesStream().message("msg_z", "Sunny in both.").completed().body()] });
    const longId = `toolu_${"x".repeat(70)}`;
    const messages: Message[] = [
      user("Weather?"),
      assistant({ api: "anthropic-messages", provider: "anthropic", model: "claude-sonnet-4-5" }, [
        { type: "thinking", thinking: "Let me check.", signature: "EqQBCkYIBxgCKkDanthropic-signature" },
        { type: "thinking", thinking: "", signature: "redacted-data", redacted: true },
        { type: "text", text: "Checking Oslo." },
        { type: "toolCall", id: longId, name: "get_weather", arguments: { city: "Oslo" } },
      ]),
      result(longId, "Oslo: 21 °C"),
      assistant({ api: "google-generative-ai", provider: "google", model: "gemini-2.5-flash" }, [
        { type: "text", text: "And Lima.", signature: "Z2VtaW5pLXNpZw==" },
        { type: "toolCall", id: "get_weather:1/lima", name: "get_weather", arguments: { city: "Lima" }, signature: "dGhvdWdodA==" },
      ]),
      result("get_weather:1/lima", "Lima: 21 °C"),
      // Same provider and api, another model: its encrypted reasoning cannot be read by this one.
      assistant(
        { api: "openai-responses", provider: "openai", model: "o3" },
        [
          { type: "thinking", thinking: "Summarize.", signature: sig("rs_o3", "gAAAAo3") },
          { type: "text", text: "Both are warm.", signature: "msg_o3" },
        ],
        "stop",
      ),
      user("Compare."),
    ];
    const agent = new Agent({
      model: openAIResponsesModel("gpt-5", { baseUrl: `${server.url}/v1`, reasoning: true }),
      streamOptions: { apiKey: "k" },
      messages,
    });
    await agent.continue();
    const input = inputOf(0);
    const body = JSON.stringify(input);
    for (const foreign of ["anthropic-signature", "redacted-data", "Z2VtaW5pLXNpZw==", "dGhvdWdodA==", "gAAAAo3", "rs_o3", "msg_o3", "Let me check."])
      expect(body).not.toContain(foreign);
    const calls = input.filter((i): i is { type: string; call_id: string } => (i as { type?: string }).type === "function_call");
    const outputs = input.filter((i): i is { type: string; call_id: string } => (i as { type?: string }).type === "function_call_output");
    expect(calls.map((c) => c.call_id)).toEqual(outputs.map((o) => o.call_id));
    for (const { call_id } of calls) expect(call_id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(calls[0]!.call_id.startsWith("toolu_xxx")).toBe(true);
    expect(input).toEqual([
      { role: "user", content: [{ type: "input_text", text: "Weather?" }] },
      { role: "assistant", content: "Checking Oslo." },
      { type: "function_call", call_id: calls[0]!.call_id, name: "get_weather", arguments: '{"city":"Oslo"}' },
      { type: "function_call_output", call_id: calls[0]!.call_id, output: "Oslo: 21 °C" },
      { role: "assistant", content: "And Lima." },
      { type: "function_call", call_id: calls[1]!.call_id, name: "get_weather", arguments: '{"city":"Lima"}' },
      { type: "function_call_output", call_id: calls[1]!.call_id, output: "Lima: 21 °C" },
      { role: "assistant", content: "Both are warm." },
      { role: "user", content: [{ type: "input_text", text: "Compare." }] },
    ]);
  });

  it("does not replay reasoning from an aborted message (nothing may follow it) nor a trailing reasoning item", async () => {
    server = await startSseServer({ chunks: [new ResponsesStream().message("msg_z", "ok").completed().body()] });
    const meta = { api: "openai-responses", provider: "openai", model: "gpt-5" };
    const messages: Message[] = [
      user("One"),
      assistant(
        meta,
        [
          { type: "thinking", thinking: "a", signature: sig("rs_1", "gA1") },
          { type: "text", text: "Partial", signature: "msg_1" },
        ],
        "aborted",
      ),
      user("Two"),
      assistant(
        meta,
        [
          { type: "text", text: "Answer", signature: "msg_2" },
          { type: "thinking", thinking: "b", signature: sig("rs_2", "gA2") },
        ],
        "stop",
      ),
      user("Three"),
    ];
    const agent = new Agent({
      model: openAIResponsesModel("gpt-5", { baseUrl: `${server.url}/v1`, reasoning: true }),
      streamOptions: { apiKey: "k" },
      messages,
    });
    await agent.continue();
    expect(inputOf(0)).toEqual([
      { role: "user", content: [{ type: "input_text", text: "One" }] },
      { role: "assistant", content: "Partial" },
      { role: "user", content: [{ type: "input_text", text: "Two" }] },
      { role: "assistant", content: "Answer" },
      { role: "user", content: [{ type: "input_text", text: "Three" }] },
    ]);
  });

  it("sends user images and tool-result images (after the results) as input_image", async () => {
    server = await startSseServer({ chunks: [new ResponsesStream().message("msg_z", "A cat.").completed().body()] });
    const png = { type: "image" as const, data: "iVBORw0KGgo=", mimeType: "image/png" };
    const messages: Message[] = [
      { role: "user", content: [{ type: "text", text: "What is this?" }, png], timestamp: 1 },
      assistant({ api: "openai-responses", provider: "openai", model: "gpt-5" }, [{ type: "toolCall", id: "call_s", name: "screenshot", arguments: {} }]),
      { role: "toolResult", toolCallId: "call_s", toolName: "screenshot", content: [png], isError: false, timestamp: 3 },
    ];
    const agent = new Agent({ model: openAIResponsesModel("gpt-5", { baseUrl: `${server.url}/v1` }), streamOptions: { apiKey: "k" }, messages });
    await agent.continue();
    const image = { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" };
    expect(inputOf(0)).toEqual([
      { role: "user", content: [{ type: "input_text", text: "What is this?" }, image] },
      { type: "function_call", call_id: "call_s", name: "screenshot", arguments: "{}" },
      { type: "function_call_output", call_id: "call_s", output: "(the result is the image in the next message)" },
      { role: "user", content: [{ type: "input_text", text: "Images returned by the tools above:" }, image] },
    ]);
  });
});
