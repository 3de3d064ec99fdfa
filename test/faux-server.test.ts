import { afterEach, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { createParser } from "eventsource-parser";
import { startFauxServer } from "../src/testing.js";
import type { FauxServer, FauxServerOptions } from "../src/testing.js";

type Chunk = {
  choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Record<string, unknown>;
  error?: { message: string };
};

const sumTool = {
  type: "function",
  function: {
    name: "sum",
    description: "Add numbers",
    parameters: { type: "object", properties: { numbers: { type: "array", items: { type: "number" } } } },
  },
};

let servers: FauxServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(options?: FauxServerOptions): Promise<FauxServer> {
  const server = await startFauxServer(options);
  servers.push(server);
  return server;
}

function post(server: FauxServer, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

/** Every SSE `data:` payload of a response, parsed with eventsource-parser. */
async function sse(response: Response): Promise<string[]> {
  const data: string[] = [];
  const parser = createParser({ onEvent: (event) => data.push(event.data) });
  const decoder = new TextDecoder();
  for await (const bytes of response.body!) parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
  return data;
}

function chunks(data: string[]): Chunk[] {
  return data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as Chunk);
}

const userAsks = (content: string) => ({ model: "faux-1", stream: true, messages: [{ role: "user", content }] });

describe("startFauxServer", () => {
  it("streams a scripted reply as OpenAI chat-completion chunks with a usage chunk and [DONE]", async () => {
    const server = await start({ script: [{ thinking: "hmm, ok", text: "Hello there", chunkSize: 4, usage: { input: 7, output: 5, cacheRead: 3 } }] });
    const response = await post(server, { ...userAsks("hi"), stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const data = await sse(response);
    expect(data[data.length - 1]).toBe("[DONE]");
    const parsed = chunks(data);
    expect(parsed[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    const deltas = parsed.flatMap((c) => c.choices.map((choice) => choice.delta));
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("hmm, ok");
    expect(deltas.filter((d) => d.reasoning_content).map((d) => d.reasoning_content)).toEqual(["hmm,", " ok"]);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("Hello there");
    expect(parsed.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(["stop"]);
    const usage = parsed[parsed.length - 1]!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 3 } });
    expect(server.requests).toEqual([{ ...userAsks("hi"), stream_options: { include_usage: true } }]);
  });

  it("sends no usage chunk unless asked", async () => {
    const server = await start({ script: [{ text: "hi" }] });
    const parsed = chunks(await sse(await post(server, userAsks("hi"))));
    expect(parsed.some((c) => c.usage)).toBe(false);
  });

  it("streams two tool calls as index/id/name/arguments fragments", async () => {
    const server = await start({
      script: [
        {
          toolCalls: [
            { name: "sum", arguments: { numbers: [2, 3] } },
            { name: "get_time", arguments: { tz: "UTC" } },
          ],
          chunkSize: 5,
        },
      ],
    });
    const parsed = chunks(await sse(await post(server, userAsks("go"))));
    const fragments = parsed.flatMap((c) => (c.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []);
    expect(fragments[0]).toEqual({ index: 0, id: "call_1", type: "function", function: { name: "sum", arguments: '{"num' } });
    expect(fragments[1]).toEqual({ index: 0, function: { arguments: 'bers"' } });
    const byIndex = (i: number) =>
      fragments
        .filter((f) => f.index === i)
        .map((f) => (f.function as { arguments: string }).arguments)
        .join("");
    expect(JSON.parse(byIndex(0))).toEqual({ numbers: [2, 3] });
    expect(JSON.parse(byIndex(1))).toEqual({ tz: "UTC" });
    expect(fragments.find((f) => f.index === 1 && f.id)).toMatchObject({ id: "call_2", function: { name: "get_time" } });
    expect(parsed[parsed.length - 1]!.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("runs the rule-based model without a script: arithmetic calls sum, a tool result gets an answer", async () => {
    const server = await start();
    const first = chunks(await sse(await post(server, { ...userAsks("What is 2 + 3?"), tools: [sumTool] })));
    const fragments = first.flatMap((c) => (c.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []);
    expect(fragments[0]).toMatchObject({ id: "call_1", function: { name: "sum" } });
    const args = fragments.map((f) => (f.function as { arguments: string }).arguments).join("");
    expect(JSON.parse(args)).toEqual({ numbers: [2, 3] });
    const second = await post(server, {
      model: "faux-1",
      stream: true,
      tools: [sumTool],
      messages: [
        { role: "user", content: "What is 2 + 3?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "sum", arguments: args } }] },
        { role: "tool", tool_call_id: "call_1", content: "5" },
      ],
    });
    const text = chunks(await sse(second))
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(text).toBe("The sum is 5.");
  });

  it("answers `stream: false` with one chat.completion", async () => {
    const server = await start({ script: [{ text: "hi", toolCalls: [{ name: "sum", arguments: { numbers: [1] } }] }] });
    const body = (await (await post(server, { ...userAsks("x"), stream: false })).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: "chat.completion",
      choices: [
        { finish_reason: "tool_calls", message: { content: "hi", tool_calls: [{ id: "call_1", function: { name: "sum", arguments: '{"numbers":[1]}' } }] } },
      ],
    });
  });

  it("answers an error-only reply with an HTTP error and an OpenAI-style body", async () => {
    const server = await start({ script: [{ error: "Slow down", status: 429 }, { error: "Bad thing" }] });
    const limited = await post(server, userAsks("x"));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: { message: "Slow down", type: "rate_limit_error", code: 429 } });
    const bad = await post(server, userAsks("x"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Chunk).error!.message).toBe("Bad thing");
  });

  it("sends an error after content as a mid-stream error chunk without [DONE]", async () => {
    const server = await start({ script: [{ text: "partial", error: "Upstream died" }] });
    const data = await sse(await post(server, userAsks("x")));
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data[data.length - 1]!)).toMatchObject({ error: { message: "Upstream died" } });
  });

  it("answers misuse with 400/404 and lists its model", async () => {
    const server = await start({ script: [] });
    const notJson = await fetch(`${server.url}/chat/completions`, { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as Chunk).error!.message).toMatch(/not valid JSON/);
    const exhausted = await post(server, userAsks("x"));
    expect(exhausted.status).toBe(400);
    expect(((await exhausted.json()) as Chunk).error!.message).toMatch(/Faux script exhausted/);
    expect((await fetch(`${server.baseUrl}/nowhere`)).status).toBe(404);
    const models = (await (await fetch(`${server.url}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["faux-1"]);
    expect(server.model).toMatchObject({ api: "openai-completions", provider: "faux", baseUrl: server.url });
    expect(server.url).toBe(`${server.baseUrl}/v1`);
  });

  it("stops writing when the client disconnects", async () => {
    const server = await start({ script: [{ text: "x".repeat(1000), chunkSize: 1, chunkDelayMs: 1 }] });
    const controller = new AbortController();
    const response = await post(server, userAsks("x"), { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(server.streams[0]!.ended).resolves.toBe("disconnected");
    const written = server.streams[0]!.chunksWritten;
    expect(written).toBeLessThan(1000);
  });

  it("holds a reply after its first chunk, and a client that leaves meanwhile ends it", async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const server = await start({
      script: [
        { text: "held", hold },
        { text: "never released", hold: new Promise(() => {}) },
      ],
    });
    const response = await post(server, userAsks("x"));
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"role":"assistant"');
    expect(server.streams[0]!.chunksWritten).toBe(1);
    release();
    const rest: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(new TextDecoder().decode(r.value));
    expect(rest.join("")).toContain("data: [DONE]");

    const controller = new AbortController();
    const stuck = await post(server, userAsks("x"), { signal: controller.signal });
    await stuck.body!.getReader().read();
    controller.abort();
    await expect(server.streams[1]!.ended).resolves.toBe("disconnected");
  });

  it("waits for 'drain' when the client reads slowly", async () => {
    const total = 160; // about 10 MB: more than loopback socket buffers hold (they stall near 4 MB)
    const server = await start({ script: [{ text: "y".repeat(64 * 1024 * total), chunkSize: 64 * 1024 }] });
    const response = await post(server, userAsks("x"));
    // Poll until the writer stalls on a full socket instead of buffering everything.
    let last = -1;
    while (server.streams[0]!.chunksWritten !== last) {
      last = server.streams[0]!.chunksWritten;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(last).toBeLessThan(total);
    const text = chunks(await sse(response))
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(text.length).toBe(64 * 1024 * total);
    await expect(server.streams[0]!.ended).resolves.toBe("finished");
  });

  it("close() leaves no open handles, even with a stream in flight", async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
    // Let sockets of earlier tests finish closing first.
    await new Promise((r) => setTimeout(r, 5));
    const before = count();
    // Immediates are left out: another file's teardown in the same worker may queue one at any time.
    const resources = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r !== "Immediate")
        .sort();
    const resourcesBefore = resources();
    const server = await startFauxServer({ script: [{ text: "z".repeat(100), chunkSize: 1, chunkDelayMs: 5 }] });
    const response = await post(server, userAsks("x"));
    const reader = response.body!.getReader();
    await reader.read();
    expect(count()).toBeGreaterThan(before);
    await server.close();
    await expect(server.streams[0]!.ended).resolves.toBe("disconnected");
    await reader.read().catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(count()).toBe(before);
    // No server socket, client socket or writer timer left behind.
    expect(resources()).toEqual(resourcesBefore);
  });
});

describe("startFauxServer body limit", () => {
  /** Sends raw bytes and resolves with everything the server sent until it closed the connection. */
  function raw(server: FauxServer, head: string, body: AsyncIterable<string> | string): Promise<string> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", async () => {
        socket.write(head);
        for await (const piece of typeof body === "string" ? [body] : body) if (!socket.destroyed) socket.write(piece);
      });
      let received = "";
      socket.on("data", (d) => (received += d.toString()));
      socket.on("close", () => resolve(received));
      socket.on("error", (error) => (received ? resolve(received) : reject(error)));
    });
  }

  it("refuses a body over maxBodyBytes with 413 (declared or chunked) instead of buffering it, and keeps serving", async () => {
    const server = await start({ script: () => ({ text: "ok" }), maxBodyBytes: 64 * 1024 });
    const declared = await raw(
      server,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n`,
      "{",
    );
    expect(declared).toMatch(/^HTTP\/1\.1 413 /);
    expect(declared).toContain("Request body exceeds the faux server's limit of 65536 bytes (maxBodyBytes).");
    // 1,000 chunks of 16 KiB without a Content-Length (never finished): refused at 64 KiB, the connection closed.
    async function* endless() {
      for (let i = 0; i < 1000; i++) yield `4000\r\n${"x".repeat(0x4000)}\r\n`;
    }
    const chunked = await raw(
      server,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      endless(),
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
    expect(server.requests).toHaveLength(0);
    const ok = await post(server, userAsks("hi"));
    expect(ok.status).toBe(200);
    await ok.text();
  });
});
