import { afterEach, describe, expect, it, vi } from "vitest";
import { type AssistantMessageEvent, type Model, openAIResponsesModel, streamOpenAIResponses } from "../src/index.js";
import { allEvents, finalOf, types, userContext } from "./helpers/openai-chunks.js";
import { ResponsesStream } from "./helpers/responses-events.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

async function serve(script: Script, init: Partial<Model> = {}): Promise<Model> {
  server = await startSseServer(script);
  return openAIResponsesModel("gpt-5-mini", { baseUrl: `${server.url}/v1`, ...init });
}

const sseOf = (stream: ResponsesStream) => ({ chunks: [stream.body()] });
const run = (model: Model, options = {}) => allEvents(streamOpenAIResponses(model, userContext("Hi"), { apiKey: "sk-test", ...options }));
const request = (i = 0) => server!.requests[i]!.json() as Record<string, unknown>;

describe("openAIResponsesModel", () => {
  it("defaults to OpenAI's API root, provider openai, api openai-responses", () => {
    expect(openAIResponsesModel("gpt-5")).toEqual({
      id: "gpt-5",
      name: "gpt-5",
      api: "openai-responses",
      provider: "openai",
      baseUrl: "https://api.openai.com/v1",
    });
    expect(openAIResponsesModel("o4-mini", { reasoning: true, maxTokens: 100_000 })).toMatchObject({
      reasoning: true,
      maxTokens: 100_000,
      api: "openai-responses",
    });
  });
});

describe("streamOpenAIResponses: text", () => {
  it("streams output text and posts to /responses with the key as Bearer, nothing stored", async () => {
    const model = await serve(sseOf(new ResponsesStream().message("msg_01", "Hel", "lo ", "wörld 👋").completed({ input: 12, output: 4 })));
    const events = await run(model);
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_delta", "text_end", "done"]);
    const message = finalOf(events);
    expect(message).toMatchObject({
      role: "assistant",
      api: "openai-responses",
      provider: "openai",
      model: "gpt-5-mini",
      stopReason: "stop",
      content: [{ type: "text", text: "Hello wörld 👋", signature: "msg_01" }],
      usage: { input: 12, output: 4, cacheRead: 0, cacheWrite: 0, totalTokens: 16 },
    });
    const req = server!.requests[0]!;
    expect(req.url).toBe("/v1/responses");
    expect(req.headers.authorization).toBe("Bearer sk-test");
    expect(request()).toEqual({ model: "gpt-5-mini", input: [{ role: "user", content: [{ type: "input_text", text: "Hi" }] }], stream: true, store: false });
  });

  it("accepts the full …/responses URL as baseUrl and sends the system prompt as instructions", async () => {
    const model = await serve(sseOf(new ResponsesStream().message("msg_01", "ok").completed()));
    await allEvents(
      streamOpenAIResponses({ ...model, baseUrl: `${server!.url}/v1/responses/` }, userContext("Hi", { systemPrompt: "Be brief." }), { apiKey: "k" }),
    );
    expect(server!.requests[0]!.url).toBe("/v1/responses");
    expect(request().instructions).toBe("Be brief.");
  });

  it("maps a refusal as text, separate message items as separate blocks", async () => {
    const stream = new ResponsesStream()
      .message("msg_a", "First.")
      .raw({
        type: "response.output_item.added",
        output_index: 1,
        item: { id: "msg_b", type: "message", status: "in_progress", content: [], role: "assistant" },
      })
      .raw({ type: "response.content_part.added", item_id: "msg_b", output_index: 1, content_index: 0, part: { type: "refusal", refusal: "" } })
      .raw({ type: "response.refusal.delta", item_id: "msg_b", output_index: 1, content_index: 0, delta: "I can't help with that." })
      .raw({ type: "response.refusal.done", item_id: "msg_b", output_index: 1, content_index: 0, refusal: "I can't help with that." })
      .raw({
        type: "response.output_item.done",
        output_index: 1,
        item: { id: "msg_b", type: "message", status: "completed", role: "assistant", content: [{ type: "refusal", refusal: "I can't help with that." }] },
      })
      .completed();
    const model = await serve(sseOf(stream));
    expect(finalOf(await run(model)).content).toEqual([
      { type: "text", text: "First.", signature: "msg_a" },
      { type: "text", text: "I can't help with that.", signature: "msg_b" },
    ]);
  });
});

