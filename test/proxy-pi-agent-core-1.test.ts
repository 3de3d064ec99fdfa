/**
 * pi-agent-core 1.x (`@earendil-works/pi-agent-core`) against our proxy: its
 * client sends the prompt and tools as `role: "system"` transcript messages.
 */
import { Agent as PiAgent, streamProxy as piStreamProxy } from "@earendil-works/pi-agent-core";
import { getCurrentSystemPrompt, getCurrentTools, normalizeContext } from "@earendil-works/pi-ai";
import { afterEach, describe, expect, it } from "vitest";
import { streamProxy } from "../src/proxy.js";
import { createFauxProvider, fauxModel, type FauxResponse } from "../src/testing.js";
import type { AssistantMessage, Context, StreamFn } from "../src/core/types.js";
import { closeProxies, collect, comparable, finalOf, startProxy, TOKEN } from "./helpers/proxy-harness.js";

type PiContext = Parameters<typeof piStreamProxy>[1];
type PiModel = Parameters<typeof piStreamProxy>[0];

const sum = { name: "sum", description: "Adds numbers", parameters: { type: "object", properties: { numbers: { type: "array" } } } };
const echo = { name: "echo", description: "Echoes", parameters: { type: "object", properties: { text: { type: "string" } } } };
const context: Context = { systemPrompt: "Be brief.", messages: [{ role: "user", content: "hi", timestamp: 1 }], tools: [sum] };
const piModel = { ...fauxModel(), input: ["text"] } as unknown as PiModel;

/** An upstream that records the contexts it was given. */
function recording(reply: FauxResponse) {
  const contexts: Context[] = [];
  const streamFn: StreamFn = (model, ctx, options) => {
    contexts.push(ctx);
    return createFauxProvider([reply]).streamFn(model, ctx, options);
  };
  return { contexts, streamFn };
}

async function viaPi(url: string, piContext: PiContext): Promise<AssistantMessage> {
  const stream = piStreamProxy(piModel, piContext, { authToken: TOKEN, proxyUrl: url });
  for await (const _event of stream) void _event;
  return (await stream.result()) as unknown as AssistantMessage;
}

afterEach(closeProxies);

describe("pi-agent-core 1.x clients through createProxyServer", () => {
  it("a leading system message carries the prompt and tools: same context upstream, same final message as our client", async () => {
    const reply = { text: "Calling.", toolCalls: [{ name: "sum", arguments: { numbers: [1, 2] } }] };
    const upstream = recording(reply);
    const { url, model } = await startProxy({ upstream: upstream.streamFn });
    const ours = finalOf(await collect(streamProxy(model, context)));
    const piContext = normalizeContext(context as unknown as PiContext) as unknown as PiContext;
    expect(piContext.messages[0]).toMatchObject({ role: "system", content: "Be brief." });
    const theirs = await viaPi(url, piContext);

    expect(upstream.contexts).toHaveLength(2);
    expect(upstream.contexts[1]).toEqual(upstream.contexts[0]);
    expect(upstream.contexts[1]).toMatchObject({ systemPrompt: "Be brief.", tools: [sum], messages: [{ role: "user", content: "hi" }] });
    expect(comparable(theirs)).toEqual(comparable(ours));
  });

  it("later system messages (content, sections, toolsAdded, toolsRemoved) replay as pi-ai replays them", async () => {
    const messages = [
      { role: "system", content: "Be brief.", sections: { style: "<style>plain</style>", lang: "<lang>en</lang>" }, toolsAdded: [sum], timestamp: 0 },
      { role: "user", content: "hi", timestamp: 1 },
      {
        role: "system",
        content: [{ type: "text", text: "Now also echo." }],
        sections: { lang: null, tone: "<tone>warm</tone>" },
        toolsAdded: [echo],
        toolsRemoved: [{ name: "sum" }],
        timestamp: 2,
      },
      { role: "user", content: "again", timestamp: 3 },
    ];
    const upstream = recording({ text: "ok" });
    const { url } = await startProxy({ upstream: upstream.streamFn });
    const final = await viaPi(url, { messages } as unknown as PiContext);

    expect(final.stopReason).toBe("stop");
    const [seen] = upstream.contexts;
    expect(seen?.systemPrompt).toBe(getCurrentSystemPrompt(messages as Parameters<typeof getCurrentSystemPrompt>[0]));
    expect(seen?.systemPrompt).toBe("Be brief.\n\nNow also echo.\n\n<style>plain</style>\n\n<tone>warm</tone>");
    expect(seen?.tools).toEqual(getCurrentTools(messages as Parameters<typeof getCurrentTools>[0]));
    expect(seen?.messages.map((m) => m.role)).toEqual(["user", "user"]);
  });

  it("runs a pi-agent-core 1.x Agent whose stream is its own streamProxy", async () => {
    const upstream = recording({ text: "Hello from the proxy." });
    const { url } = await startProxy({ upstream: upstream.streamFn });
    const agent = new PiAgent({
      initialState: { systemPrompt: "You are terse.", model: piModel },
      streamFn: (model, ctx, options) => piStreamProxy(model, ctx, { ...options, authToken: TOKEN, proxyUrl: url }),
    });
    await agent.prompt("hello");
    const last = agent.state.messages.at(-1) as unknown as AssistantMessage;
    expect(last).toMatchObject({ role: "assistant", stopReason: "stop", content: [{ type: "text", text: "Hello from the proxy." }] });
    expect(upstream.contexts[0]).toMatchObject({ systemPrompt: "You are terse.", messages: [{ role: "user" }] });
  });
});
