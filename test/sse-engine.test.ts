/**
 * The shared SSE engine's bounds (#13 item 9), over real loopback HTTP: what a
 * broken or hostile server sends ends the stream with a clear error instead
 * of growing memory or hanging.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { openAICompatibleModel, streamOpenAICompatible, type AssistantMessageEvent, type Model } from "../src/index.js";
import { FINISH_GRACE_MS, MAX_EVENT_CHARS } from "../adapters/sse-engine.js";
import { allEvents, chunk, finalOf, sse, sseBody, userContext } from "./helpers/openai-chunks.js";
import { turns, until, useFakeClock } from "./helpers/fake-clock.js";
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

describe("the SSE engine's bounds", () => {
  it("keep-alive comments do not count as liveness: idleTimeoutMs still fires", async () => {
    // A comment arrives 40 ms (fake) after the data, then 40 ms more pass: 80 ms without data against 60.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let commented = false;
    const model = await serve({ chunks: [sse(chunk({ content: "so far" })), () => gate, ": keep-alive\n\n", () => (commented = true)], end: "hang" });
    useFakeClock();
    const events: AssistantMessageEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      streamOpenAICompatible(model, userContext(), { idleTimeoutMs: 60, maxRetries: 0 }).subscribe({ next: (e) => events.push(e), complete: resolve }),
    );
    await until(() => events.some((e) => e.type === "text_delta"));
    vi.advanceTimersByTime(40);
    release();
    await until(() => commented);
    await turns();
    vi.advanceTimersByTime(40);
    await ended;
    const message = finalOf(events);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toMatch(/No data from .* for 60 ms \(idleTimeoutMs\)/);
    expect(message.content).toEqual([{ type: "text", text: "so far" }]);
  });

  it("an event larger than the bound ends the stream instead of buffering it", async () => {
    const piece = "x".repeat(1024 * 1024);
    const flood = Array.from({ length: Math.ceil(MAX_EVENT_CHARS / piece.length) + 1 }, () => piece);
    const model = await serve({ chunks: [sse(chunk({ content: "a" })), "data: ", ...flood], end: "hang" });
    const message = finalOf(await allEvents(streamOpenAICompatible(model, userContext(), { maxRetries: 0 })));
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toContain(`larger than ${MAX_EVENT_CHARS} characters`);
    expect(message.content).toEqual([{ type: "text", text: "a" }]);
  });

  it("finish_reason without [DONE] on a connection left open ends after the grace period", async () => {
    let sent!: () => void;
    const finished = new Promise<void>((resolve) => (sent = resolve));
    const model = await serve({ chunks: [sse(chunk({ content: "done" }, "stop")), () => sent()], end: "hang" });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const events: AssistantMessageEvent[] = [];
    const ended = new Promise<void>((resolve) => streamOpenAICompatible(model, userContext()).subscribe({ next: (e) => events.push(e), complete: resolve }));
    await finished;
    // Let the client read the chunk, then move the clock past the grace period.
    await until(() => events.some((e) => e.type === "text_delta"));
    vi.advanceTimersByTime(FINISH_GRACE_MS);
    await ended;
    expect(finalOf(events)).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "done" }] });
  });

  it("a tool_calls string is not read as one call per character", async () => {
    const model = await serve({ chunks: [sseBody(chunk({ content: "hi", tool_calls: "x".repeat(100_000) } as never), chunk({}, "stop"))] });
    const message = finalOf(await allEvents(streamOpenAICompatible(model, userContext())));
    expect(message).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "hi" }] });
  });

  it("a redirect is not followed (a 307 elsewhere would resend the prompt and the key)", async () => {
    const model = await serve({ status: 307, headers: { location: "http://127.0.0.1:9/elsewhere" }, chunks: [] });
    const message = finalOf(await allEvents(streamOpenAICompatible(model, userContext(), { apiKey: "secret" })));
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toMatch(/redirect \(HTTP 307\) to http:\/\/127\.0\.0\.1:9\/elsewhere; redirects are not followed/);
    expect(server!.requests).toHaveLength(1);
  });
});