describe("streamOpenAIResponses: reasoning", () => {
  it("streams the reasoning summary as thinking and keeps the encrypted item as its signature", async () => {
    const stream = new ResponsesStream()
      .reasoning("rs_01", ["**Planning**\n\nThe user greets me.", "I'll answer briefly."], "gAAAAABoENCRYPTED==")
      .message("msg_02", "Hi there!")
      .completed({ input: 1200, cached: 1024, output: 300, reasoning: 256 });
    const model = await serve(sseOf(stream), { reasoning: true, cost: { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 } });
    const events = await run(model, { reasoning: "high" });
    expect(types(events)).toEqual([
      "start",
      "thinking_start",
      "thinking_delta",
      "thinking_delta",
      "thinking_delta",
      "thinking_delta",
      "thinking_delta",
      "thinking_end",
      "text_start",
      "text_delta",
      "text_end",
      "done",
    ]);
    const message = finalOf(events);
    expect(message.content).toEqual([
      {
        type: "thinking",
        thinking: "**Planning**\n\nThe user greets me.\n\nI'll answer briefly.",
        signature: JSON.stringify({ id: "rs_01", encrypted_content: "gAAAAABoENCRYPTED==" }),
      },
      { type: "text", text: "Hi there!", signature: "msg_02" },
    ]);
    // input_tokens include the cached ones; output_tokens include the reasoning ones.
    expect(message.usage).toMatchObject({ input: 176, cacheRead: 1024, output: 300, cacheWrite: 0, totalTokens: 1500 });
    expect(message.usage.cost.input).toBeCloseTo((176 * 0.25) / 1e6, 12);
    expect(message.usage.cost.cacheRead).toBeCloseTo((1024 * 0.025) / 1e6, 12);
    expect(message.usage.cost.output).toBeCloseTo((300 * 2) / 1e6, 12);
    expect(message.usage.cost.total).toBeCloseTo((176 * 0.25 + 1024 * 0.025 + 600) / 1e6, 12);
    expect(request()).toMatchObject({ reasoning: { effort: "high", summary: "auto" }, include: ["reasoning.encrypted_content"], store: false });
  });

  it("keeps a reasoning item with no summary (an empty thinking block carrying the signature) and raw reasoning text", async () => {
    const stream = new ResponsesStream()
      .reasoning("rs_silent", [], "gAAAAABoSILENT")
      .raw({ type: "response.output_item.added", output_index: 1, item: { id: "rs_raw", type: "reasoning", summary: [] } })
      .raw({ type: "response.reasoning_text.delta", item_id: "rs_raw", output_index: 1, content_index: 0, delta: "raw chain" })
      .raw({ type: "response.output_item.done", output_index: 1, item: { id: "rs_raw", type: "reasoning", summary: [] } })
      .message("msg_1", "Done.")
      .completed();
    const model = await serve(sseOf(stream), { reasoning: true });
    expect(finalOf(await run(model)).content).toEqual([
      { type: "thinking", thinking: "", signature: JSON.stringify({ id: "rs_silent", encrypted_content: "gAAAAABoSILENT" }) },
      { type: "thinking", thinking: "raw chain" },
      { type: "text", text: "Done.", signature: "msg_1" },
    ]);
  });

  it("asks no effort with reasoning off, and still asks a reasoning model for its encrypted items", async () => {
    const model = await serve(sseOf(new ResponsesStream().message("m", "ok").completed()), { reasoning: true });
    await run(model, { reasoning: "off" });
    expect(request().reasoning).toBeUndefined();
    expect(request().include).toEqual(["reasoning.encrypted_content"]);
    await run(model);
    expect(request(1)).toMatchObject({ reasoning: { summary: "auto" }, include: ["reasoning.encrypted_content"] });
    await run({ ...model, reasoning: false }, { reasoning: "minimal" });
    expect(request(2)).toMatchObject({ reasoning: { effort: "minimal", summary: "auto" }, include: ["reasoning.encrypted_content"] });
  });
});

