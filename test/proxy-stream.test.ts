import { afterEach, describe, expect, it } from "vitest";
import { tap } from "rxjs";
import { proxyModel, streamProxy } from "../src/proxy.js";
import { createFauxProvider, fauxModel } from "../src/testing.js";
import type { Context, StreamFn } from "../src/core/types.js";
import { startSseServer } from "./helpers/sse-server.js";
import type { SseServer } from "./helpers/sse-server.js";
import { closeProxies, collect, deferred, finalOf, firehose, startProxy, TOKEN, watchedUpstream } from "./helpers/proxy-harness.js";

const context: Context = { messages: [{ role: "user", content: "hi", timestamp: 1 }] };
const servers: SseServer[] = [];
afterEach(async () => {
  await closeProxies();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("proxy backpressure", () => {
  it("merges deltas while the client socket is congested and still delivers the whole message", async () => {
    const upstream = firehose(2048, 16 * 1024);
    const { model } = await startProxy({ upstream: upstream.streamFn, maxBufferedBytes: 64 * 1024 * 1024 });
    const events = await collect(streamProxy(model, context));
    const final = finalOf(events);
    expect(final.stopReason).toBe("stop");
    const [block, ...rest] = final.content;
    expect(rest).toEqual([]);
    expect(block?.type === "text" && block.text.length).toBe(2048 * 16 * 1024);
    // 32 MB cannot all fit in the socket buffers: some deltas travelled merged.
    expect(events.filter((e) => e.type === "text_delta").length).toBeLessThan(2048);
  });

  it("cancels the upstream instead of buffering without bound for a client that does not read", async () => {
    const upstream = firehose(4096, 16 * 1024);
    const { model } = await startProxy({ upstream: upstream.streamFn, maxBufferedBytes: 1024 * 1024 });
    const final = finalOf(await collect(streamProxy(model, context)));
    expect(upstream.stats.cancelled).toBe(true);
    expect(upstream.stats.emitted).toBeLessThan(4096);
    expect(final.stopReason).toBe("error");
    expect(final.errorMessage).toMatch(/client read too slowly/);
  });
});

describe("proxy close()", () => {
  it("ends in-flight streams with an aborted event and cancels their upstream", async () => {
    const hold = deferred();
    const upstream = watchedUpstream(createFauxProvider([{ text: "never", hold: hold.promise }]).streamFn);
    const { proxy, model } = await startProxy({ upstream: upstream.streamFn });
    const started = deferred();
    const events = collect(streamProxy(model, context).pipe(tap((e) => e.type === "start" && started.resolve())));
    await started.promise;
    expect(proxy.activeStreams).toBe(1);
    await proxy.close();
    await upstream.aborted;
    const final = finalOf(await events);
    expect(final).toMatchObject({ stopReason: "aborted", errorMessage: "Proxy server is shutting down." });
    expect(proxy.server.listening).toBe(false);
    const after = finalOf(await collect(streamProxy(model, context)));
    expect(after.errorMessage).toMatch(/^Proxy request failed: fetch failed/);
    hold.resolve();
  });
});

describe("streamProxy against a misbehaving server", () => {
  async function against(script: Parameters<typeof startSseServer>[0], options: Parameters<StreamFn>[2] = {}) {
    const server = await startSseServer(script);
    servers.push(server);
    const model = proxyModel({ id: "m", proxyUrl: `${server.url}/`, authToken: TOKEN });
    return { server, events: await collect(streamProxy(model, context, options)) };
  }
  const start = 'data: {"type":"start"}\n\n';
  const hello = 'data: {"type":"text_delta","contentIndex":0,"delta":"Hel"}\n\n';

  it("reports an HTTP error with the server's error text", async () => {
    const { events } = await against({ status: 500, headers: { "content-type": "application/json" }, chunks: ['{"error":"boom"}'] });
    expect(events.map((e) => e.type)).toEqual(["error"]);
    expect(finalOf(events).errorMessage).toBe("Proxy error: 500 Internal Server Error: boom");
  });

  it("ends malformed, invalid and truncated streams in one error, keeping what arrived", async () => {
    const cases: [string[], string][] = [
      [[start, hello, "data: {oops\n\n"], "Proxy sent a malformed event: {oops"],
      [[start, 'data: {"type":"text_delta"}\n\n'], 'Proxy sent an invalid event: Invalid input: expected number, received undefined in {"type":"text_delta"}'],
      [[start, hello], "Proxy stream ended before the message was complete."],
    ];
    for (const [chunks, message] of cases) {
      const { events } = await against({ chunks });
      expect(events.filter((e) => e.type === "error")).toHaveLength(1);
      expect(finalOf(events)).toMatchObject({ stopReason: "error", errorMessage: message });
    }
    const { events } = await against({ chunks: [start, hello] });
    expect(finalOf(events).content).toEqual([{ type: "text", text: "Hel" }]);
  });

  it("ends a reset connection, an idle stream and an early abort in one error", async () => {
    const reset = await against({ chunks: [start, hello], end: "reset" });
    expect(finalOf(reset.events).errorMessage).toMatch(/^Proxy request failed: terminated/);
    const idle = await against({ chunks: [start], end: "hang" }, { idleTimeoutMs: 100 });
    expect(finalOf(idle.events)).toMatchObject({ stopReason: "error", errorMessage: "Proxy sent nothing for 100 ms." });
    const aborted = await against({ chunks: [start] }, { signal: AbortSignal.abort() });
    expect(aborted.events.map((e) => e.type)).toEqual(["error"]);
    expect(finalOf(aborted.events)).toMatchObject({ stopReason: "aborted", errorMessage: "Request aborted." });
  });

  it("sends the token as a bearer header and never the model's headers in the body", async () => {
    const { server } = await against({ chunks: [start, 'data: {"type":"done","reason":"stop","usage":{}}\n\n'] }, { temperature: 0.2, maxTokens: 99 });
    const request = server.requests[0]!;
    expect(request.url).toBe("/api/stream");
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.body).not.toContain(TOKEN);
    expect(request.json()).toEqual({
      model: { id: "m", provider: "proxy", api: "tinyagent-proxy" },
      context,
      options: { temperature: 0.2, maxTokens: 99 },
    });
    const override = await against({ chunks: [start] }, { apiKey: "per-call-token" });
    expect(override.server.requests[0]!.headers.authorization).toBe("Bearer per-call-token");
  });

  it("cancels the HTTP request when unsubscribed", async () => {
    const server = await startSseServer({ chunks: [start], end: "hang" });
    servers.push(server);
    const model = proxyModel({ id: "m", proxyUrl: server.url, authToken: TOKEN });
    const started = deferred();
    const subscription = streamProxy(model, context).subscribe((e) => e.type === "start" && started.resolve());
    await started.promise;
    subscription.unsubscribe();
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });
});

describe("TinyAgent (Python) request shapes", () => {
  it("accepts snake_case messages and normalises them for the upstream", async () => {
    const faux = createFauxProvider([{ text: "3" }]);
    const { url } = await startProxy({ upstream: faux.streamFn });
    // As tinyagent/proxy.py builds it: model_to_json, context_to_json, pydantic-dumped messages.
    const body = {
      model: { provider: "openai", id: fauxModel().id, api: "openai", thinking_level: "off" },
      context: {
        system_prompt: "Be brief.",
        messages: [
          { role: "user", content: [{ type: "text", text: "add 1 and 2" }], timestamp: null },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "easy", thinking_signature: "sig" },
              { type: "text", text: "calling", text_signature: null },
              { type: "tool_call", id: "c1", name: "sum", arguments: { a: 1, b: 2 }, partial_json: '{"a":1,"b":2}' },
              null,
            ],
            stop_reason: "tool_calls",
            timestamp: 5,
            api: "openai",
            provider: "openai",
            model: "faux-1",
            usage: null,
            error_message: null,
          },
          { role: "tool_result", tool_call_id: "c1", tool_name: "sum", content: [{ type: "text", text: "3" }], details: {}, is_error: false, timestamp: 6 },
        ],
        tools: [{ name: "sum", description: "Adds", parameters: { type: "object" }, label: "Sum" }],
      },
      options: { temperature: null, maxTokens: null, reasoning: null },
    };
    const response = await fetch(`${url}/api/stream`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    // Read it the way the Python client does: `data: ` lines, one JSON object each.
    const lines = (await response.text()).split("\n").filter((l) => l.startsWith("data: "));
    expect(lines.map((l) => (JSON.parse(l.slice(6)) as { type: string }).type)).toEqual(["start", "text_start", "text_delta", "text_end", "done"]);
    const seen = faux.calls[0]!;
    expect(seen.options).toMatchObject({ apiKey: expect.any(String) });
    expect(seen.options?.temperature).toBeUndefined();
    expect(seen.context).toEqual({
      systemPrompt: "Be brief.",
      messages: [
        { role: "user", content: [{ type: "text", text: "add 1 and 2" }], timestamp: 0 },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "easy", signature: "sig" },
            { type: "text", text: "calling" },
            { type: "toolCall", id: "c1", name: "sum", arguments: { a: 1, b: 2 } },
          ],
          api: "openai",
          provider: "openai",
          model: "faux-1",
          stopReason: "toolUse",
          timestamp: 5,
          usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
        },
        { role: "toolResult", toolCallId: "c1", toolName: "sum", content: [{ type: "text", text: "3" }], details: {}, isError: false, timestamp: 6 },
      ],
      tools: [{ name: "sum", description: "Adds", parameters: { type: "object" } }],
    });
  });
});
