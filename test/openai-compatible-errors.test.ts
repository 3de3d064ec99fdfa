import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openAICompatibleModel, streamOpenAICompatible, type AssistantMessageEvent, type Model } from "../src/index.js";
import { allEvents, chunk, finalOf, sse, sseBody, types, userContext } from "./helpers/openai-chunks.js";
import { until, useFakeClock } from "./helpers/fake-clock.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function serve(script: Script, provider?: string): Promise<Model> {
  server = await startSseServer(script);
  return openAICompatibleModel({ id: "test-model", baseUrl: `${server.url}/v1`, ...(provider ? { provider } : {}) });
}

/** Runs a call and returns its terminal error message (fails if it ended with done). */
async function errorOf(model: Model, options: Parameters<typeof streamOpenAICompatible>[2] = {}) {
  const events = await allEvents(streamOpenAICompatible(model, userContext(), { maxRetries: 0, ...options }));
  expect(events.at(-1)?.type).toBe("error");
  return { events, message: finalOf(events) };
}

const okBody = sseBody(chunk({ content: "ok" }), chunk({}, "stop"));

describe("HTTP errors", () => {
  it("401 without a key names the environment variable read", async () => {
    const model = await serve(
      { status: 401, headers: { "content-type": "application/json" }, chunks: ['{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}'] },
      "openai",
    );
    vi.stubEnv("OPENAI_API_KEY", "");
    const { message } = await errorOf(model);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe(
      `Authentication failed (HTTP 401) at ${server!.url}/v1/chat/completions: Incorrect API key provided (code invalid_api_key). No API key was sent: set OPENAI_API_KEY or pass \`apiKey\`.`,
    );
  });

  it("401/403 with a key from the environment or the options says which one was rejected", async () => {
    vi.stubEnv("OPENROUTER_API_KEY", "sk-or-bad");
    const model = await serve({ status: 403, chunks: ['{"error":{"message":"No access"}}'] }, "openrouter");
    expect((await errorOf(model)).message.errorMessage).toMatch(
      /^Access denied \(HTTP 403\) at .*: No access\. The API key read from OPENROUTER_API_KEY was rejected: check it\.$/,
    );
    expect((await errorOf(model, { apiKey: "k" })).message.errorMessage).toMatch(/passed as `apiKey` \(or returned by `getApiKey`\) was rejected/);
    expect(server!.requests[0]!.headers.authorization).toBe("Bearer sk-or-bad");
  });

  it("404 names the model id and the URL", async () => {
    const model = await serve({ status: 404, chunks: ["model not found"] });
    expect((await errorOf(model)).message.errorMessage).toBe(
      `Not found (HTTP 404) at ${server!.url}/v1/chat/completions: model not found. Check the model id "test-model" and the base URL.`,
    );
  });

  it("429 and 5xx quote the provider's error text", async () => {
    const model = await serve([
      { status: 429, chunks: ['{"error":{"message":"Rate limit reached for requests","type":"requests"}}'] },
      { status: 502, headers: { "content-type": "text/html" }, chunks: ["<html>Bad gateway</html>"] },
    ]);
    expect((await errorOf(model)).message.errorMessage).toBe(`Rate limited (HTTP 429) at ${server!.url}/v1/chat/completions: Rate limit reached for requests`);
    expect((await errorOf(model)).message.errorMessage).toBe(`Provider error (HTTP 502) at ${server!.url}/v1/chat/completions: <html>Bad gateway</html>`);
  });

  it("other 4xx are not retried", async () => {
    const model = await serve({ status: 400, chunks: ['{"error":{"message":"tools[0] is invalid"}}'] });
    const { events, message } = await errorOf(model, { maxRetries: 2 });
    expect(message.errorMessage).toMatch(/Request rejected \(HTTP 400\) at .*: tools\[0\] is invalid$/);
    expect(types(events)).toEqual(["error"]);
    expect(server!.requests).toHaveLength(1);
  });
});