describe("streamOpenAIResponses: function calls", () => {
  const weatherArgs = '{"city":"São Paulo","unit":"c"}';

  it("streams one call: arguments merged per item, call_id as the id, the item id as its signature", async () => {
    const model = await serve(
      sseOf(new ResponsesStream().functionCall("fc_01", "call_Ab1", "get_weather", weatherArgs, ['{"ci', 'ty":"São', ' Paulo","unit":"c"}']).completed()),
    );
    const events = await run(model);
    expect(types(events)).toEqual(["start", "toolcall_start", "toolcall_delta", "toolcall_delta", "toolcall_delta", "toolcall_end", "done"]);
    const message = finalOf(events);
    expect(message.stopReason).toBe("toolUse");
    expect(message.content).toEqual([
      { type: "toolCall", id: "call_Ab1", name: "get_weather", arguments: { city: "São Paulo", unit: "c" }, signature: "fc_01" },
    ]);
  });

  it("streams several calls after reasoning and text, each its own block", async () => {
    const stream = new ResponsesStream()
      .reasoning("rs_1", ["Two lookups."])
      .message("msg_1", "Checking both.")
      .functionCall("fc_1", "call_1", "get_weather", weatherArgs)
      .functionCall("fc_2", "call_2", "get_time", '{"tz":"Asia/東京"}')
      .completed();
    const model = await serve(sseOf(stream), { reasoning: true });
    const message = finalOf(await run(model));
    expect(message.stopReason).toBe("toolUse");
    expect(message.content.map((b) => b.type)).toEqual(["thinking", "text", "toolCall", "toolCall"]);
    expect(message.content.slice(2)).toEqual([
      { type: "toolCall", id: "call_1", name: "get_weather", arguments: { city: "São Paulo", unit: "c" }, signature: "fc_1" },
      { type: "toolCall", id: "call_2", name: "get_time", arguments: { tz: "Asia/東京" }, signature: "fc_2" },
    ]);
  });

  it("sends tools from JSON Schema (not strict), tool_choice in each form", async () => {
    const model = await serve(sseOf(new ResponsesStream().message("m", "ok").completed()));
    const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const context = userContext("Hi", { tools: [{ name: "get_weather", description: "Weather of a city.", parameters }] });
    for (const toolChoice of ["auto", "none", "required", { name: "get_weather" }] as const) {
      await allEvents(streamOpenAIResponses(model, context, { apiKey: "k", toolChoice }));
    }
    expect(request().tools).toEqual([{ type: "function", name: "get_weather", description: "Weather of a city.", parameters, strict: false }]);
    expect(server!.requests.map((r) => (r.json() as { tool_choice: unknown }).tool_choice)).toEqual([
      "auto",
      "none",
      "required",
      { type: "function", name: "get_weather" },
    ]);
  });
});

