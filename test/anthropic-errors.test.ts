import { afterEach, describe, expect, it, vi } from "vitest";
import { anthropicModel, streamAnthropic, type AssistantMessageEvent, type Model } from "../src/index.js";
import { anthropicSse, anthropicTextBody, messageStart, textBlock } from "./helpers/anthropic-events.js";
import { allEvents, finalOf, types, userContext } from "./helpers/openai-chunks.js";
import { type Script, type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function serve(script: Script): Promise<Model> {
  server = await startSseServer(script);
  return anthropicModel("claude-haiku-4-5", { baseUrl: server.url });
}

const run = (model: Model, options: Parameters<typeof streamAnthropic>[2] = {}) =>
  allEvents(streamAnthropic(model, userContext("Hi"), { apiKey: "sk-ant-test", maxRetries: 0, retryBaseDelayMs: 1, ...options }));

const jsonError = (status: number, type: string, message: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  chunks: [JSON.stringify({ type: "error", error: { type, message }, request_id: "req_011CSHoEeqs5C35K2UUqR7Fy" })],
});

const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };

describe("streamAnthropic: provider errors", () => {
  it("an overloaded_error event mid-answer ends in one terminal error with Anthropic's message; the partial text is kept", async () => {
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Half an ans" } },
          overloaded,
        ),
      ],
    });
    const events = await run(model, { maxRetries: 2 });
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_end", "error"]);
    const message = finalOf(events);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("Anthropic reported an error mid-stream: Overloaded (overloaded_error)");
    expect(message.content).toEqual([{ type: "text", text: "Half an ans" }]);
    expect(server!.requests).toHaveLength(1);
  });

  it("an overloaded_error before any content is retried", async () => {
    const model = await serve([{ chunks: [anthropicSse(messageStart(), { type: "ping" }, overloaded)] }, { chunks: [anthropicTextBody("Back.")] }]);
    const events = await run(model, { maxRetries: 2 });
    expect(types(events)).toEqual(["retry", "start", "text_start", "text_delta", "text_end", "done"]);
    expect(finalOf(events).content).toEqual([{ type: "text", text: "Back." }]);
  });

  it("HTTP 529 (overloaded) is retried after the server's retry-after, before start", async () => {
    const model = await serve([jsonError(529, "overloaded_error", "Overloaded", { "retry-after": "0.05" }), { chunks: [anthropicTextBody("ok")] }]);
    const events = await run(model, { maxRetries: 2 });
    expect(events[0]).toEqual({ type: "retry", attempt: 1, delayMs: 50, reason: `Provider overloaded (HTTP 529) at ${server!.url}/v1/messages: Overloaded` });
    expect(finalOf(events)).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "ok" }] });
    expect(server!.requests).toHaveLength(2);
  });

  it("529 every time gives up, saying how often it tried", async () => {
    const model = await serve(jsonError(529, "overloaded_error", "Overloaded", { "retry-after": "0" }));
    const message = finalOf(await run(model, { maxRetries: 2 }));
    expect(message.errorMessage).toBe(`Provider overloaded (HTTP 529) at ${server!.url}/v1/messages: Overloaded (gave up after 2 retries)`);
    expect(server!.requests).toHaveLength(3);
  });

  it("400 is not retried and quotes Anthropic's reason", async () => {
    const model = await serve(
      jsonError(400, "invalid_request_error", "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5"),
    );
    const events = await run(model, { maxRetries: 2 });
    expect(types(events)).toEqual(["error"]);
    expect(finalOf(events).errorMessage).toBe(
      `Request rejected (HTTP 400) at ${server!.url}/v1/messages: max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5`,
    );
    expect(server!.requests).toHaveLength(1);
  });

  it("401 without a key names ANTHROPIC_API_KEY; with the env key says that one was rejected; not retried", async () => {
    const model = await serve(jsonError(401, "authentication_error", "invalid x-api-key"));
    vi.stubEnv("ANTHROPIC_API_KEY", "");
    const none = finalOf(await run(model, { apiKey: undefined, maxRetries: 2 }));
    expect(none.errorMessage).toBe(
      `Authentication failed (HTTP 401) at ${server!.url}/v1/messages: invalid x-api-key. No API key was sent: set ANTHROPIC_API_KEY or pass \`apiKey\`.`,
    );
    expect(server!.requests[0]!.headers["x-api-key"]).toBeUndefined();
    vi.stubEnv("ANTHROPIC_API_KEY", "sk-ant-from-env");
    const fromEnv = finalOf(await run(model, { apiKey: undefined }));
    expect(fromEnv.errorMessage).toMatch(/: invalid x-api-key\. The API key read from ANTHROPIC_API_KEY was rejected: check it\.$/);
    expect(server!.requests[1]!.headers["x-api-key"]).toBe("sk-ant-from-env");
    expect(server!.requests).toHaveLength(2);
  });

  it("a stream that stops without message_stop is an error that keeps the partial answer", async () => {
    const model = await serve({ chunks: [anthropicSse(messageStart(), ...textBlock(0, "Trunc"))] });
    const message = finalOf(await run(model));
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe(
      `The stream from ${server!.url}/v1/messages ended before the model finished (no message_stop); the partial answer is kept.`,
    );
    expect(message.content).toEqual([{ type: "text", text: "Trunc" }]);
  });
});

describe("streamAnthropic: abort", () => {
  it("aborting mid-stream ends with reason aborted, keeps the partial text, and the server sees the disconnect", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const model = await serve({
      chunks: [
        anthropicSse(
          messageStart(),
          { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Partial" } },
        ),
        () => held,
      ],
      end: "hang",
    });
    const controller = new AbortController();
    const events: AssistantMessageEvent[] = [];
    const done = new Promise<void>((resolve) =>
      streamAnthropic(model, userContext(), { apiKey: "k", signal: controller.signal }).subscribe({
        next: (event) => {
          events.push(event);
          if (event.type === "text_delta") controller.abort();
        },
        complete: resolve,
      }),
    );
    await done;
    const closed = await server!.requests[0]!.closed;
    release();
    expect(closed.byClient).toBe(true);
    const message = finalOf(events);
    expect(message.stopReason).toBe("aborted");
    expect(message.content).toEqual([{ type: "text", text: "Partial" }]);
  });
});
