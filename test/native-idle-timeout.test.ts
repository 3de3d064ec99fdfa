/**
 * `idleTimeoutMs` on each native provider, as on the OpenAI-compatible
 * adapter: a stream that goes silent mid-answer ends in one error naming the
 * URL and the timeout, keeps the partial answer, and hangs up (the server
 * sees the disconnect); a server that never answers is covered too. Fake
 * clock, so no real wait decides the outcome.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AssistantMessageEvent } from "../src/index.js";
import { anthropicSse, messageStart, textBlock } from "./helpers/anthropic-events.js";
import { until, useFakeClock } from "./helpers/fake-clock.js";
import { gchunk, gsse } from "./helpers/gemini-chunks.js";
import { finalOf } from "./helpers/openai-chunks.js";
import { ResponsesStream } from "./helpers/responses-events.js";
import { NATIVE_PROVIDERS, type NativeProvider } from "./helpers/native-providers.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** Each provider: its stream, a model at a base URL, its request path, and a body that streams "Hi" and then nothing more. */
const PROVIDERS: (NativeProvider & { path: string; partial: string })[] = [
  {
    ...NATIVE_PROVIDERS.anthropic,
    path: "/v1/messages",
    // The block starts and one delta arrives; no block end, no message_stop.
    partial: anthropicSse(messageStart(), ...textBlock(0, "Hi").slice(0, 2)),
  },
  {
    ...NATIVE_PROVIDERS.responses,
    path: "/responses",
    // Everything before the message item's done event.
    partial: new ResponsesStream().message("msg_1", "Hi").body().split("event: response.output_text.done")[0]!,
  },
  {
    ...NATIVE_PROVIDERS.google,
    path: "/v1beta/models/gemini-test:streamGenerateContent?alt=sse",
    partial: gsse(gchunk([{ text: "Hi" }])),
  },
];

async function serve(script: Script): Promise<SseServer> {
  server = await startSseServer(script);
  return server;
}

describe.each(PROVIDERS)("$name: idleTimeoutMs", ({ stream, model, path, partial }) => {
  it("a stream silent after the first delta ends in an error saying so, keeps the partial text, and hangs up", async () => {
    const { url, requests } = await serve({ chunks: [partial], end: "hang" });
    useFakeClock();
    const events: AssistantMessageEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      stream(model(url), { messages: [{ role: "user", content: "hi", timestamp: 0 }] }, { apiKey: "k", idleTimeoutMs: 60, maxRetries: 0 }).subscribe({
        next: (event) => events.push(event),
        complete: resolve,
      }),
    );
    await until(() => events.some((event) => event.type === "text_delta"));
    vi.advanceTimersByTime(60);
    await ended;
    expect(events.filter((event) => event.type === "done" || event.type === "error")).toHaveLength(1);
    const message = finalOf(events);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe(`No data from ${url}${path} for 60 ms (idleTimeoutMs); gave up waiting.`);
    expect(message.content).toMatchObject([{ type: "text", text: "Hi" }]);
    expect(await requests[0]!.closed).toEqual({ byClient: true });
  });

  it("a server that never sends headers is given up too, and hung up on", async () => {
    const { url, requests } = await serve(() => new Promise(() => {}));
    useFakeClock();
    const events: AssistantMessageEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      stream(model(url), { messages: [{ role: "user", content: "hi", timestamp: 0 }] }, { apiKey: "k", idleTimeoutMs: 50, maxRetries: 0 }).subscribe({
        next: (event) => events.push(event),
        complete: resolve,
      }),
    );
    await until(() => requests.length === 1);
    vi.advanceTimersByTime(50);
    await ended;
    expect(events.map((event) => event.type)).toEqual(["error"]);
    expect(finalOf(events)).toMatchObject({
      stopReason: "error",
      content: [],
      errorMessage: `No data from ${url}${path} for 50 ms (idleTimeoutMs); gave up waiting.`,
    });
    expect(await requests[0]!.closed).toEqual({ byClient: true });
  });
});