describe("streamOpenAIResponses: odd streams", () => {
  it("fills in items whose deltas never came from their done events, ignores unknown events and empty deltas", async () => {
    const stream = new ResponsesStream()
      .raw({ type: "response.queued" })
      .raw({
        type: "response.output_item.done",
        output_index: 0,
        item: {
          id: "rs_x",
          type: "reasoning",
          encrypted_content: "gAAAAx",
          summary: [
            { type: "summary_text", text: "A." },
            { type: "summary_text", text: "B." },
          ],
        },
      })
      .raw({
        type: "response.output_item.added",
        output_index: 1,
        item: { id: "msg_x", type: "message", status: "in_progress", content: [], role: "assistant" },
      })
      .raw({ type: "response.output_text.delta", item_id: "msg_x", output_index: 1, content_index: 0, delta: "" })
      .raw({ type: "response.output_text.annotation.added", item_id: "msg_x", output_index: 1, annotation: { type: "url_citation" } })
      .raw({
        type: "response.output_item.done",
        output_index: 1,
        item: { id: "msg_x", type: "message", role: "assistant", content: [{ type: "output_text", text: "Only done." }] },
      })
      .raw({ type: "response.output_item.added", output_index: 2, item: { id: "fc_x", type: "function_call", arguments: "", call_id: "call_x", name: "f" } })
      .raw({ type: "response.function_call_arguments.done", item_id: "fc_x", output_index: 2, arguments: '{"a":1}' })
      .raw({
        type: "response.output_item.done",
        output_index: 2,
        item: { id: "fc_x", type: "function_call", arguments: '{"a":1}', call_id: "call_x", name: "f" },
      })
      .completed();
    const model = await serve(sseOf(stream));
    expect(finalOf(await run(model)).content).toEqual([
      { type: "thinking", thinking: "A.\n\nB.", signature: JSON.stringify({ id: "rs_x", encrypted_content: "gAAAAx" }) },
      { type: "text", text: "Only done.", signature: "msg_x" },
      { type: "toolCall", id: "call_x", name: "f", arguments: { a: 1 }, signature: "fc_x" },
    ]);
  });

  it("ends with `[DONE]` instead of response.completed (compatible servers), and without either is an error", async () => {
    const partial = new ResponsesStream().message("m", "part").body();
    const model = await serve([{ chunks: [partial, "data: [DONE]\n\n"] }, { chunks: [partial] }]);
    expect(finalOf(await run(model))).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "part" }] });
    const cut = finalOf(await run(model));
    expect(cut.stopReason).toBe("error");
    expect(cut.errorMessage).toBe(
      `The stream from ${server!.url}/v1/responses ended before the response completed (no response.completed); the partial answer is kept.`,
    );
    expect(cut.content).toEqual([{ type: "text", text: "part", signature: "m" }]);
  });

  it("maps a whole JSON response (a server that ignored stream: true)", async () => {
    const body = {
      id: "resp_1",
      object: "response",
      status: "completed",
      output: [{ id: "msg_j", type: "message", role: "assistant", content: [{ type: "output_text", text: "whole" }] }],
      usage: { input_tokens: 3, output_tokens: 1 },
    };
    const model = await serve({ headers: { "content-type": "application/json" }, chunks: [JSON.stringify(body)] });
    expect(finalOf(await run(model))).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "whole" }], usage: { input: 3, output: 1 } });
  });
});

