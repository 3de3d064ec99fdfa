/**
 * Anthropic Messages stream bodies in the shape api.anthropic.com sends
 * (`event:` lines before each `data:`, `ping`, a `message_delta` with the
 * final usage, `message_stop`), for the split fuzzer: thinking with its
 * signature then multi-byte text, text then two tool calls with arguments
 * in pieces, and redacted thinking ending in an `overloaded_error` mid-answer.
 */
import { anthropicModel, streamAnthropic } from "../../src/index.js";
import type { RecordedStream } from "./recorded-streams.js";

const ev = (type: string, json: string) => `event: ${type}\ndata: ${json}\n\n`;
const start = (usage: string) =>
  ev(
    "message_start",
    `{"type":"message_start","message":{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":${usage}}}`,
  );
const blockStart = (index: number, block: string) => ev("content_block_start", `{"type":"content_block_start","index":${index},"content_block":${block}}`);
const delta = (index: number, d: string) => ev("content_block_delta", `{"type":"content_block_delta","index":${index},"delta":${d}}`);
const blockStop = (index: number) => ev("content_block_stop", `{"type":"content_block_stop","index":${index}}`);
const end = (stop: string, usage: string) =>
  ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"${stop}","stop_sequence":null},"usage":${usage}}`) +
  ev("message_stop", `{"type":"message_stop"}`);
const ping = ev("ping", `{"type": "ping"}`);

const claude = {
  protocol: "anthropic-messages",
  modelAt: (baseUrl: string) => anthropicModel("claude-sonnet-4-5", { baseUrl, reasoning: true }),
  stream: streamAnthropic,
};

/** The recorded Anthropic streams. */
export const RECORDED_ANTHROPIC: RecordedStream[] = [
  {
    name: "Claude thinking with a signature, then multi-byte text; cache usage",
    model: "claude-sonnet-4-5",
    ...claude,
    body:
      start(`{"input_tokens":12,"cache_creation_input_tokens":2048,"cache_read_input_tokens":0,"output_tokens":4,"service_tier":"standard"}`) +
      blockStart(0, `{"type":"thinking","thinking":"","signature":""}`) +
      ping +
      delta(0, `{"type":"thinking_delta","thinking":"The user greets in German — “Grüße”."}`) +
      delta(0, `{"type":"thinking_delta","thinking":" Answer briefly 👋🏽."}`) +
      delta(0, `{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+OFUUnyOnR4Q=="}`) +
      blockStop(0) +
      blockStart(1, `{"type":"text","text":""}`) +
      delta(1, `{"type":"text_delta","text":"Grüße aus Zürich! "}`) +
      delta(1, `{"type":"text_delta","text":""}`) +
      delta(1, `{"type":"text_delta","text":"東京 sends ça va — Ω≈ç√∫."}`) +
      blockStop(1) +
      end("end_turn", `{"output_tokens":58}`),
    expect: {
      stopReason: "stop",
      content: [
        {
          type: "thinking",
          thinking: "The user greets in German — “Grüße”. Answer briefly 👋🏽.",
          signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+OFUUnyOnR4Q==",
        },
        { type: "text", text: "Grüße aus Zürich! 東京 sends ça va — Ω≈ç√∫." },
      ],
    },
  },
  {
    name: "Claude text then two tool calls, input_json_delta in pieces (CRLF line endings)",
    model: "claude-sonnet-4-5",
    ...claude,
    body: (
      start(`{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"output_tokens":2}`) +
      blockStart(0, `{"type":"text","text":""}`) +
      delta(0, `{"type":"text_delta","text":"Let me check the fiłes."}`) +
      blockStop(0) +
      blockStart(1, `{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"read","input":{}}`) +
      delta(1, `{"type":"input_json_delta","partial_json":""}`) +
      delta(1, `{"type":"input_json_delta","partial_json":"{\\"path\\": \\"/tmp/na"}`) +
      delta(1, `{"type":"input_json_delta","partial_json":"ïve.txt\\"}"}`) +
      blockStop(1) +
      ping +
      blockStart(2, `{"type":"tool_use","id":"toolu_01AbCdEf","name":"get_time","input":{}}`) +
      delta(2, `{"type":"input_json_delta","partial_json":"{\\"tz\\":\\"Asia/東京\\"}"}`) +
      blockStop(2) +
      end("tool_use", `{"output_tokens":89}`)
    ).replace(/\n/g, "\r\n"),
    expect: {
      stopReason: "toolUse",
      content: [
        { type: "text", text: "Let me check the fiłes." },
        { type: "toolCall", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "read", arguments: { path: "/tmp/naïve.txt" } },
        { type: "toolCall", id: "toolu_01AbCdEf", name: "get_time", arguments: { tz: "Asia/東京" } },
      ],
    },
  },
  {
    name: "Claude redacted thinking, partial text, then overloaded_error mid-stream",
    model: "claude-sonnet-4-5",
    ...claude,
    body:
      start(`{"input_tokens":30,"output_tokens":1}`) +
      blockStart(0, `{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}`) +
      blockStop(0) +
      blockStart(1, `{"type":"text","text":""}`) +
      delta(1, `{"type":"text_delta","text":"Half an ansẅer"}`) +
      ev("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`),
    expect: {
      stopReason: "error",
      errorMessage: "Anthropic reported an error mid-stream: Overloaded (overloaded_error)",
      content: [
        { type: "thinking", thinking: "", signature: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP", redacted: true },
        { type: "text", text: "Half an ansẅer" },
      ],
    },
  },
];
