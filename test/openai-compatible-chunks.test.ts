import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAICompatibleModel, streamOpenAICompatible, type AssistantMessage, type AssistantMessageEvent, type Model } from "../src/index.js";
import { allEvents, chunk, finalOf, sseBody, usageChunk, userContext } from "./helpers/openai-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";

// A body that exercises every mapping, with multi-byte UTF-8 (2, 3 and 4 bytes) in text, thinking and arguments.
const lfBody =
  ": keep-alive comment\n\n" +
  sseBody(
    chunk({ role: "assistant", content: "" }),
    chunk({ reasoning_content: "Réfléchir… 思考 " }),
    chunk({ reasoning_content: "🤔 done" }),
    chunk({ content: "Voilà: 🙂 " }),
    chunk({ content: "naïve — 日本語" }),
    chunk({ tool_calls: [{ index: 0, id: "call_α", type: "function", function: { name: "sum", arguments: '{"a":' } }] }),
    chunk({ tool_calls: [{ index: 1, id: "call_β", type: "function", function: { name: "echo", arguments: '{"text":"é' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '1,"b":2}' } }] }),
    chunk({ tool_calls: [{ index: 1, function: { arguments: '🎉 ✓"}' } }] }),
    chunk({}, "tool_calls"),
    usageChunk({ prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 }),
  );
const crlfBody = lfBody.replace(/\n/g, "\r\n");

type Run = { types: string[]; message: AssistantMessage };

let server: SseServer;
let model: Model;
/** The pieces the next request is answered with. */
let nextPieces: Uint8Array[] = [];
/** The delay between pieces of the next response (undefined: none). */
let nextDelay: number | undefined = 0;

beforeAll(async () => {
  server = await startSseServer(() => ({ chunks: nextPieces, chunkDelayMs: nextDelay }));
  model = openAICompatibleModel({ id: "test-model", baseUrl: server.url });
});
afterAll(() => server.close());

async function run(pieces: Uint8Array[]): Promise<Run> {
  nextPieces = pieces;
  const events: AssistantMessageEvent[] = await allEvents(streamOpenAICompatible(model, userContext()));
  const message = finalOf(events);
  return { types: events.map((e) => e.type), message: { ...message, timestamp: 0 } };
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(start, p));
    start = p;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

describe("chunk boundaries", () => {
  const lf = new TextEncoder().encode(lfBody);
  const crlf = new TextEncoder().encode(crlfBody);
  let reference: Run;

  beforeAll(async () => {
    reference = await run([lf]);
  });

  it("the reference run is right", () => {
    expect(reference.message).toMatchObject({
      stopReason: "toolUse",
      content: [
        { type: "thinking", thinking: "Réfléchir… 思考 🤔 done" },
        { type: "text", text: "Voilà: 🙂 naïve — 日本語" },
        { type: "toolCall", id: "call_α", name: "sum", arguments: { a: 1, b: 2 } },
        { type: "toolCall", id: "call_β", name: "echo", arguments: { text: "é🎉 ✓" } },
      ],
      usage: { input: 12, output: 34, totalTokens: 46 },
    });
  });

  it("any split of the byte stream (LF or CRLF) gives the same events and final message", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uniqueArray(fc.integer({ min: 1, max: lf.length - 1 }), { maxLength: 16 }), async (useCrlf, cuts) => {
        const bytes = useCrlf ? crlf : lf;
        const result = await run(
          split(
            bytes,
            cuts.filter((c) => c < bytes.length),
          ),
        );
        expect(result).toEqual(reference);
      }),
      { numRuns: 60 },
    );
  });

  it("splits inside every multi-byte character give the same result", async () => {
    const cuts: number[] = [];
    const text = lfBody;
    for (let i = 0, offset = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (width > 1) cuts.push(offset + 1);
      offset += width;
      i += cp > 0xffff ? 2 : 1;
    }
    expect(cuts.length).toBeGreaterThan(10);
    expect(await run(split(lf, cuts))).toEqual(reference);
  });

  it("splits inside every `data:` prefix and right after each newline give the same result", async () => {
    const cuts: number[] = [];
    for (let i = lfBody.indexOf("data:"); i >= 0; i = lfBody.indexOf("data:", i + 1)) cuts.push(i + 2);
    // ASCII up to the first `data:` of a line, so char and byte offsets agree for these positions.
    const byteCuts = cuts.map((c) => new TextEncoder().encode(lfBody.slice(0, c)).length);
    expect(await run(split(lf, byteCuts))).toEqual(reference);
  });

  it("one byte per write gives the same result", async () => {
    const cuts = Array.from({ length: lf.length - 1 }, (_, i) => i + 1);
    // No delay between writes here: thousands of writes, coalesced as the kernel likes.
    nextDelay = undefined;
    try {
      expect(await run(split(lf, cuts))).toEqual(reference);
    } finally {
      nextDelay = 0;
    }
  });
});
