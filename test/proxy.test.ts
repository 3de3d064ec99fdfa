import { afterEach, describe, expect, it } from "vitest";
import { tap } from "rxjs";
import { z } from "zod";
import { Agent, defineTool, textResult } from "../src/index.js";
import { streamProxy as piStreamProxy } from "@mariozechner/pi-agent-core";
import { streamProxy } from "../src/proxy.js";
import { createFauxProvider, fauxModel, fauxStream } from "../src/testing.js";
import type { FauxResponse } from "../src/testing.js";
import type { AssistantMessage, Context } from "../src/core/types.js";
import { expectValidTranscript } from "./helpers/transcript.js";
import { closeProxies, collect, comparable, deferred, finalOf, KEY, shape, startProxy, TOKEN, watchedUpstream } from "./helpers/proxy-harness.js";

const context: Context = {
  systemPrompt: "Be brief.",
  messages: [{ role: "user", content: "hi", timestamp: 1 }],
  tools: [{ name: "sum", description: "Adds numbers", parameters: { type: "object", properties: { numbers: { type: "array" } } } }],
};

const scripts: Record<string, FauxResponse> = {
  text: { text: "Hello there, this is a plain answer. ✓", usage: { input: 12, output: 9 } },
  thinking: { thinking: "The user greets me; reply kindly.", text: "Hi!" },
  "parallel tool calls": {
    text: "Calling two tools.",
    toolCalls: [
      { name: "sum", arguments: { numbers: [1, 2, 3] } },
      { name: "echo", arguments: { text: 'a "quoted" string\nwith a newline' } },
    ],
    chunkSize: 3,
  },
  "unparseable tool arguments": { toolCalls: [{ name: "sum", arguments: '{"numbers": [1, 2' }] },
  "length stop": { text: "cut", stopReason: "length" },
  "error after content": { text: "partial answer", error: "upstream exploded" },
  "error before content": { error: "rate limited" },
};

afterEach(closeProxies);

describe("streamProxy through createProxyServer", () => {
  for (const [name, reply] of Object.entries(scripts)) {
    it(`rebuilds the same message and events as the direct stream: ${name}`, async () => {
      const direct = await collect(createFauxProvider([reply]).streamFn(fauxModel(), context));
      const { model } = await startProxy({ upstream: createFauxProvider([reply]).streamFn });
      const proxied = await collect(streamProxy(model, context));

      expect(comparable(finalOf(proxied))).toEqual(comparable(finalOf(direct)));
      expect(shape(proxied)).toEqual(shape(direct));
      expect(proxied.filter((e) => e.type === "done" || e.type === "error")).toHaveLength(1);
      // Every non-terminal event carries the rebuilt message so far.
      for (const event of proxied) if ("partial" in event) expect(event.partial).toBe(finalOf(proxied));
    });
  }

  it("gives pi-agent-core's own streamProxy the same final message as ours", async () => {
    for (const [name, reply] of Object.entries(scripts)) {
      // pi keeps its best-effort partial parse of broken arguments; we report them (`invalidArguments`).
      if (name === "unparseable tool arguments") continue;
      // A fresh provider per call, so both calls get the same tool-call ids.
      const { url, model } = await startProxy({ upstream: (m, c, o) => createFauxProvider([reply]).streamFn(m, c, o) });
      const ours = finalOf(await collect(streamProxy(model, context)));
      const piModel = { ...fauxModel(), input: ["text"] } as unknown as Parameters<typeof piStreamProxy>[0];
      const piStream = piStreamProxy(piModel, context as Parameters<typeof piStreamProxy>[1], { authToken: TOKEN, proxyUrl: url });
      const piEvents: string[] = [];
      for await (const event of piStream) piEvents.push(event.type);
      const theirs = (await piStream.result()) as unknown as AssistantMessage;

      expect(comparable(theirs)).toEqual(comparable(ours));
      expect(piEvents.at(-1)).toBe(ours.stopReason === "error" ? "error" : "done");
    }
  });

  it("sends the server's key upstream, never the client's token", async () => {
    const upstream = watchedUpstream(createFauxProvider([scripts.text!]).streamFn);
    const { model } = await startProxy({ upstream: upstream.streamFn });
    await collect(streamProxy(model, context, { apiKey: TOKEN }));
    expect(upstream.apiKeys).toEqual([KEY]);
  });

  it("passes an abort from the client on to the upstream at once", async () => {
    const hold = deferred();
    const upstream = watchedUpstream(createFauxProvider([{ text: "never sent", hold: hold.promise }]).streamFn);
    const { proxy, model } = await startProxy({ upstream: upstream.streamFn });
    const controller = new AbortController();
    const started = deferred();
    const events = collect(streamProxy(model, context, { signal: controller.signal }).pipe(tap((e) => e.type === "start" && started.resolve())));
    await started.promise;
    controller.abort();
    await Promise.all([upstream.aborted, upstream.unsubscribed]);
    const final = finalOf(await events);
    expect(final.stopReason).toBe("aborted");
    expect(final.errorMessage).toBe("Request aborted.");
    hold.resolve();
    await expect.poll(() => proxy.activeStreams).toBe(0);
  });

  it("runs 200 concurrent agent runs through one proxy, each with a correct transcript", async () => {
    const { model, proxy } = await startProxy({ upstream: fauxStream });
    const sum = defineTool({
      name: "sum",
      description: "Add numbers.",
      parameters: z.object({ numbers: z.array(z.number()) }),
      execute: async (_id, { numbers }) => textResult(String(numbers.reduce((a, b) => a + b, 0))),
    });
    const runs = Array.from({ length: 200 }, async (_, i) => {
      const agent = new Agent({ streamFn: streamProxy, model, tools: [sum] });
      const reply = await agent.prompt(`What is ${i} + 1000?`);
      return { reply, messages: agent.state.messages };
    });
    const results = await Promise.all(runs);
    results.forEach(({ reply, messages }, i) => {
      expectValidTranscript(messages);
      expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "assistant"]);
      const call = (messages[1] as AssistantMessage).content.find((c) => c.type === "toolCall");
      expect(call).toMatchObject({ name: "sum", arguments: { numbers: [i, 1000] } });
      expect(messages[2]).toMatchObject({ toolCallId: call?.type === "toolCall" ? call.id : "?", content: [{ type: "text", text: String(i + 1000) }] });
      expect(reply).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: `The sum is ${i + 1000}.` }] });
    });
    await expect.poll(() => proxy.activeStreams).toBe(0);
  });
});
