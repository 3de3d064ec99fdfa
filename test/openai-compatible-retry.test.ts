import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Agent,
  openAICompatibleModel,
  streamOpenAICompatible,
  type AgentEvent,
  type AssistantMessageEvent,
  type Model,
  type StreamOptions,
} from "../src/index.js";
import { allEvents, chunk, finalOf, sse, sseBody, types, userContext } from "./helpers/openai-chunks.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

async function serve(script: Script): Promise<Model> {
  server = await startSseServer(script);
  return openAICompatibleModel({ id: "test-model", baseUrl: `${server.url}/v1` });
}

const okBody = sseBody(chunk({ content: "ok" }), chunk({}, "stop"));
const ok = { chunks: [okBody] };
const unavailable = { status: 503, chunks: ['{"error":{"message":"Service Unavailable"}}'] };

type RetryEvent = Extract<AssistantMessageEvent, { type: "retry" }>;
const retries = (events: AssistantMessageEvent[]) => events.filter((e): e is RetryEvent => e.type === "retry");

describe("retries before the first delta", () => {
  it("retries a 503 with jittered backoff, emitting retry before start", async () => {
    const model = await serve([unavailable, ok]);
    const events = await allEvents(streamOpenAICompatible(model, userContext(), { retryBaseDelayMs: 8 }));
    expect(types(events)).toEqual(["retry", "start", "text_start", "text_delta", "text_end", "done"]);
    const [retry] = retries(events);
    expect(retry).toMatchObject({ attempt: 1, reason: `Provider error (HTTP 503) at ${server!.url}/v1/chat/completions: Service Unavailable` });
    expect(retry!.delayMs).toBeGreaterThanOrEqual(4);
    expect(retry!.delayMs).toBeLessThanOrEqual(8);
    expect(server!.requests).toHaveLength(2);
  });

  it.each([429, 500, 502, 504])("retries HTTP %i", async (status) => {
    const model = await serve([{ status, chunks: ["busy"] }, ok]);
    const events = await allEvents(streamOpenAICompatible(model, userContext(), { retryBaseDelayMs: 1 }));
    expect(finalOf(events).stopReason).toBe("stop");
    expect(retries(events)).toHaveLength(1);
  });

  it("gives up after maxRetries (default 2) and says so", async () => {
    const model = await serve(unavailable);
    const events = await allEvents(streamOpenAICompatible(model, userContext(), { retryBaseDelayMs: 1 }));
    expect(retries(events).map((e) => e.attempt)).toEqual([1, 2]);
    expect(finalOf(events).errorMessage).toBe(`Provider error (HTTP 503) at ${server!.url}/v1/chat/completions: Service Unavailable (gave up after 2 retries)`);
    expect(server!.requests).toHaveLength(3);
  });

  it("maxRetries 0 does not retry", async () => {
    const model = await serve([unavailable, ok]);
    const events = await allEvents(streamOpenAICompatible(model, userContext(), { maxRetries: 0 }));
    expect(types(events)).toEqual(["error"]);
    expect(server!.requests).toHaveLength(1);
  });

  it("retries a connection reset before the response and one after headers but before any delta", async () => {
    const model = await serve([{ reset: true }, { chunks: [sse(chunk({ role: "assistant", content: "" }))], end: "reset" }, ok]);
    const events = await allEvents(streamOpenAICompatible(model, userContext(), { retryBaseDelayMs: 1 }));
    const [first, second] = retries(events);
    expect(first!.reason).toMatch(/^The connection to .* was reset before the answer began \(.+\)\.$/);
    expect(second!.reason).toMatch(/^The connection to .* broke before the answer began \(.+\)\.$/);
    expect(finalOf(events)).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "ok" }] });
  });
});

describe("retry-after", () => {
  it("waits exactly retry-after seconds (fake timers)", async () => {
    const model = await serve([{ status: 429, headers: { "retry-after": "5" }, chunks: ["slow down"] }, ok]);
    const events: AssistantMessageEvent[] = [];
    let sawRetry!: () => void;
    const retried = new Promise<void>((resolve) => (sawRetry = resolve));
    const finished = new Promise<void>((resolve) =>
      streamOpenAICompatible(model, userContext()).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === "retry") {
            // The backoff timer is created right after this event: fake it.
            vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
            sawRetry();
          }
        },
        complete: resolve,
      }),
    );
    await retried;
    expect(retries(events)[0]).toMatchObject({ attempt: 1, delayMs: 5000 });
    await vi.advanceTimersByTimeAsync(4999);
    expect(server!.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    await finished;
    expect(server!.requests).toHaveLength(2);
    expect(finalOf(events).stopReason).toBe("stop");
  });

  it("honours retry-after as an HTTP date and is abortable during the wait", async () => {
    const when = new Date(Date.now() + 30_000).toUTCString();
    const model = await serve([{ status: 503, headers: { "retry-after": when }, chunks: [] }, ok]);
    const controller = new AbortController();
    const events: AssistantMessageEvent[] = [];
    await new Promise<void>((resolve) =>
      streamOpenAICompatible(model, userContext(), { signal: controller.signal }).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === "retry") setTimeout(() => controller.abort(), 5);
        },
        complete: resolve,
      }),
    );
    const delay = retries(events)[0]!.delayMs;
    expect(delay).toBeGreaterThan(28_000);
    expect(delay).toBeLessThanOrEqual(30_000);
    expect(types(events)).toEqual(["retry", "error"]);
    expect(finalOf(events)).toMatchObject({ stopReason: "aborted", errorMessage: "The request was aborted." });
    expect(server!.requests).toHaveLength(1);
  });

  it("honours retry-after-ms in real time", async () => {
    const model = await serve([{ status: 429, headers: { "retry-after-ms": "40" }, chunks: [] }, ok]);
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(retries(events)[0]!.delayMs).toBe(40);
    expect(finalOf(events).stopReason).toBe("stop");
  });

  it("does not wait for a retry-after longer than a minute and says when to come back", async () => {
    const model = await serve([{ status: 429, headers: { "retry-after": "120" }, chunks: ["quota"] }, ok]);
    const events = await allEvents(streamOpenAICompatible(model, userContext()));
    expect(types(events)).toEqual(["error"]);
    expect(finalOf(events).errorMessage).toBe(`Rate limited (HTTP 429) at ${server!.url}/v1/chat/completions: quota. The provider asks to retry after 120 s.`);
  });
});

describe("model_retry through the Agent", () => {
  it("the agent emits model_retry { attempt, delayMs, reason } before the retried message starts", async () => {
    const model = await serve([unavailable, ok]);
    const agent = new Agent({ model, streamOptions: { retryBaseDelayMs: 1 } as StreamOptions });
    const seen: AgentEvent[] = [];
    agent.subscribe((event) => seen.push(event));
    await agent.prompt("hi");
    const retry = seen.find((e) => e.type === "model_retry");
    expect(retry).toMatchObject({ type: "model_retry", attempt: 1, reason: expect.stringContaining("HTTP 503") });
    expect(seen.indexOf(retry!)).toBeLessThan(seen.findIndex((e) => e.type === "message_start" && e.message.role === "assistant"));
    expect(agent.state.messages.at(-1)).toMatchObject({ role: "assistant", stopReason: "stop" });
  });
});