describe("streamOpenAIResponses: stop reasons and errors", () => {
  it("response.incomplete for max_output_tokens is length; for the content filter an error", async () => {
    const model = await serve([
      sseOf(new ResponsesStream().message("m", "Once upon").incomplete("max_output_tokens")),
      sseOf(new ResponsesStream().message("m", "Hm").incomplete("content_filter")),
    ]);
    const long = finalOf(await run(model, { maxTokens: 16 }));
    expect(long).toMatchObject({ stopReason: "length", content: [{ type: "text", text: "Once upon" }], usage: { input: 20, output: 16 } });
    expect(request().max_output_tokens).toBe(16);
    const filtered = finalOf(await run(model));
    expect(filtered).toMatchObject({ stopReason: "error", errorMessage: 'The provider\'s content filter stopped the answer (incomplete: "content_filter").' });
  });

  it("an `error` event then response.failed end in one terminal error with the provider's message", async () => {
    const stream = new ResponsesStream()
      .message("m", "Partial")
      .raw({ type: "error", code: "server_error", message: "The server had an error while processing your request.", param: null })
      .failed("server_error", "The server had an error while processing your request.");
    const model = await serve(sseOf(stream));
    const events = await run(model);
    expect(events.filter((e) => e.type === "error" || e.type === "done")).toHaveLength(1);
    const message = finalOf(events);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("The provider reported an error mid-stream: The server had an error while processing your request. (code server_error)");
    expect(message.content).toEqual([{ type: "text", text: "Partial", signature: "m" }]);
  });

  it("an `error` event with the error nested (as some servers send it) and response.failed alone", async () => {
    const nested = new ResponsesStream().raw({
      type: "error",
      error: { type: "insufficient_quota", code: "insufficient_quota", message: "You exceeded your current quota.", param: null },
    });
    const failed = new ResponsesStream().failed(
      "rate_limit_exceeded",
      "Request too large for gpt-5-mini on tokens per min (TPM): Limit 30000, Requested 35364.",
    );
    const model = await serve([sseOf(nested), sseOf(failed)]);
    expect(finalOf(await run(model)).errorMessage).toBe(
      "The provider reported an error mid-stream: You exceeded your current quota. (code insufficient_quota)",
    );
    expect(finalOf(await run(model)).errorMessage).toBe(
      "The provider reported a failed response: Request too large for gpt-5-mini on tokens per min (TPM): Limit 30000, Requested 35364. (code rate_limit_exceeded)",
    );
    // Errors in the stream are not retried: the request was accepted.
    expect(server!.requests).toHaveLength(2);
  });

  it("retries HTTP 429 after retry-after, before start", async () => {
    const model = await serve([
      {
        status: 429,
        headers: { "retry-after": "2" },
        chunks: ['{"error":{"message":"Rate limit reached for gpt-5-mini.","type":"requests","code":"rate_limit_exceeded"}}'],
      },
      sseOf(new ResponsesStream().message("m", "ok").completed()),
    ]);
    const events: AssistantMessageEvent[] = [];
    let sawRetry!: () => void;
    const retried = new Promise<void>((resolve) => (sawRetry = resolve));
    const finished = new Promise<void>((resolve) =>
      streamOpenAIResponses(model, userContext(), { apiKey: "k" }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === "retry") {
            // The wait (an rxjs timer, on setInterval) is scheduled right after this event: fake the clock for it.
            vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
            sawRetry();
          }
        },
        complete: resolve,
      }),
    );
    await retried;
    await vi.advanceTimersByTimeAsync(1999);
    expect(server!.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    await finished;
    expect(types(events)).toEqual(["retry", "start", "text_start", "text_delta", "text_end", "done"]);
    expect(events[0]).toMatchObject({
      attempt: 1,
      delayMs: 2000,
      reason: `Rate limited (HTTP 429) at ${server!.url}/v1/responses: Rate limit reached for gpt-5-mini. (code rate_limit_exceeded)`,
    });
  });

  it("does not retry 400 or 401, and says what to do", async () => {
    const bad = {
      status: 400,
      headers: { "content-type": "application/json" },
      chunks: [
        '{"error":{"message":"Unsupported parameter: \'temperature\' is not supported with this model.","type":"invalid_request_error","param":"temperature","code":"unsupported_parameter"}}',
      ],
    };
    const unauthorized = {
      status: 401,
      headers: { "content-type": "application/json" },
      chunks: ['{"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","code":"invalid_api_key"}}'],
    };
    const model = await serve([bad, unauthorized]);
    const first = finalOf(await run(model, { temperature: 0.2, retryBaseDelayMs: 1 }));
    expect(first.errorMessage).toBe(
      `Request rejected (HTTP 400) at ${server!.url}/v1/responses: Unsupported parameter: 'temperature' is not supported with this model. (code unsupported_parameter)`,
    );
    const second = finalOf(await run(model, { retryBaseDelayMs: 1 }));
    expect(second.errorMessage).toBe(
      `Authentication failed (HTTP 401) at ${server!.url}/v1/responses: Incorrect API key provided: [redacted]. (code invalid_api_key). The API key passed as \`apiKey\` (or returned by \`getApiKey\`) was rejected: check it.`,
    );
    expect(server!.requests).toHaveLength(2);
  });

  it("reads OPENAI_API_KEY and names it when no key is set", async () => {
    const model = await serve({ status: 401, chunks: ['{"error":{"message":"Missing bearer authentication in header"}}'] });
    const saved = process.env.OPENAI_API_KEY;
    try {
      delete process.env.OPENAI_API_KEY;
      const message = finalOf(await allEvents(streamOpenAIResponses(model, userContext())));
      expect(message.errorMessage).toContain("No API key was sent: set OPENAI_API_KEY or pass `apiKey`.");
      process.env.OPENAI_API_KEY = "sk-env";
      await allEvents(streamOpenAIResponses(model, userContext()));
      expect(server!.requests[1]!.headers.authorization).toBe("Bearer sk-env");
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved;
    }
  });

  it("abort mid-stream ends with reason aborted, keeps the partial text, and the server sees the disconnect", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const head = new ResponsesStream().message("m", "Partial");
    const body = head.body();
    const cut = body.indexOf("event: response.output_text.done");
    const model = await serve({ chunks: [body.slice(0, cut), () => held], end: "hang" });
    const controller = new AbortController();
    const events: AssistantMessageEvent[] = [];
    const finished = new Promise<void>((resolve) =>
      streamOpenAIResponses(model, userContext(), { apiKey: "k", signal: controller.signal }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === "text_delta") controller.abort();
        },
        complete: resolve,
      }),
    );
    await finished;
    const message = finalOf(events);
    expect(message).toMatchObject({ stopReason: "aborted", errorMessage: "The request was aborted.", content: [{ type: "text", text: "Partial" }] });
    expect(await server!.requests[0]!.closed).toEqual({ byClient: true });
    release();
  });
});

