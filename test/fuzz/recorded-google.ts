/**
 * Gemini `streamGenerateContent?alt=sse` bodies in the shape
 * generativelanguage.googleapis.com sends (CRLF event separators, usage on
 * every chunk, no end marker), for the split fuzzer: thought parts with a
 * signature, whole parallel function calls without ids, multi-byte text, and
 * a SAFETY stop after partial text.
 */
import { googleModel, streamGoogle } from "../../src/index.js";
import type { RecordedStream } from "./recorded-streams.js";

const event = (json: string) => `data: ${json}\r\n\r\n`;
const chunk = (parts: string, tail = "", usage = `{"promptTokenCount":8,"totalTokenCount":8,"promptTokensDetails":[{"modality":"TEXT","tokenCount":8}]}`) =>
  event(
    `{"candidates": [{"content": {"parts": [${parts}],"role": "model"}${tail},"index": 0}],"usageMetadata": ${usage},"modelVersion": "gemini-2.5-flash","responseId": "mK8uaOGhBqSlz7IP4YeQ0Qs"}`,
  );
const finalUsage = `{"promptTokenCount":8,"candidatesTokenCount":21,"totalTokenCount":61,"thoughtsTokenCount":32,"promptTokensDetails":[{"modality":"TEXT","tokenCount":8}]}`;

const gemini = {
  protocol: "google-generative-ai",
  modelAt: (baseUrl: string) => googleModel("gemini-2.5-flash", { baseUrl, reasoning: true }),
  stream: streamGoogle,
};

/** The recorded Gemini streams. */
export const RECORDED_GOOGLE: RecordedStream[] = [
  {
    name: "Gemini thought summary, then text in pieces with the signature on the last part",
    model: "gemini-2.5-flash",
    ...gemini,
    body:
      chunk(`{"text": "**Greeting in German**\\n\\nThe user wants a greeting — short, with “Grüße”.","thought": true}`) +
      chunk(`{"text": "Grüße aus Zürich 👋🏽! "}`) +
      chunk(`{"text": "Schönen Tag — 東京 sends ça va.","thoughtSignature": "CiQB0e2Kb7xqv3L5vZp0mT0kJ0m3Yw6N0Hc2QW4V9d0aL1QeYgo="}`) +
      chunk(`{"text": ""}`, `,"finishReason": "STOP"`, finalUsage),
    expect: {
      stopReason: "stop",
      content: [
        { type: "thinking", thinking: "**Greeting in German**\n\nThe user wants a greeting — short, with “Grüße”." },
        { type: "text", text: "Grüße aus Zürich 👋🏽! Schönen Tag — 東京 sends ça va.", signature: "CiQB0e2Kb7xqv3L5vZp0mT0kJ0m3Yw6N0Hc2QW4V9d0aL1QeYgo=" },
      ],
    },
  },
  {
    name: "Gemini parallel function calls in one chunk, no ids, signature on the first",
    model: "gemini-2.5-flash",
    ...gemini,
    body: chunk(
      `{"functionCall": {"name": "get_weather","args": {"city": "São Paulo"}},"thoughtSignature": "CikB0e2Kb2Zx"},{"functionCall": {"name": "get_time","args": {"tz": "Asia/東京","verbose": false}}}`,
      `,"finishReason": "STOP"`,
      finalUsage,
    ),
    expect: {
      stopReason: "toolUse",
      content: [
        { type: "toolCall", id: "gemini_mK8uaOGhBqSlz7IP4YeQ0Qs_0", name: "get_weather", arguments: { city: "São Paulo" }, signature: "CikB0e2Kb2Zx" },
        { type: "toolCall", id: "gemini_mK8uaOGhBqSlz7IP4YeQ0Qs_1", name: "get_time", arguments: { tz: "Asia/東京", verbose: false } },
      ],
    },
  },
  {
    name: "Gemini SAFETY stop after partial text, with safety ratings",
    model: "gemini-2.5-flash",
    ...gemini,
    body:
      chunk(`{"text": "Here is the first stép"}`) +
      event(
        `{"candidates": [{"finishReason": "SAFETY","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH","blocked": true},{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"}]}],"usageMetadata": ${finalUsage},"modelVersion": "gemini-2.5-flash","responseId": "mK8uaOGhBqSlz7IP4YeQ0Qs"}`,
      ),
    expect: {
      stopReason: "error",
      errorMessage: "the answer was blocked by Gemini's safety filters (finishReason SAFETY).",
      content: [{ type: "text", text: "Here is the first stép" }],
    },
  },
];
