/**
 * The contract-§2 stream options on chat-completions, as each server takes
 * them (request bodies seen by a loopback server): `reasoning_effort`
 * (OpenRouter: `reasoning`), `max_completion_tokens` for OpenAI's reasoning
 * models, `prompt_cache_key` for OpenAI, `response_format` for `output`,
 * `tool_choice`, sampling, and `extraBody` last.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openAICompatibleModel, openRouterModel, streamOpenAICompatible, type Model, type StreamOptions } from "../src/index.js";
import { allEvents, chunk, finalOf, sseBody, userContext } from "./helpers/openai-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOOLS = [{ name: "sum", description: "Add.", parameters: { type: "object", properties: { a: { type: "number" } } } }];

/** The body of one request made with `options` (the answer is a plain "ok"). */
async function bodyOf(model: (baseUrl: string) => Model, options: StreamOptions, tools = false): Promise<Record<string, unknown>> {
  server = await startSseServer({ chunks: [sseBody(chunk({ content: "ok" }), chunk({}, "stop"))] });
  const events = await allEvents(
    streamOpenAICompatible(model(`${server.url}/v1`), userContext("Hi", tools ? { tools: TOOLS } : {}), { apiKey: "k", maxRetries: 0, ...options }),
  );
  expect(finalOf(events).stopReason).toBe("stop");
  const body = server.requests[0]!.json() as Record<string, unknown>;
  await server.close();
  server = undefined;
  return body;
}

const openai =
  (init: Partial<Model> = {}) =>
  (baseUrl: string) =>
    openAICompatibleModel({ id: "o4-mini", baseUrl, provider: "openai", ...init });
const local = (baseUrl: string) => openAICompatibleModel({ id: "qwen3:8b", baseUrl });
const openrouter =
  (init: Partial<Model> = {}) =>
  (baseUrl: string) =>
    openRouterModel("openai/gpt-5-mini", { baseUrl, ...init });

describe("chat-completions: reasoning and token limits", () => {
  it("an OpenAI reasoning model gets max_completion_tokens (never max_tokens), reasoning_effort and prompt_cache_key", async () => {
    const body = await bodyOf(openai({ reasoning: true }), { maxTokens: 500, reasoning: "high", sessionId: "chat-42" });
    expect(body).toMatchObject({ max_completion_tokens: 500, reasoning_effort: "high", prompt_cache_key: "chat-42" });
    expect(body).not.toHaveProperty("max_tokens");
  });

  it("an OpenAI model that does not reason keeps max_tokens; reasoning 'off' sends no effort; cacheRetention 'none' no cache key", async () => {
    const body = await bodyOf(openai({ id: "gpt-4o-mini" }), { maxTokens: 200, reasoning: "off", sessionId: "chat-42", cacheRetention: "none" });
    expect(body.max_tokens).toBe(200);
    for (const key of ["max_completion_tokens", "reasoning_effort", "prompt_cache_key", "reasoning"]) expect(body).not.toHaveProperty(key);
  });

  it("another OpenAI-compatible server gets reasoning_effort and max_tokens, and no OpenAI-only cache key", async () => {
    const body = await bodyOf(local, { maxTokens: 64, reasoning: "low", sessionId: "chat-42" });
    expect(body).toMatchObject({ max_tokens: 64, reasoning_effort: "low" });
    expect(body).not.toHaveProperty("prompt_cache_key");
  });

  it("OpenRouter gets reasoning { effort } instead of reasoning_effort; a reasoning model without a level { enabled: true }; 'off' none", async () => {
    const levelled = await bodyOf(openrouter({ reasoning: true }), { reasoning: "medium" });
    expect(levelled.reasoning).toEqual({ effort: "medium" });
    expect(levelled).not.toHaveProperty("reasoning_effort");
    expect((await bodyOf(openrouter({ reasoning: true }), {})).reasoning).toEqual({ enabled: true });
    const off = await bodyOf(openrouter({ reasoning: true }), { reasoning: "off" });
    expect(off).not.toHaveProperty("reasoning");
    expect(off).not.toHaveProperty("reasoning_effort");
    expect(await bodyOf(openrouter(), {})).not.toHaveProperty("reasoning");
  });
});

describe("chat-completions: tools, structured output, sampling, extraBody", () => {
  it("toolChoice as a name or a mode (only with tools), output as response_format json_schema, top_p/stop/seed", async () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const body = await bodyOf(
      local,
      { toolChoice: { name: "sum" }, output: { schema, name: "the answer" }, topP: 0.9, stop: ["END"], seed: 7, temperature: 0.2 },
      true,
    );
    expect(body).toMatchObject({
      tool_choice: { type: "function", function: { name: "sum" } },
      response_format: { type: "json_schema", json_schema: { name: "the_answer", schema, strict: false } },
      top_p: 0.9,
      stop: ["END"],
      seed: 7,
      temperature: 0.2,
    });
    expect((await bodyOf(local, { toolChoice: "required" }, true)).tool_choice).toBe("required");
    // The API refuses tool_choice without tools.
    expect(await bodyOf(local, { toolChoice: "none" })).not.toHaveProperty("tool_choice");
  });

  it("extraBody is merged last, over what tinyagent set (OpenRouter's reasoning included)", async () => {
    const body = await bodyOf(openrouter({ reasoning: true }), {
      reasoning: "low",
      maxTokens: 10,
      extraBody: { max_tokens: 20, reasoning: { max_tokens: 1024 }, provider: { order: ["groq"] } },
    });
    expect(body).toMatchObject({ max_tokens: 20, reasoning: { max_tokens: 1024 }, provider: { order: ["groq"] } });
  });
});