describe("streamOpenAIResponses: options", () => {
  it("maps sampling, caching, structured output, headers and extraBody (merged last)", async () => {
    const model = await serve(sseOf(new ResponsesStream().message("m", '{"answer":4}').completed()), { headers: { "x-model": "m" } });
    const schema = { type: "object", properties: { answer: { type: "number" } }, required: ["answer"], additionalProperties: false };
    const tools = [{ name: "calc", description: "Calculates.", parameters: { type: "object", properties: {} } }];
    const events = await allEvents(
      streamOpenAIResponses(model, userContext("2+2?", { tools }), {
        apiKey: "k",
        temperature: 0.3,
        topP: 0.9,
        maxTokens: 500,
        sessionId: "session-42",
        output: { schema, name: "math answer" },
        stop: ["END"],
        seed: 7,
        headers: { "x-call": "c" },
        extraBody: { service_tier: "flex", temperature: 0.1 },
      }),
    );
    expect(finalOf(events).content).toEqual([{ type: "text", text: '{"answer":4}', signature: "m" }]);
    const body = request();
    expect(body).toMatchObject({
      temperature: 0.1,
      top_p: 0.9,
      max_output_tokens: 500,
      prompt_cache_key: "session-42",
      service_tier: "flex",
      text: { format: { type: "json_schema", name: "math_answer", schema, strict: false } },
      tools: [{ type: "function", name: "calc" }],
    });
    // The Responses API has no stop sequences or seed: they are not sent.
    expect(body).not.toHaveProperty("stop");
    expect(body).not.toHaveProperty("seed");
    expect(body).not.toHaveProperty("prompt_cache_retention");
    expect(server!.requests[0]!.headers).toMatchObject({ "x-model": "m", "x-call": "c" });
  });

  it("cacheRetention none sends no cache key; long asks for the 24 h retention", async () => {
    const model = await serve(sseOf(new ResponsesStream().message("m", "ok").completed()));
    await run(model, { sessionId: "s", cacheRetention: "none" });
    await run(model, { sessionId: "s", cacheRetention: "long" });
    await run(model, {});
    expect(request(0)).not.toHaveProperty("prompt_cache_key");
    expect(request(1)).toMatchObject({ prompt_cache_key: "s", prompt_cache_retention: "24h" });
    expect(request(2)).not.toHaveProperty("prompt_cache_key");
  });
});
