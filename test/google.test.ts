import { afterEach, describe, expect, it, vi } from "vitest";
import { googleModel, streamGoogle, type AssistantMessage, type Context, type Model } from "../src/index.js";
import { gchunk, gsse, textBody, USAGE } from "./helpers/gemini-chunks.js";
import { allEvents, finalOf, types, userContext } from "./helpers/openai-chunks.js";
import { deferred } from "./helpers/transcript.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function serve(script: Script, init: Parameters<typeof googleModel>[1] = {}, id = "gemini-2.5-flash"): Promise<Model> {
  server = await startSseServer(script);
  return googleModel(id, { baseUrl: server.url, ...init });
}

const run = (model: Model, context: Context = userContext(), options: Parameters<typeof streamGoogle>[2] = {}) =>
  allEvents(streamGoogle(model, context, { maxRetries: 0, apiKey: "g-key", ...options }));

const body = (i = 0) => server!.requests[i]!.json() as Record<string, any>;

describe("streamGoogle: text, thinking, function calls", () => {
  it("streams text to the streamGenerateContent SSE URL with the key header, usage and cost", async () => {
    const model = await serve({ chunks: [textBody("Hel", "lo ", "Wörld")] }, { cost: { input: 1, output: 4, cacheRead: 0.25, cacheWrite: 0 } });
    const events = await run(model, userContext("Hi", { systemPrompt: "Be brief." }));
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_delta", "text_end", "done"]);
    const message = finalOf(events);
    expect(message).toMatchObject({ api: "google-generative-ai", provider: "google", model: "gemini-2.5-flash", stopReason: "stop" });
    expect(message.content).toEqual([{ type: "text", text: "Hello Wörld" }]);
    expect(message.usage).toMatchObject({ input: 12, output: 5, cacheRead: 0, totalTokens: 17 });
    expect(message.usage.cost.total).toBeCloseTo((12 * 1 + 5 * 4) / 1e6, 12);
    const request = server!.requests[0]!;
    expect(request.url).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    expect(request.headers["x-goog-api-key"]).toBe("g-key");
    expect(request.headers.authorization).toBeUndefined();
    expect(body()).toEqual({ contents: [{ role: "user", parts: [{ text: "Hi" }] }], systemInstruction: { parts: [{ text: "Be brief." }] } });
  });

  it("keeps thought parts as thinking and each thoughtSignature on the block of its part; thoughts and cached tokens in usage", async () => {
    const model = await serve(
      {
        chunks: [
          gsse(
            gchunk([{ text: "**Weighing** the", thought: true }]),
            gchunk([{ text: " question", thought: true }]),
            gchunk([{ text: "The answer" }]),
            gchunk([{ text: " is 4.", thoughtSignature: "c2lnLXRleHQ=" }]),
            gchunk([{ text: "" }], "STOP", {
              promptTokenCount: 100,
              cachedContentTokenCount: 60,
              candidatesTokenCount: 7,
              thoughtsTokenCount: 30,
              totalTokenCount: 137,
            }),
          ),
        ],
      },
      { reasoning: true, cost: { input: 1, output: 2, cacheRead: 0.5, cacheWrite: 0 } },
    );
    const message = finalOf(await run(model));
    expect(message.content).toEqual([
      { type: "thinking", thinking: "**Weighing** the question" },
      { type: "text", text: "The answer is 4.", signature: "c2lnLXRleHQ=" },
    ]);
    expect(message.usage).toMatchObject({ input: 40, cacheRead: 60, output: 37, totalTokens: 137 });
    expect(message.usage.cost.total).toBeCloseTo((40 * 1 + 37 * 2 + 60 * 0.5) / 1e6, 12);
    expect(body().generationConfig).toEqual({ thinkingConfig: { includeThoughts: true } });
  });

  it("an empty final part carrying only a signature becomes an empty signed text block", async () => {
    const model = await serve({
      chunks: [gsse(gchunk([{ text: "Thinking", thought: true }]), gchunk([{ text: "", thoughtSignature: "ZW5k" }], "STOP", USAGE))],
    });
    expect(finalOf(await run(model)).content).toEqual([
      { type: "thinking", thinking: "Thinking" },
      { type: "text", text: "", signature: "ZW5k" },
    ]);
  });

  it("maps whole function calls: ids from the wire or made up, signatures kept, toolUse", async () => {
    const model = await serve({
      chunks: [
        gsse(
          gchunk([{ text: "Checking both." }]),
          gchunk([
            { functionCall: { name: "get_weather", args: { city: "Zürich" } }, thoughtSignature: "c2lnLWE=" },
            { functionCall: { name: "get_time", args: { tz: "Asia/東京" }, id: "fc-9" } },
          ]),
          gchunk([{ functionCall: { name: "noop" } }], "STOP", USAGE),
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
      "toolcall_start",
      "toolcall_delta",
      "toolcall_start",
      "toolcall_delta",
      "toolcall_end",
      "toolcall_end",
      "toolcall_end",
      "done",
    ]);
    const message = finalOf(events);
    expect(message.stopReason).toBe("toolUse");
    expect(message.content).toEqual([
      { type: "text", text: "Checking both." },
      { type: "toolCall", id: "gemini_resp-1_0", name: "get_weather", arguments: { city: "Zürich" }, signature: "c2lnLWE=" },
      { type: "toolCall", id: "fc-9", name: "get_time", arguments: { tz: "Asia/東京" } },
      { type: "toolCall", id: "gemini_resp-1_2", name: "noop", arguments: {} },
    ]);
  });

  it("skips empty chunks, parts of unknown kinds and a candidate without content", async () => {
    const model = await serve({
      chunks: [
        gsse(
          { candidates: [{ content: { role: "model" }, index: 0 }] },
          gchunk([]),
          gchunk([{ executableCode: { code: "print(1)" } } as never, { text: "ok" }]),
          { candidates: [{ finishReason: "STOP", index: 0 }], usageMetadata: USAGE },
        ),
      ],
    });
    const message = finalOf(await run(model));
    expect(message).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "ok" }] });
  });

  it("MAX_TOKENS ends with stopReason length", async () => {
    const model = await serve({ chunks: [gsse(gchunk([{ text: "cut" }], "MAX_TOKENS", USAGE))] });
    expect(finalOf(await run(model)).stopReason).toBe("length");
  });

  it("a JSON array body (a server that ignored alt=sse) is read as the chunks", async () => {
    const chunks = [gchunk([{ text: "whole" }]), gchunk([{ text: " body" }], "STOP", USAGE)];
    const model = await serve({ headers: { "content-type": "application/json" }, chunks: [JSON.stringify(chunks)] });
    expect(finalOf(await run(model)).content).toEqual([{ type: "text", text: "whole body" }]);
  });
});

