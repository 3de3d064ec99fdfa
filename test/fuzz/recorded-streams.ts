/**
 * Stream bodies in the shapes real OpenAI-compatible servers send (OpenAI,
 * DeepSeek, OpenRouter, vLLM/llama.cpp), kept byte for byte, for the split
 * fuzzer. They mix what a splitter can break: multi-byte UTF-8, CRLF line
 * endings, comments, `event:`/`id:` fields, tool-call arguments in pieces,
 * usage chunks and `[DONE]`.
 */
import type { AssistantMessage, Model, StreamFn } from "../../src/index.js";
import { RECORDED_ANTHROPIC } from "./recorded-anthropic.js";
import { RECORDED_GOOGLE } from "./recorded-google.js";

/**
 * One recorded body and what its final message must contain. `protocol`
 * names the wire dialect (default "openai-completions"); `modelAt` and
 * `stream` say how to call a server at a base URL (default: the
 * OpenAI-compatible adapter with `model` as the id).
 */
export type RecordedStream = {
  name: string;
  model: string;
  body: string;
  expect: Partial<AssistantMessage>;
  protocol?: string;
  modelAt?: (baseUrl: string) => Model;
  stream?: StreamFn;
};

const openai = (choices: string, usage = "null") =>
  `data: {"id":"chatcmpl-B9M","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9","choices":${choices},"usage":${usage}}\n\n`;
const delta = (d: string, finish = "null") => openai(`[{"index":0,"delta":${d},"logprobs":null,"finish_reason":${finish}}]`);

/** The recorded streams. */
export const RECORDED_STREAMS: RecordedStream[] = [
  {
    name: "OpenAI text with multi-byte characters and include_usage",
    model: "gpt-4o",
    body:
      delta(`{"role":"assistant","content":"","refusal":null}`) +
      delta(`{"content":"Grüße aus "}`) +
      delta(`{"content":"東京 👋🏽 — ça va?"}`) +
      delta(`{"content":" Ω≈ç√∫"}`) +
      delta(`{}`, `"stop"`) +
      openai("[]", `{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}`) +
      "data: [DONE]\n\n",
    expect: { stopReason: "stop", content: [{ type: "text", text: "Grüße aus 東京 👋🏽 — ça va? Ω≈ç√∫" }] },
  },
  {
    name: "OpenAI parallel tool calls, arguments in fragments",
    model: "gpt-4o",
    body:
      delta(`{"role":"assistant","content":null}`) +
      delta(`{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}`) +
      delta(`{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\"São"}}]}`) +
      delta(`{"tool_calls":[{"index":0,"function":{"arguments":" Paulo\\"}"}}]}`) +
      delta(`{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\\"tz\\":"}}]}`) +
      delta(`{"tool_calls":[{"index":1,"function":{"arguments":"\\"Asia/東京\\"}"}}]}`) +
      delta(`{}`, `"tool_calls"`) +
      "data: [DONE]\n\n",
    expect: {
      stopReason: "toolUse",
      content: [
        { type: "toolCall", id: "call_a", name: "get_weather", arguments: { city: "São Paulo" } },
        { type: "toolCall", id: "call_b", name: "get_time", arguments: { tz: "Asia/東京" } },
      ],
    },
  },
  {
    name: "DeepSeek reasoning_content then content, CRLF line endings",
    model: "deepseek-reasoner",
    body: [
      `data: {"id":"d1","object":"chat.completion.chunk","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Hmm, 2+2…"},"finish_reason":null}]}`,
      `data: {"id":"d1","object":"chat.completion.chunk","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":null,"reasoning_content":" is 4."},"finish_reason":null}]}`,
      `data: {"id":"d1","object":"chat.completion.chunk","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":"4","reasoning_content":null},"finish_reason":null}]}`,
      `data: {"id":"d1","object":"chat.completion.chunk","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17,"completion_tokens_details":{"reasoning_tokens":5},"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":10}}`,
      "data: [DONE]",
    ]
      .map((line) => `${line}\r\n\r\n`)
      .join(""),
    expect: {
      stopReason: "stop",
      content: [
        { type: "thinking", thinking: "Hmm, 2+2… is 4." },
        { type: "text", text: "4" },
      ],
    },
  },
  {
    name: "OpenRouter with processing comments, reasoning_details and cost",
    model: "openai/gpt-4o-mini",
    body:
      ": OPENROUTER PROCESSING\n\n" +
      ": OPENROUTER PROCESSING\n\n" +
      `data: {"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Think","reasoning_details":[{"type":"reasoning.text","text":"Think","format":"unknown","index":0}]},"finish_reason":null,"native_finish_reason":null}]}\n\n` +
      `data: {"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi – “quoted” ✓"},"finish_reason":null,"native_finish_reason":null}]}\n\n` +
      `data: {"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop","native_finish_reason":"stop"}]}\n\n` +
      `data: {"id":"gen-1","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1,"choices":[],"usage":{"prompt_tokens":8,"completion_tokens":4,"total_tokens":12,"cost":0.0000036}}\n\n` +
      "data: [DONE]\n\n",
    expect: {
      stopReason: "stop",
      content: [
        { type: "thinking", thinking: "Think" },
        { type: "text", text: "Hi – “quoted” ✓" },
      ],
    },
  },
  {
    name: "llama.cpp-style: event and id fields, no space after the colon, text then a tool call",
    model: "qwen3",
    body:
      `id: 1\nevent: message\ndata:{"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me check "},"finish_reason":null}]}\n\n` +
      `id: 2\ndata:{"choices":[{"index":0,"delta":{"content":"the fiłe."},"finish_reason":null}]}\n\n` +
      `id: 3\ndata:{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"read","arguments":"{\\"path\\":\\"/tmp/naïve.txt\\"}"}}]},"finish_reason":null}]}\n\n` +
      `id: 4\ndata:{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":30,"completion_tokens":20,"total_tokens":50}}\n\n` +
      "data:[DONE]\n\n",
    expect: {
      stopReason: "toolUse",
      content: [
        { type: "text", text: "Let me check the fiłe." },
        { type: "toolCall", id: "t1", name: "read", arguments: { path: "/tmp/naïve.txt" } },
      ],
    },
  },
  ...RECORDED_GOOGLE,
  ...RECORDED_ANTHROPIC,
];
