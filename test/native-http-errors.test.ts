/**
 * HTTP errors on each native provider, one table: 429 is retried after
 * `retry-after`; 401 and 404 are not, and say what to check (the key's env
 * variable, the model id and base URL). Real HTTP over loopback.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { anthropicTextBody } from "./helpers/anthropic-events.js";
import { textBody } from "./helpers/gemini-chunks.js";
import { allEvents, finalOf, types, userContext } from "./helpers/openai-chunks.js";
import { ResponsesStream } from "./helpers/responses-events.js";
import { NATIVE_PROVIDERS, type NativeProvider } from "./helpers/native-providers.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

const json = { "content-type": "application/json" };
const errorBody = (message: string) => JSON.stringify({ error: { message } });

const PROVIDERS: (NativeProvider & { env: string[]; hint: string; ok: string })[] = [
  {
    ...NATIVE_PROVIDERS.anthropic,
    env: ["ANTHROPIC_API_KEY"],
    hint: "ANTHROPIC_API_KEY",
    ok: anthropicTextBody("ok"),
  },
  {
    ...NATIVE_PROVIDERS.responses,
    env: ["OPENAI_API_KEY"],
    hint: "OPENAI_API_KEY",
    ok: new ResponsesStream().message("msg_1", "ok").completed().body(),
  },
  {
    ...NATIVE_PROVIDERS.google,
    env: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    hint: "GEMINI_API_KEY (or GOOGLE_API_KEY)",
    ok: textBody("ok"),
  },
];

describe.each(PROVIDERS)("$name: HTTP errors", ({ stream, model, env, hint, ok }) => {
  it("429 is retried after retry-after, then the answer streams", async () => {
    server = await startSseServer([{ status: 429, headers: { ...json, "retry-after": "0" }, chunks: [errorBody("slow down")] }, { chunks: [ok] }]);
    const events = await allEvents(stream(model(server.url), userContext(), { apiKey: "k", maxRetries: 1 }));
    expect(events.filter((e) => e.type === "retry")).toEqual([
      { type: "retry", attempt: 1, delayMs: 0, reason: expect.stringMatching(/^Rate limited \(HTTP 429\) at .*: slow down$/) },
    ]);
    expect(finalOf(events)).toMatchObject({ stopReason: "stop", content: [{ type: "text", text: "ok" }] });
  });

  it("401 without a key is not retried and names the env variable to set", async () => {
    for (const name of env) vi.stubEnv(name, "");
    server = await startSseServer({ status: 401, headers: json, chunks: [errorBody("invalid x-api-key")] });
    const events = await allEvents(stream(model(server.url), userContext(), { maxRetries: 2 }));
    expect(types(events)).toEqual(["error"]);
    expect(finalOf(events).errorMessage).toMatch(
      /^Authentication failed \(HTTP 401\) at .*: invalid x-api-key\. No API key was sent: set (.*) or pass `apiKey`\.$/,
    );
    expect(finalOf(events).errorMessage).toContain(`set ${hint} or pass`);
    expect(server.requests).toHaveLength(1);
  });

  it("404 is not retried and says to check the model id and base URL", async () => {
    server = await startSseServer({ status: 404, headers: json, chunks: [errorBody("model not found")] });
    const events = await allEvents(stream(model(server.url), userContext(), { apiKey: "k", maxRetries: 2 }));
    expect(types(events)).toEqual(["error"]);
    expect(finalOf(events).errorMessage).toMatch(
      /^Not found \(HTTP 404\) at .*: model not found\. Check the model id "(claude|gpt|gemini)-test" and the base URL\.$/,
    );
    expect(server.requests).toHaveLength(1);
  });
});