describe("streamGoogle: the request", () => {
  const tools = [
    {
      name: "search",
      description: "Searches.",
      parameters: {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        properties: { q: { type: "string" } },
        required: ["q"],
        additionalProperties: false,
      },
    },
  ];

  it("maps sampling options, stop, seed, toolChoice, tools, headers and extraBody", async () => {
    const model = await serve({ chunks: [textBody("ok")] }, { headers: { "x-model": "m" } });
    await run(model, userContext("Hi", { tools }), {
      maxTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      stop: ["END"],
      seed: 7,
      toolChoice: { name: "search" },
      headers: { "x-call": "c" },
      extraBody: { safetySettings: [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }] },
    });
    expect(body()).toMatchObject({
      tools: [
        {
          functionDeclarations: [
            {
              name: "search",
              description: "Searches.",
              parametersJsonSchema: { type: "object", properties: { q: { type: "string" } }, required: ["q"], additionalProperties: false },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["search"] } },
      generationConfig: { maxOutputTokens: 256, temperature: 0.2, topP: 0.9, stopSequences: ["END"], seed: 7 },
      safetySettings: [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }],
    });
    expect(body().tools[0].functionDeclarations[0].parametersJsonSchema.$schema).toBeUndefined();
    expect(server!.requests[0]!.headers).toMatchObject({ "x-model": "m", "x-call": "c" });
    for (const [choice, mode] of [
      ["auto", "AUTO"],
      ["none", "NONE"],
      ["required", "ANY"],
    ] as const) {
      await run(model, userContext("Hi", { tools }), { toolChoice: choice });
      expect(body(server!.requests.length - 1).toolConfig).toEqual({ functionCallingConfig: { mode } });
    }
  });

  it("maps reasoning levels to thinkingConfig per model family; off sends a zero budget or none", async () => {
    server = await startSseServer({ chunks: [textBody("ok")] });
    const thinkingOf = async (
      id: string,
      reasoning: Parameters<typeof streamGoogle>[2] extends infer O ? (O extends { reasoning?: infer R } ? R : never) : never,
    ) => {
      await run(googleModel(id, { baseUrl: server!.url, reasoning: true }), userContext(), { reasoning });
      return body(server!.requests.length - 1).generationConfig?.thinkingConfig;
    };
    expect(await thinkingOf("gemini-2.5-flash", "low")).toEqual({ includeThoughts: true, thinkingBudget: 4096 });
    expect(await thinkingOf("gemini-2.5-flash", "high")).toEqual({ includeThoughts: true, thinkingBudget: 16384 });
    expect(await thinkingOf("gemini-2.5-flash", "off")).toEqual({ thinkingBudget: 0 });
    expect(await thinkingOf("gemini-2.5-pro", "off")).toBeUndefined();
    expect(await thinkingOf("gemini-3-pro-preview", "minimal")).toEqual({ includeThoughts: true, thinkingLevel: "low" });
    expect(await thinkingOf("gemini-3-pro-preview", "xhigh")).toEqual({ includeThoughts: true, thinkingLevel: "high" });
    expect(await thinkingOf("gemini-3-pro-preview", "off")).toBeUndefined();
    // A model not marked as reasoning gets no thinkingConfig unless asked.
    await run(googleModel("gemini-2.0-flash", { baseUrl: server.url }));
    expect(body(server.requests.length - 1).generationConfig).toBeUndefined();
  });

  it("structured output: responseJsonSchema without tools (and on Gemini 3 with tools); an instruction on Gemini 2.x with tools", async () => {
    server = await startSseServer({ chunks: [textBody('{"a":1}')] });
    const schema = { $schema: "x", type: "object", properties: { a: { type: "number" } }, required: ["a"] };
    await run(googleModel("gemini-2.5-flash", { baseUrl: server.url }), userContext(), { output: { schema } });
    expect(body(0).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: { type: "object", properties: { a: { type: "number" } }, required: ["a"] },
    });
    await run(googleModel("gemini-3-flash-preview", { baseUrl: server.url }), userContext("Hi", { tools }), { output: { schema } });
    expect(body(1).generationConfig).toMatchObject({ responseMimeType: "application/json" });
    await run(googleModel("gemini-2.5-flash", { baseUrl: server.url }), userContext("Hi", { tools, systemPrompt: "Sys." }), { output: { schema } });
    expect(body(2).generationConfig).toBeUndefined();
    expect(body(2).systemInstruction.parts[0]).toEqual({ text: "Sys." });
    expect(body(2).systemInstruction.parts[1].text).toMatch(/^When you give your final answer, reply with only a JSON value .*\n\{"type":"object"/);
  });

  it("sends user images as inlineData and reads the key from GEMINI_API_KEY, else GOOGLE_API_KEY", async () => {
    const model = await serve({ chunks: [textBody("a cat")] });
    const context: Context = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
          ],
          timestamp: 1,
        },
      ],
    };
    vi.stubEnv("GEMINI_API_KEY", "from-gemini");
    vi.stubEnv("GOOGLE_API_KEY", "from-google");
    await allEvents(streamGoogle(model, context, { maxRetries: 0 }));
    expect(body().contents).toEqual([{ role: "user", parts: [{ text: "What is this?" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }] }]);
    expect(server!.requests[0]!.headers["x-goog-api-key"]).toBe("from-gemini");
    vi.stubEnv("GEMINI_API_KEY", "");
    await allEvents(streamGoogle(model, context, { maxRetries: 0 }));
    expect(server!.requests[1]!.headers["x-goog-api-key"]).toBe("from-google");
  });

  it("a base URL that already names the API version is used as it is", async () => {
    const model = await serve({ chunks: [textBody("ok")] });
    await run({ ...model, baseUrl: `${server!.url}/v1alpha/`, id: "models/gemini-2.5-flash" });
    expect(server!.requests[0]!.url).toBe("/v1alpha/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  });
});

describe("streamGoogle: continuation", () => {
  const gemini = (over: Partial<AssistantMessage>): AssistantMessage => ({
    role: "assistant",
    content: [],
    api: "google-generative-ai",
    provider: "google",
    model: "gemini-2.5-flash",
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
    stopReason: "toolUse",
    timestamp: 1,
    ...over,
  });

  it("replays the same model's thought parts and signatures, pairs responses with calls, echoes only wire ids", async () => {
    const model = await serve({ chunks: [textBody("done")] });
    const context: Context = {
      messages: [
        { role: "user", content: "Weather and time?", timestamp: 1 },
        gemini({
          content: [
            { type: "thinking", thinking: "Two tools.", signature: "dGhpbms=" },
            { type: "toolCall", id: "gemini_resp-1_0", name: "get_weather", arguments: { city: "Bern" }, signature: "c2lnLWE=" },
            { type: "toolCall", id: "fc-9", name: "get_time", arguments: {} },
          ],
        }),
        {
          role: "toolResult",
          toolCallId: "gemini_resp-1_0",
          toolName: "get_weather",
          content: [
            { type: "text", text: "Sunny" },
            { type: "image", data: "AAAA", mimeType: "image/png" },
          ],
          isError: false,
          timestamp: 2,
        },
        { role: "toolResult", toolCallId: "fc-9", toolName: "get_time", content: [{ type: "text", text: "no clock" }], isError: true, timestamp: 3 },
        gemini({ stopReason: "stop", content: [{ type: "text", text: "Sunny.", signature: "dGV4dA==" }] }),
        { role: "user", content: "Thanks", timestamp: 4 },
      ],
    };
    await run(model, context);
    expect(body().contents).toEqual([
      { role: "user", parts: [{ text: "Weather and time?" }] },
      {
        role: "model",
        parts: [
          { text: "Two tools.", thought: true, thoughtSignature: "dGhpbms=" },
          { functionCall: { name: "get_weather", args: { city: "Bern" } }, thoughtSignature: "c2lnLWE=" },
          { functionCall: { name: "get_time", args: {}, id: "fc-9" } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { output: "Sunny" } } },
          { functionResponse: { name: "get_time", response: { error: "no clock" }, id: "fc-9" } },
        ],
      },
      { role: "user", parts: [{ text: "Images returned by the tools above:" }, { inlineData: { mimeType: "image/png", data: "AAAA" } }] },
      { role: "model", parts: [{ text: "Sunny.", thoughtSignature: "dGV4dA==" }] },
      { role: "user", parts: [{ text: "Thanks" }] },
    ]);
  });

  it("continues another provider's transcript: no foreign signatures, thinking or ids; another Gemini model's signatures are not sent", async () => {
    const model = await serve({ chunks: [textBody("ok")] });
    const context: Context = {
      messages: [
        { role: "user", content: "Go", timestamp: 1 },
        gemini({
          api: "anthropic-messages",
          provider: "anthropic",
          model: "claude-sonnet-4-5",
          content: [
            { type: "thinking", thinking: "Claude reasoning", signature: "EqQBCkYIBRgCKkA=" },
            { type: "thinking", thinking: "", signature: "opaque", redacted: true },
            { type: "text", text: "Let me look." },
            { type: "toolCall", id: "toolu_01A", name: "read", arguments: { path: "a.txt" } },
          ],
        }),
        { role: "toolResult", toolCallId: "toolu_01A", toolName: "read", content: [{ type: "text", text: "A" }], isError: false, timestamp: 2 },
        gemini({
          model: "gemini-2.5-pro",
          stopReason: "stop",
          content: [
            { type: "thinking", thinking: "pro thought", signature: "cHJv" },
            { type: "text", text: "It says A.", signature: "cHJvLXQ=" },
          ],
        }),
        { role: "user", content: "And now?", timestamp: 3 },
      ],
    };
    await run(model, context);
    expect(body().contents).toEqual([
      { role: "user", parts: [{ text: "Go" }] },
      { role: "model", parts: [{ text: "Let me look." }, { functionCall: { name: "read", args: { path: "a.txt" } } }] },
      { role: "user", parts: [{ functionResponse: { name: "read", response: { output: "A" } } }] },
      { role: "model", parts: [{ text: "It says A." }] },
      { role: "user", parts: [{ text: "And now?" }] },
    ]);
  });
});

