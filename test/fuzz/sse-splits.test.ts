/**
 * Fuzz: the SSE parser and the OpenAI-compatible adapter over real HTTP must
 * not care where the network splits a stream. 10,000 (`npm run fuzz`) random splittings of
 * recorded stream bodies (cuts anywhere, inside UTF-8 characters, between
 * CR and LF, one byte at a time) give the same events and a byte-identical
 * final message (the timestamp aside, which is taken per request).
 *
 * Speed: one lean loopback server replays the split named in each request's
 * path, each piece as its own HTTP chunk with an event-loop turn between
 * pieces (without that turn the client reads all pieces at once, as the
 * client and server share this process), and 50 requests run at once.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAICompatibleModel, streamOpenAICompatible, type AssistantMessageEvent } from "../../src/index.js";
import { allEvents, finalOf, userContext } from "../helpers/openai-chunks.js";
import { RECORDED_STREAMS } from "./recorded-streams.js";

// Splittings per protocol, each a real HTTP request (~0.6 ms each): 1,000 in `npm test`,
// the 10,000 in `npm run fuzz`; FUZZ_SSE_SPLITS (a multiple of BATCH) changes the count.
const SPLITS_PER_PROTOCOL = Number(process.env.FUZZ_SSE_SPLITS ?? 1_000);
const PROTOCOLS = new Set(RECORDED_STREAMS.map((s) => s.protocol ?? "openai-completions")).size;
const TOTAL_SPLITS = SPLITS_PER_PROTOCOL * PROTOCOLS;
const BATCH = 50;

const bodies = RECORDED_STREAMS.map((stream) => Buffer.from(stream.body, "utf8"));
const splits = new Map<string, Buffer[]>();
let server: Server;
let baseUrl: string;
let nextId = 0;

// A turn of the event loop between pieces, so the client reads them apart.
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeAll(async () => {
  server = createServer(async (req, res) => {
    req.resume();
    const id = /^\/s\/(\d+)\//.exec(req.url ?? "")?.[1] ?? "";
    const pieces = splits.get(id) ?? [];
    splits.delete(id);
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const piece of pieces) {
      if (res.destroyed) return;
      res.write(piece);
      await yieldTurn();
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The body of `fixture` cut at `cuts` (byte offsets), served once. */
async function play(fixture: number, cuts: number[]): Promise<AssistantMessageEvent[]> {
  const body = bodies[fixture]!;
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < body.length).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, body.length]) {
    pieces.push(body.subarray(from, point));
    from = point;
  }
  const id = String(nextId++);
  splits.set(id, pieces);
  const recorded = RECORDED_STREAMS[fixture]!;
  const at = `${baseUrl}/s/${id}/v1`;
  const model = recorded.modelAt?.(at) ?? openAICompatibleModel({ id: recorded.model, baseUrl: at });
  return allEvents((recorded.stream ?? streamOpenAICompatible)(model, userContext(), { maxRetries: 0, apiKey: "test-key" }));
}

/** What must not depend on the split: every event (minus the shared partial) and the final message. */
function fingerprint(events: AssistantMessageEvent[]): string {
  const message = { ...finalOf(events), timestamp: 0 };
  const shape = events.map((event) => {
    const { partial: _partial, ...rest } = event as { partial?: unknown };
    return "message" in rest || "error" in rest ? { type: event.type } : rest;
  });
  return JSON.stringify({ message, shape });
}

describe("SSE splitting", () => {
  const expected: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < bodies.length; i++) expected.push(fingerprint(await play(i, [])));
  });

  it("the recorded streams end as recorded (sanity check of the fixtures)", () => {
    expected.forEach((print, i) => expect(JSON.parse(print).message, RECORDED_STREAMS[i]!.name).toMatchObject(RECORDED_STREAMS[i]!.expect));
  });

  it("one byte at a time gives the same events and final message", async () => {
    for (let i = 0; i < bodies.length; i++) {
      const events = await play(
        i,
        Array.from({ length: bodies[i]!.length }, (_, b) => b),
      );
      expect(fingerprint(events), RECORDED_STREAMS[i]!.name).toBe(expected[i]);
    }
  });

  it(
    `${SPLITS_PER_PROTOCOL} random splittings per protocol (${PROTOCOLS}) give identical events and final messages`,
    async () => {
      let played = 0;
      // A split: a fixture and cut points, as offsets scaled to its length.
      const split = fc.record({
        fixture: fc.nat({ max: bodies.length - 1 }),
        cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 16 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(split, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const results = await Promise.all(
            batch.map(({ fixture, cuts }) => {
              const offsets = cuts.map((c) => Math.floor(c * bodies[fixture]!.length));
              return play(fixture, offsets).then((events) => ({ fixture, print: fingerprint(events) }));
            }),
          );
          played += results.length;
          for (const { fixture, print } of results) expect(print).toBe(expected[fixture]);
        }),
        { numRuns: TOTAL_SPLITS / BATCH },
      );
      expect(played).toBeGreaterThanOrEqual(TOTAL_SPLITS);
    },
    Math.max(60_000, TOTAL_SPLITS * 10),
  );
});
