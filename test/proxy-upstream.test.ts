import { afterEach, describe, expect, it } from "vitest";
import { streamOpenAICompatible } from "../src/index.js";
import { streamProxy } from "../src/proxy.js";
import { startFauxServer } from "../src/testing.js";
import type { FauxResponse, FauxServer } from "../src/testing.js";
import type { Context } from "../src/core/types.js";
import { closeProxies, collect, comparable, deferred, finalOf, KEY, shape, startProxy } from "./helpers/proxy-harness.js";

// The real path: proxy → default upstream (streamOpenAICompatible) → loopback OpenAI-compatible faux server.
const context: Context = {
  systemPrompt: "Be brief.",
  messages: [{ role: "user", content: "hi", timestamp: 1 }],
  tools: [{ name: "sum", description: "Adds numbers", parameters: { type: "object", properties: { numbers: { type: "array" } } } }],
};
const servers: FauxServer[] = [];
afterEach(async () => {
  await closeProxies();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fauxServer(script: FauxResponse[]): Promise<FauxServer> {
  const server = await startFauxServer({ script });
  servers.push(server);
  return server;
}

const scripts: Record<string, FauxResponse> = {
  text: { text: "Hello over real HTTP, twice removed. ✓", usage: { input: 7, output: 11 } },
  thinking: { thinking: "Reasoning first.", text: "Then the answer." },
  "parallel tool calls": {
    text: "Two tools.",
    toolCalls: [
      { name: "sum", arguments: { numbers: [4, 5] } },
      { name: "echo", arguments: { text: "ünïcode" } },
    ],
    chunkSize: 2,
  },
  "error after content": { text: "partial", error: "the model fell over" },
  "error before content": { error: "bad request from upstream" },
};

describe("proxy in front of the OpenAI-compatible adapter", () => {
  for (const [name, reply] of Object.entries(scripts)) {
    it(`gives the same final message and events as the direct adapter: ${name}`, async () => {
      const directServer = await fauxServer([reply]);
      const direct = await collect(streamOpenAICompatible(directServer.model, context, { apiKey: KEY }));
      const upstreamServer = await fauxServer([reply]);
      const { model } = await startProxy({ models: [upstreamServer.model] });
      const proxied = await collect(streamProxy(model, context));

      // The direct error text names the upstream URL; the proxy says "the upstream" instead.
      const directFinal = { ...finalOf(direct), errorMessage: finalOf(direct).errorMessage?.replace(`${directServer.url}/chat/completions`, "the upstream") };
      expect(comparable(finalOf(proxied))).toEqual(comparable(directFinal));
      expect(JSON.stringify(proxied)).not.toContain(upstreamServer.url);
      expect(shape(proxied)).toEqual(shape(direct.filter((e) => e.type !== "retry")));
      // The upstream got the server's key; the client never saw it.
      expect(JSON.stringify(proxied)).not.toContain(KEY);
    });
  }

  it("drops the upstream HTTP request as soon as the client aborts", async () => {
    const hold = deferred();
    const upstreamServer = await fauxServer([{ text: "held back", hold: hold.promise }]);
    const { model } = await startProxy({ models: [upstreamServer.model] });
    const controller = new AbortController();
    const events = collect(streamProxy(model, context, { signal: controller.signal }));
    // The adapter emits nothing before content, so wait until the upstream is mid-response.
    await expect.poll(() => upstreamServer.streams[0]?.chunksWritten ?? 0).toBeGreaterThan(0);
    controller.abort();
    expect(finalOf(await events).stopReason).toBe("aborted");
    expect(await upstreamServer.streams[0]!.ended).toBe("disconnected");
    hold.resolve();
  });
});
