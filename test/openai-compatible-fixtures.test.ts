/**
 * Streams in the shapes real servers emit, written from their public format
 * documentation (OpenAI chat-completions streaming and function calling,
 * OpenRouter streaming/reasoning/error docs, DeepSeek reasoning model docs,
 * vLLM tool calling and reasoning outputs, Ollama OpenAI compatibility).
 * Each `data:` JSON is kept verbatim as such a server would write it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openAICompatibleModel, streamOpenAICompatible, type Model } from "../src/index.js";
import { allEvents, finalOf, types, userContext } from "./helpers/openai-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Raw lines as the server writes them; each JSON line becomes one `data:` event. */
function body(lines: string[], done = true): string {
  return lines.map((l) => (l.startsWith(":") ? `${l}\n\n` : `data: ${l}\n\n`)).join("") + (done ? "data: [DONE]\n\n" : "");
}

async function play(lines: string[], modelId: string, cost?: Model["cost"]) {
  server = await startSseServer({ chunks: [body(lines)] });
  const model = openAICompatibleModel({ id: modelId, baseUrl: `${server.url}/v1`, ...(cost ? { cost } : {}) });
  const events = await allEvents(streamOpenAICompatible(model, userContext(), { maxRetries: 0 }));
  return { events, message: finalOf(events) };
}

const oa = (choices: string, usage = "null") =>
  `{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":${choices},"usage":${usage}}`;