describe("streamGoogle: errors, retries, abort", () => {
  const json = { "content-type": "application/json" };

  it("an error object in the stream ends in one terminal error with Gemini's message; the partial text is kept", async () => {
    const model = await serve({
      chunks: [
        gsse(
          gchunk([{ text: "Part" }]),
          { error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" } },
          gchunk([{ text: "never" }], "STOP"),
        ),
      ],
    });
    const events = await run(model);
    expect(events.filter((e) => e.type === "error" || e.type === "done")).toHaveLength(1);
    expect(finalOf(events)).toMatchObject({
      stopReason: "error",
      errorMessage: "Gemini reported an error mid-stream: An internal error has occurred. (INTERNAL, code 500)",
      content: [{ type: "text", text: "Part" }],
    });
  });

  it("an UNAVAILABLE error before any content is retried", async () => {
    const model = await serve([
      { chunks: [gsse({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } })] },
      { chunks: [textBody("ok")] },
    ]);
    const events = await run(model, userContext(), { maxRetries: 1, retryBaseDelayMs: 1 });
    expect(types(events)[0]).toBe("retry");
    expect(finalOf(events).content).toEqual([{ type: "text", text: "ok" }]);
  });

  it("SAFETY, RECITATION and MALFORMED_FUNCTION_CALL end with an error saying why, keeping text and usage", async () => {
    const model = await serve([
      {
        chunks: [
          gsse(
            gchunk([{ text: "Here is how" }]),
            gchunk([], "SAFETY", USAGE, {
              candidates: [{ finishReason: "SAFETY", index: 0, safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH" }] }],
            }),
          ),
        ],
      },
      { chunks: [gsse(gchunk([{ text: "Lyrics" }], "RECITATION", USAGE))] },
      {
        chunks: [gsse({ candidates: [{ finishReason: "MALFORMED_FUNCTION_CALL", finishMessage: "Malformed function call: print(default_api.x(", index: 0 }] })],
      },
    ]);
    const safety = finalOf(await run(model));
    expect(safety).toMatchObject({ stopReason: "error", content: [{ type: "text", text: "Here is how" }], usage: { input: 12, output: 5 } });
    expect(safety.errorMessage).toBe("the answer was blocked by Gemini's safety filters (finishReason SAFETY).");
    expect(finalOf(await run(model)).errorMessage).toBe("the answer was stopped because it recited protected material (finishReason RECITATION).");
    expect(finalOf(await run(model)).errorMessage).toBe(
      "Gemini wrote a function call it could not parse; try again or simplify the tool's schema (finishReason MALFORMED_FUNCTION_CALL): Malformed function call: print(default_api.x(.",
    );
  });

  it("a blocked prompt (promptFeedback.blockReason) is an error naming the reason", async () => {
    const model = await serve({
      chunks: [gsse({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } })],
    });
    expect(finalOf(await run(model)).errorMessage).toBe(
      "Gemini blocked the prompt (blockReason PROHIBITED_CONTENT). Rephrase the request or adjust the safety settings (extraBody.safetySettings).",
    );
  });

  it("a stream that ends without a finishReason is an error that keeps the partial answer", async () => {
    const model = await serve({ chunks: [gsse(gchunk([{ text: "Half" }]))] });
    const message = finalOf(await run(model));
    expect(message).toMatchObject({ stopReason: "error", content: [{ type: "text", text: "Half" }] });
    expect(message.errorMessage).toBe(
      `The stream from ${server!.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse ended before the model finished (no finishReason); the partial answer is kept.`,
    );
  });

  it("429 and 503 are retried after retry-after; 400 and 403 are not", async () => {
    const quota = '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}';
    const model = await serve([
      { status: 429, headers: { ...json, "retry-after": "0" }, chunks: [quota] },
      {
        status: 503,
        headers: { ...json, "retry-after": "0" },
        chunks: ['{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}'],
      },
      { chunks: [textBody("ok")] },
    ]);
    const events = await run(model, userContext(), { maxRetries: 2 });
    expect(events.filter((e) => e.type === "retry")).toEqual([
      {
        type: "retry",
        attempt: 1,
        delayMs: 0,
        reason: expect.stringMatching(/^Rate limited \(HTTP 429\) at .*: Resource has been exhausted \(e\.g\. check quota\)\. \(code 429\)$/),
      },
      { type: "retry", attempt: 2, delayMs: 0, reason: expect.stringMatching(/^Provider error \(HTTP 503\) at .*: The model is overloaded/) },
    ]);
    expect(finalOf(events).stopReason).toBe("stop");
    await server!.close();

    const rejected = await serve([
      {
        status: 400,
        headers: json,
        chunks: ['{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified","status":"INVALID_ARGUMENT"}}'],
      },
      { status: 403, headers: json, chunks: ['{"error":{"code":403,"message":"Method doesn\'t allow unregistered callers.","status":"PERMISSION_DENIED"}}'] },
    ]);
    vi.stubEnv("GEMINI_API_KEY", "");
    vi.stubEnv("GOOGLE_API_KEY", "");
    const bad = await allEvents(streamGoogle(rejected, userContext(), { maxRetries: 2, retryBaseDelayMs: 1 }));
    expect(types(bad)).toEqual(["error"]);
    expect(finalOf(bad).errorMessage).toMatch(
      /^Request rejected \(HTTP 400\) at .*: \* GenerateContentRequest\.contents: contents is not specified \(code 400\)$/,
    );
    const denied = await allEvents(streamGoogle(rejected, userContext(), { maxRetries: 2, retryBaseDelayMs: 1 }));
    expect(types(denied)).toEqual(["error"]);
    expect(finalOf(denied).errorMessage).toMatch(
      /Access denied \(HTTP 403\).*No API key was sent: set GEMINI_API_KEY \(or GOOGLE_API_KEY\) or pass `apiKey`\.$/,
    );
    expect(server!.requests).toHaveLength(2);
  });

  it("a 429 without retry-after waits the RetryInfo retryDelay of its body; one over a minute is not waited for and says when", async () => {
    const quota = (retryDelay: string) =>
      JSON.stringify({
        error: {
          code: 429,
          message: "You exceeded your current quota, please check your plan and billing details.",
          status: "RESOURCE_EXHAUSTED",
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.QuotaFailure",
              violations: [
                {
                  quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                  quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                },
              ],
            },
            {
              "@type": "type.googleapis.com/google.rpc.Help",
              links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }],
            },
            { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
          ],
        },
      });
    const model = await serve([{ status: 429, headers: json, chunks: [quota("0.025s")] }, { chunks: [textBody("ok")] }]);
    const events = await run(model, userContext(), { maxRetries: 1, retryBaseDelayMs: 10_000 });
    expect(events.filter((e) => e.type === "retry")).toEqual([
      { type: "retry", attempt: 1, delayMs: 25, reason: expect.stringMatching(/^Rate limited \(HTTP 429\) at .*: You exceeded your current quota/) },
    ]);
    expect(finalOf(events)).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "ok" }] });
    await server!.close();

    const later = await serve({ status: 429, headers: json, chunks: [quota("120s")] });
    const refused = await run(later, userContext(), { maxRetries: 2 });
    expect(types(refused)).toEqual(["error"]);
    expect(finalOf(refused).errorMessage).toMatch(/^Rate limited \(HTTP 429\) at .*\. The provider asks to retry after 120 s\.$/);
    await server!.close();

    // A header, when there is one, wins over the body.
    const both = await serve([{ status: 429, headers: { ...json, "retry-after": "0" }, chunks: [quota("30s")] }, { chunks: [textBody("ok")] }]);
    const headed = await run(both, userContext(), { maxRetries: 1 });
    expect(headed.find((e) => e.type === "retry")).toMatchObject({ delayMs: 0 });
  });

  it("abort mid-stream ends with aborted, keeps the partial text, and the server sees the disconnect", async () => {
    const release = deferred();
    const model = await serve({ chunks: [gsse(gchunk([{ text: "partial" }])), () => release.promise, gsse(gchunk([{ text: "late" }], "STOP"))], end: "hang" });
    const controller = new AbortController();
    const stream = streamGoogle(model, userContext(), { maxRetries: 0, apiKey: "k", signal: controller.signal });
    const events: string[] = [];
    const done = new Promise<AssistantMessage>((resolve) =>
      stream.subscribe((event) => {
        events.push(event.type);
        if (event.type === "text_delta") controller.abort();
        if (event.type === "error") resolve(event.error);
      }),
    );
    const message = await done;
    expect(message).toMatchObject({ stopReason: "aborted", content: [{ type: "text", text: "partial" }] });
    expect(await server!.requests[0]!.closed).toEqual({ byClient: true });
    release.resolve();
    expect(events.at(-1)).toBe("error");
  });
});