describe("broken streams", () => {
  it("a mid-stream error chunk ends with its message and keeps the partial text", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "Half" }), { error: { message: "Upstream overloaded", code: 502 } })] });
    const { events, message } = await errorOf(model);
    expect(message.errorMessage).toBe("The provider reported an error mid-stream: Upstream overloaded (code 502)");
    expect(message.content).toEqual([{ type: "text", text: "Half" }]);
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_end", "error"]);
  });

  it("a chunk that is not JSON is quoted", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "a" }), "<!DOCTYPE html><html>oops</html>")] });
    expect((await errorOf(model)).message.errorMessage).toBe('The provider sent a chunk that is not JSON: "<!DOCTYPE html><html>oops</html>"');
  });

  it("a chunk that is JSON but not an object is quoted", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "a" }), "null")] });
    expect((await errorOf(model)).message.errorMessage).toBe('The provider sent a chunk that is not a JSON object: "null"');
  });

  it("a stream that ends without finish_reason or [DONE] keeps the partial content", async () => {
    const model = await serve({
      chunks: [sse(chunk({ content: "Trunc" }), chunk({ tool_calls: [{ index: 0, id: "c", function: { name: "f", arguments: '{"a":' } }] }))],
    });
    const { message } = await errorOf(model);
    expect(message.errorMessage).toBe(
      `The stream from ${server!.url}/v1/chat/completions ended before the model finished (no finish_reason and no [DONE]); the partial answer is kept.`,
    );
    expect(message.content).toMatchObject([
      { type: "text", text: "Trunc" },
      { type: "toolCall", id: "c", name: "f" },
    ]);
  });

  it("a reset after the first delta is not retried and keeps the partial content", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "Par" }))], end: "reset" });
    const { message } = await errorOf(model, { maxRetries: 2 });
    expect(message.errorMessage).toMatch(/^The connection to .* broke mid-answer \(.+\); the partial answer is kept\.$/);
    expect(message.content).toEqual([{ type: "text", text: "Par" }]);
    expect(server!.requests).toHaveLength(1);
  });

  it("connection refused names the URL", async () => {
    const port = await freePort();
    const model = openAICompatibleModel({ id: "m", baseUrl: `http://127.0.0.1:${port}/v1` });
    expect((await errorOf(model)).message.errorMessage).toBe(
      `Could not connect to http://127.0.0.1:${port}/v1/chat/completions: connection refused. Is the server running, and is the base URL right?`,
    );
  });

  it("idleTimeoutMs ends a silent stream with an error that says so", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "Hi" }))], end: "hang" });
    useFakeClock();
    const events: AssistantMessageEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      streamOpenAICompatible(model, userContext(), { idleTimeoutMs: 60, maxRetries: 0 }).subscribe({ next: (e) => events.push(e), complete: resolve }),
    );
    await until(() => events.some((e) => e.type === "text_delta"));
    vi.advanceTimersByTime(60);
    await ended;
    const message = finalOf(events);
    expect(message.errorMessage).toBe(`No data from ${server!.url}/v1/chat/completions for 60 ms (idleTimeoutMs); gave up waiting.`);
    expect(message.content).toEqual([{ type: "text", text: "Hi" }]);
    expect(await server!.requests[0]!.closed).toEqual({ byClient: true });
  });

  it("idleTimeoutMs also covers a server that never sends headers", async () => {
    const model = await serve(() => new Promise(() => {}));
    const { message } = await errorOf(model, { idleTimeoutMs: 50 });
    expect(message.errorMessage).toBe(`No data from ${server!.url}/v1/chat/completions for 50 ms (idleTimeoutMs); gave up waiting.`);
    expect(message.content).toEqual([]);
  });

  it("idleTimeoutMs does not fire while bytes keep coming (fake clock: 60 ms gaps, 180 ms in all, against an 80 ms timeout)", async () => {
    // Each chunk waits for the test to release it, after the test moved a fake clock 60 ms on
    // from the last arrival: no real waits, so a loaded machine cannot make a gap look long.
    const releases: Array<() => void> = [];
    const gates = [0, 1, 2].map(() => new Promise<void>((resolve) => releases.push(resolve)));
    const model = await serve({
      chunks: [
        sse(chunk({ content: "a" })),
        () => gates[0],
        sse(chunk({ content: "b" })),
        () => gates[1],
        sse(chunk({ content: "c" })),
        () => gates[2],
        okBody,
      ],
    });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    let released = 0;
    const events: AssistantMessageEvent[] = [];
    await new Promise<void>((resolve) =>
      streamOpenAICompatible(model, userContext(), { idleTimeoutMs: 80 }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === "text_delta" && released < releases.length) {
            vi.advanceTimersByTime(60);
            releases[released++]!();
          }
        },
        complete: resolve,
      }),
    );
    expect(released).toBe(3);
    expect(finalOf(events)).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "abcok" }] });
  });
});

describe("abort", () => {
  it("options.signal aborts mid-stream: terminal aborted error with the partial message, and the server sees the close", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "partial" }))], end: "hang" });
    const controller = new AbortController();
    const events: AssistantMessageEvent[] = [];
    await new Promise<void>((resolve) =>
      streamOpenAICompatible(model, userContext(), { signal: controller.signal }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === "text_delta") controller.abort();
        },
        complete: resolve,
      }),
    );
    expect(events.at(-1)).toMatchObject({
      type: "error",
      reason: "aborted",
      error: { stopReason: "aborted", errorMessage: "The request was aborted.", content: [{ type: "text", text: "partial" }] },
    });
    expect(await server!.requests[0]!.closed).toEqual({ byClient: true });
  });

  it("unsubscribing cancels the HTTP request", async () => {
    const model = await serve({ chunks: [sse(chunk({ content: "x" }))], end: "hang" });
    const subscription = streamOpenAICompatible(model, userContext()).subscribe((e) => {
      if (e.type === "text_delta") queueMicrotask(() => subscription.unsubscribe());
    });
    expect(await waitForRequest(0).then((r) => r.closed)).toEqual({ byClient: true });
  });

  it("an already aborted signal makes no request", async () => {
    const model = await serve({ chunks: [okBody] });
    const events = await allEvents(streamOpenAICompatible(model, userContext(), { signal: AbortSignal.abort() }));
    expect(types(events)).toEqual(["error"]);
    expect(finalOf(events).stopReason).toBe("aborted");
    expect(server!.requests).toHaveLength(0);
  });
});

function waitForRequest(index: number) {
  return vi.waitFor(() => {
    const request = server!.requests[index];
    if (!request) throw new Error("no request yet");
    return request;
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