describe("OpenAI", () => {
  it("text with include_usage (final chunk with empty choices)", async () => {
    const { events, message } = await play(
      [
        oa(`[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]`),
        oa(`[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]`),
        oa(`[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]`),
        oa(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]`),
        oa(
          "[]",
          `{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`,
        ),
      ],
      "gpt-4o",
      { input: 2.5, output: 10, cacheRead: 1.25, cacheWrite: 0 },
    );
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_end", "done"]);
    expect(message.content).toEqual([{ type: "text", text: "Hello!" }]);
    expect(message.usage).toMatchObject({ input: 86, output: 300, cacheRead: 1920, cacheWrite: 0, totalTokens: 2306 });
    expect(message.usage.cost.total).toBeCloseTo((86 * 2.5 + 300 * 10 + 1920 * 1.25) / 1e6, 12);
  });

  it("parallel function calls, one after the other by index", async () => {
    const tc = (json: string) => oa(`[{"index":0,"delta":{"tool_calls":[${json}]},"logprobs":null,"finish_reason":null}]`);
    const { message } = await play(
      [
        oa(`[{"index":0,"delta":{"role":"assistant","content":null},"logprobs":null,"finish_reason":null}]`),
        tc(`{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}`),
        tc(`{"index":0,"function":{"arguments":"{\\"lo"}}`),
        tc(`{"index":0,"function":{"arguments":"cation\\": \\"Paris, France\\"}"}}`),
        tc(`{"index":1,"id":"call_ABCxyz","type":"function","function":{"name":"get_weather","arguments":""}}`),
        tc(`{"index":1,"function":{"arguments":"{\\"location\\": \\"Bogotá, Colombia\\"}"}}`),
        oa(`[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]`),
      ],
      "gpt-4o",
    );
    expect(message.stopReason).toBe("toolUse");
    expect(message.content).toEqual([
      { type: "toolCall", id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", arguments: { location: "Paris, France" } },
      { type: "toolCall", id: "call_ABCxyz", name: "get_weather", arguments: { location: "Bogotá, Colombia" } },
    ]);
  });
});

describe("OpenRouter", () => {
  const or = (delta: string, finish = "null", extra = "") =>
    `{"id":"gen-1741570283-abc","provider":"Anthropic","model":"anthropic/claude-3.7-sonnet:thinking","object":"chat.completion.chunk","created":1741570283,"choices":[{"index":0,"delta":${delta},"finish_reason":${finish},"native_finish_reason":${finish},"logprobs":null}]${extra}}`;

  it("reasoning (plain and reasoning_details with signature), processing comments, usage with cost", async () => {
    const { events, message } = await play(
      [
        ": OPENROUTER PROCESSING",
        or(
          `{"role":"assistant","content":"","reasoning":"The user","reasoning_details":[{"type":"reasoning.text","text":"The user","format":"anthropic-claude-v1","index":0}]}`,
        ),
        ": OPENROUTER PROCESSING",
        or(
          `{"role":"assistant","content":"","reasoning":" says hi.","reasoning_details":[{"type":"reasoning.text","text":" says hi.","format":"anthropic-claude-v1","index":0}]}`,
        ),
        or(
          `{"role":"assistant","content":"","reasoning":null,"reasoning_details":[{"type":"reasoning.text","signature":"ErUBCkYIBRgCIkB","format":"anthropic-claude-v1","index":0}]}`,
        ),
        or(`{"role":"assistant","content":"Hi there!","reasoning":null}`),
        or(`{"role":"assistant","content":"","reasoning":null}`, `"stop"`),
        or(
          `{"role":"assistant","content":"","reasoning":null}`,
          "null",
          `,"usage":{"prompt_tokens":37,"completion_tokens":52,"total_tokens":89,"cost":0.000891,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"cost_details":{"upstream_inference_cost":null},"completion_tokens_details":{"reasoning_tokens":30}}`,
        ),
      ],
      "anthropic/claude-3.7-sonnet:thinking",
    );
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
    expect(message.content).toEqual([
      { type: "thinking", thinking: "The user says hi.", signature: "ErUBCkYIBRgCIkB" },
      { type: "text", text: "Hi there!" },
    ]);
    expect(message.usage).toMatchObject({ input: 37, output: 52, totalTokens: 89 });
  });

  it("a mid-stream error chunk (finish_reason error) ends the message with the provider's words", async () => {
    const { message } = await play(
      [
        or(`{"role":"assistant","content":"Partial"}`),
        `{"id":"cmpl-abc123","object":"chat.completion.chunk","created":1234567890,"model":"gpt-3.5-turbo","provider":"openai","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`,
      ],
      "openai/gpt-3.5-turbo",
    );
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("The provider reported an error mid-stream: Provider disconnected unexpectedly (code server_error)");
    expect(message.content).toEqual([{ type: "text", text: "Partial" }]);
  });
});

describe("DeepSeek", () => {
  const ds = (delta: string, finish = "null", usage = "") =>
    `{"id":"2f6d9c3e-5f1d-4a5c-9e36-7f4b1e0f1a2b","object":"chat.completion.chunk","created":1738000000,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${usage}}`;

  it("reasoning_content before content, keep-alive comments, cache-hit usage", async () => {
    const { events, message } = await play(
      [
        ds(`{"role":"assistant","content":null,"reasoning_content":""}`),
        ds(`{"content":null,"reasoning_content":"Okay"}`),
        ": keep-alive",
        ds(`{"content":null,"reasoning_content":", 9.11 < 9.8."}`),
        ds(`{"content":"9.8 is","reasoning_content":null}`),
        ds(`{"content":" larger.","reasoning_content":null}`),
        ds(
          `{"content":"","reasoning_content":null}`,
          `"stop"`,
          `,"usage":{"prompt_tokens":18,"completion_tokens":120,"total_tokens":138,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":95},"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":18}`,
        ),
      ],
      "deepseek-reasoner",
    );
    expect(types(events).slice(0, 2)).toEqual(["start", "thinking_start"]);
    expect(message.content).toEqual([
      { type: "thinking", thinking: "Okay, 9.11 < 9.8." },
      { type: "text", text: "9.8 is larger." },
    ]);
    expect(message.usage).toMatchObject({ input: 18, output: 120, cacheRead: 0, totalTokens: 138 });
  });

  it("reads prompt_cache_hit_tokens when prompt_tokens_details is absent", async () => {
    const { message } = await play(
      [
        ds(
          `{"content":"ok"}`,
          `"stop"`,
          `,"usage":{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}`,
        ),
      ],
      "deepseek-chat",
    );
    expect(message.usage).toMatchObject({ input: 36, cacheRead: 64, output: 5, totalTokens: 105 });
  });
});

describe("vLLM", () => {
  const vl = (choices: string, usage = "") =>
    `{"id":"chatcmpl-5b1e7d1c2a","object":"chat.completion.chunk","created":1738000000,"model":"Qwen/Qwen3-8B","choices":${choices}${usage}}`;

  it("reasoning, a tool call with name first and arguments after, usage with null details", async () => {
    const { message } = await play(
      [
        vl(`[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]`),
        vl(`[{"index":0,"delta":{"reasoning_content":"Need the weather."},"logprobs":null,"finish_reason":null}]`),
        vl(
          `[{"index":0,"delta":{"tool_calls":[{"id":"chatcmpl-tool-0f8d1b","type":"function","index":0,"function":{"name":"get_weather"}}]},"logprobs":null,"finish_reason":null}]`,
        ),
        vl(`[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\""}}]},"logprobs":null,"finish_reason":null}]`),
        vl(`[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"Dallas\\"}"}}]},"logprobs":null,"finish_reason":null}]`),
        vl(`[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}]`),
        vl("[]", `,"usage":{"prompt_tokens":190,"total_tokens":230,"completion_tokens":40,"prompt_tokens_details":null}`),
      ],
      "Qwen/Qwen3-8B",
    );
    expect(message.stopReason).toBe("toolUse");
    expect(message.content).toEqual([
      { type: "thinking", thinking: "Need the weather." },
      { type: "toolCall", id: "chatcmpl-tool-0f8d1b", name: "get_weather", arguments: { city: "Dallas" } },
    ]);
    expect(message.usage).toMatchObject({ input: 190, output: 40, cacheRead: 0, totalTokens: 230 });
  });
});

describe("Ollama", () => {
  const ol = (delta: string, finish = "null") =>
    `{"id":"chatcmpl-527","object":"chat.completion.chunk","created":1738000000,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":${delta},"finish_reason":${finish}}]}`;

  it("reasoning field, a whole tool call in one chunk, finish_reason stop after a tool call", async () => {
    const { message, events } = await play(
      [
        ol(`{"role":"assistant","content":"","reasoning":"User wants Paris weather."}`),
        ol(
          `{"role":"assistant","content":"","tool_calls":[{"id":"call_h2k4mz1q","index":0,"type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}`,
        ),
        ol(`{"role":"assistant","content":""}`, `"stop"`),
        `{"id":"chatcmpl-527","object":"chat.completion.chunk","created":1738000000,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":151,"completion_tokens":37,"total_tokens":188}}`,
      ],
      "qwen3:8b",
    );
    expect(events.at(-1)).toMatchObject({ type: "done", reason: "toolUse" });
    expect(message.content).toEqual([
      { type: "thinking", thinking: "User wants Paris weather." },
      { type: "toolCall", id: "call_h2k4mz1q", name: "get_weather", arguments: { city: "Paris" } },
    ]);
    expect(message.usage).toMatchObject({ input: 151, output: 37, totalTokens: 188 });
  });
});
