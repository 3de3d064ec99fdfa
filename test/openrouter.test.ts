import { afterEach, describe, expect, it, vi } from "vitest";
import { OPENROUTER_BASE_URL, openRouterModel, streamOpenAICompatible, streamOpenRouter } from "../src/index.js";
import { allEvents, chunk, finalOf, sseBody, userContext } from "./helpers/openai-chunks.js";
import { type SseServer, startSseServer } from "./helpers/sse-server.js";

let server: SseServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

const okBody = sseBody(chunk({ reasoning: "hmm" }), chunk({ content: "ok" }), chunk({}, "stop"));

describe("openRouterModel", () => {
  it("has OpenRouter's defaults and takes overrides", () => {
    expect(openRouterModel("openai/gpt-4o-mini")).toEqual({
      id: "openai/gpt-4o-mini",
      name: "openai/gpt-4o-mini",
      api: "openai-completions",
      provider: "openrouter",
      baseUrl: "https://openrouter.ai/api/v1",
    });
    expect(OPENROUTER_BASE_URL).toBe("https://openrouter.ai/api/v1");
    expect(openRouterModel("x/y", { reasoning: true, maxTokens: 100 })).toMatchObject({ id: "x/y", reasoning: true, maxTokens: 100, provider: "openrouter" });
  });
});

describe("streamOpenRouter", () => {
  it("sends OPENROUTER_API_KEY, the attribution headers from the environment and the reasoning field", async () => {
    vi.stubEnv("OPENROUTER_API_KEY", "sk-or-v1-test");
    vi.stubEnv("TINYAGENT_APP_URL", "https://example.org/app");
    vi.stubEnv("TINYAGENT_APP_NAME", "Example App");
    server = await startSseServer({ chunks: [okBody] });
    const model = openRouterModel("deepseek/deepseek-r1", { baseUrl: `${server.url}/api/v1`, reasoning: true });
    const events = await allEvents(streamOpenRouter(model, userContext()));
    expect(finalOf(events).content).toEqual([
      { type: "thinking", thinking: "hmm" },
      { type: "text", text: "ok" },
    ]);
    const req = server.requests[0]!;
    expect(req.url).toBe("/api/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-or-v1-test");
    expect(req.headers["http-referer"]).toBe("https://example.org/app");
    expect(req.headers["x-title"]).toBe("Example App");
    expect(req.json()).toMatchObject({ model: "deepseek/deepseek-r1", stream: true, reasoning: { enabled: true } });
  });

  it("sends neither attribution headers nor reasoning when unset", async () => {
    vi.stubEnv("TINYAGENT_APP_URL", "");
    vi.stubEnv("TINYAGENT_APP_NAME", "");
    server = await startSseServer({ chunks: [okBody] });
    await allEvents(streamOpenRouter(openRouterModel("m", { baseUrl: server.url }), userContext(), { apiKey: "k" }));
    const req = server.requests[0]!;
    expect(req.headers["http-referer"]).toBeUndefined();
    expect(req.headers["x-title"]).toBeUndefined();
    expect(req.json()).not.toHaveProperty("reasoning");
  });

  it("the default stream applies the same extras to OpenRouter models", async () => {
    vi.stubEnv("TINYAGENT_APP_NAME", "Example App");
    server = await startSseServer({ chunks: [okBody] });
    await allEvents(streamOpenAICompatible(openRouterModel("m", { baseUrl: server.url, reasoning: true }), userContext(), { apiKey: "k" }));
    expect(server.requests[0]!.headers["x-title"]).toBe("Example App");
    expect(server.requests[0]!.json()).toMatchObject({ reasoning: { enabled: true } });
  });

  it("a 401 without a key says to set OPENROUTER_API_KEY", async () => {
    vi.stubEnv("OPENROUTER_API_KEY", "");
    server = await startSseServer({ status: 401, chunks: ['{"error":{"message":"No auth credentials found","code":401}}'] });
    const events = await allEvents(streamOpenRouter(openRouterModel("m", { baseUrl: server.url }), userContext()));
    expect(finalOf(events).errorMessage).toBe(
      `Authentication failed (HTTP 401) at ${server.url}/chat/completions: No auth credentials found (code 401). No API key was sent: set OPENROUTER_API_KEY or pass \`apiKey\`.`,
    );
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });
});
