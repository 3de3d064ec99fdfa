import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastValueFrom, toArray } from "rxjs";
import { streamOpenAICompatible } from "../adapters/openai-compatible.js";
import { createFauxProvider, fauxStream, startFauxServer } from "../src/testing.js";
import type { FauxResponse, FauxServer } from "../src/testing.js";
import type { AssistantMessage, AssistantMessageEvent, Context, StreamFn } from "../src/core/types.js";

// The same script through the in-process provider and through HTTP + the real adapter must give the same message.
const cases: [string, FauxResponse][] = [
  ["text", { text: "Hello there, world ✓ 😀", chunkSize: 3 }],
  ["thinking then text", { thinking: "Let me think.", text: "Done.", usage: { input: 7, output: 5, cacheRead: 3 } }],
  [
    "two tool calls",
    {
      text: "Calling.",
      toolCalls: [
        { name: "sum", arguments: { numbers: [2, 3] } },
        { name: "get_time", arguments: {} },
      ],
    },
  ],
  ["length", { text: "cut sh", stopReason: "length" }],
  ["error after content", { text: "partial", error: "Upstream died" }],
];

const context: Context = {
  systemPrompt: "Be brief.",
  messages: [{ role: "user", content: "What is 2 + 3, and what time is it?", timestamp: 0 }],
  tools: [
    { name: "sum", description: "Add numbers", parameters: { type: "object", properties: { numbers: { type: "array" } } } },
    { name: "get_time", description: "Current time", parameters: { type: "object", properties: {} } },
  ],
};

let server: FauxServer;
beforeAll(async () => {
  server = await startFauxServer({ script: cases.map(([, response]) => response) });
});
afterAll(() => server.close());

async function run(streamFn: StreamFn, model: FauxServer["model"]): Promise<{ types: string[]; message: AssistantMessage }> {
  const events: AssistantMessageEvent[] = await lastValueFrom(streamFn(model, context, { maxRetries: 0 }).pipe(toArray()));
  const last = events[events.length - 1]!;
  if (last.type !== "done" && last.type !== "error") throw new Error(`no terminal event: ${last.type}`);
  return { types: events.map((e) => e.type), message: last.type === "done" ? last.message : last.error };
}

describe("faux server + streamOpenAICompatible = createFauxProvider", () => {
  const faux = createFauxProvider(cases.map(([, response]) => response));

  it.each(cases)("%s", async (_name, response) => {
    const local = await run(faux.streamFn, faux.model);
    const remote = await run(streamOpenAICompatible, server.model);
    expect(remote.message.content).toEqual(local.message.content);
    expect(remote.message.stopReason).toBe(local.message.stopReason);
    expect(remote.types).toEqual(local.types);
    if (response.usage) {
      expect(remote.message.usage).toEqual(local.message.usage);
    } else if (!response.error) {
      // A stream cut by an error chunk carries no usage over HTTP.
      expect(remote.message.usage.output).toBe(local.message.usage.output);
    }
    if (response.error) expect(remote.message.errorMessage).toContain(response.error);
  });
});

describe("rule-based model over HTTP", () => {
  it("matches fauxStream", async () => {
    const rules = await startFauxServer();
    try {
      const local = await run(fauxStream, rules.model);
      const remote = await run(streamOpenAICompatible, rules.model);
      expect(remote.message.content).toEqual(local.message.content);
      expect(remote.message.content.filter((block) => block.type === "toolCall").map((block) => block.name)).toEqual(["sum", "get_time"]);
    } finally {
      await rules.close();
    }
  });
});
