/**
 * The proxy as a fetch handler (`proxyRequestHandler`): Request in, Response
 * out — the same refusals as the node server, the same messages through
 * `streamProxy` (served over loopback by the node bridge), backpressure on
 * the body stream, the upstream cancelled when the reader goes — and the
 * browser build of `tinyagent/proxy` bundles without any `node:` module.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import type { Context } from "../src/core/types.js";
import { proxyModel, proxyRequestHandler, streamProxy } from "../src/proxy.js";
import { nodeHandler } from "../src/server/index.js";
import { createFauxProvider, fauxModel } from "../src/testing.js";
import { collect, comparable, deferred, finalOf, firehose, KEY, shape, TOKEN, watchedUpstream } from "./helpers/proxy-harness.js";

const context: Context = { messages: [{ role: "user", content: "hi", timestamp: 1 }] };
const body = (extra: object = {}) => JSON.stringify({ model: { id: fauxModel().id, provider: "faux", api: "faux" }, context, options: {}, ...extra });
const post = (init: { body?: string; headers?: Record<string, string>; path?: string; method?: string } = {}) =>
  new Request(`http://proxy.test${init.path ?? "/api/stream"}`, {
    method: init.method ?? "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...init.headers },
    ...(init.method === "GET" ? {} : { body: init.body ?? body() }),
  });

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Serves `handle` on loopback through the node bridge; resolves to its base URL. */
async function serve(handle: (request: Request) => Promise<Response>): Promise<string> {
  const server = createServer(nodeHandler(handle));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("proxyRequestHandler: Request in, Response out", () => {
  const handler = (options: Partial<Parameters<typeof proxyRequestHandler>[0]> = {}) =>
    proxyRequestHandler({ authToken: TOKEN, apiKey: KEY, models: [fauxModel()], upstream: createFauxProvider([{ text: "hi" }]).streamFn, ...options });

  it("refuses what the node server refuses, with the same statuses and a body saying what to do", async () => {
    const handle = handler({ maxBodyBytes: 2000 });
    const cases: [Request, number, RegExp][] = [
      [post({ headers: { Authorization: "Bearer wrong" } }), 401, /bearer token/],
      [post({ headers: { Authorization: "" } }), 401, /Authorization: Bearer/],
      [post({ body: "{not json" }), 400, /Malformed JSON/],
      [post({ body: JSON.stringify({ model: {} }) }), 400, /Invalid request body/],
      [post({ body: body({ model: { id: "other", provider: "faux" } }) }), 403, /not allowed/],
      [post({ headers: { "Content-Type": "text/plain" } }), 415, /as JSON/],
      [post({ body: body({ pad: "x".repeat(3000) }) }), 413, /limit of 2000 bytes/],
      [post({ path: "/api/other" }), 404, /POST \/api\/stream/],
      [post({ method: "GET" }), 405, /Use POST/],
      [post({ headers: { Origin: "https://evil.example" } }), 403, /Origin https:\/\/evil.example is not allowed/],
    ];
    for (const [request, status, message] of cases) {
      const response = await handle(request);
      expect([response.status, ((await response.json()) as { error: string }).error]).toEqual([status, expect.stringMatching(message)]);
    }
    expect((await handle(post({ headers: { Authorization: "Bearer x" } }))).headers.get("www-authenticate")).toBe("Bearer");
    expect(await (await handle(post({ path: "/healthz", method: "GET" }))).json()).toEqual({ ok: true });
    expect(() => proxyRequestHandler({ authToken: " " })).toThrow(/blank `authToken`/);
    expect(() => proxyRequestHandler({})).toThrow(/needs `authToken` or `authorize`/);
  });

  it("streams SSE that streamProxy rebuilds into the same message as the direct stream, key redacted", async () => {
    const reply = { thinking: "Add them.", text: "Calling a tool.", toolCalls: [{ name: "sum", arguments: { numbers: [1, 2] } }], chunkSize: 4 };
    const leaky = { text: `The key is ${KEY}.`, chunkSize: 3 };
    const direct = await collect(createFauxProvider([reply]).streamFn(fauxModel(), context));
    const url = await serve(handler({ upstream: createFauxProvider([reply, leaky]).streamFn }));
    const model = proxyModel({ id: fauxModel().id, proxyUrl: url, authToken: TOKEN });
    const proxied = await collect(streamProxy(model, context));
    // Deltas may be regrouped (the redactor holds back what could begin the key); the message may not differ.
    expect(new Set(shape(proxied))).toEqual(new Set(shape(direct)));
    expect(comparable(finalOf(proxied))).toEqual(comparable(finalOf(direct)));
    const redacted = finalOf(await collect(streamProxy(model, context)));
    expect(redacted.content).toEqual([{ type: "text", text: "The key is [redacted]." }]);
  });

  it("merges deltas while the reader is behind, and still delivers the whole message", async () => {
    const upstream = firehose(500, 100);
    const response = await handler({ upstream: upstream.streamFn })(post());
    // Nothing read yet: the whole burst waited in the handler, mostly merged.
    const text = await response.text();
    const frames = text
      .split("\n\n")
      .filter(Boolean)
      .map((f) => JSON.parse(f.slice("data: ".length)) as { type: string; delta?: string });
    expect(
      frames
        .filter((f) => f.type === "text_delta")
        .map((f) => f.delta)
        .join("").length,
    ).toBe(500 * 100);
    expect(frames.filter((f) => f.type === "text_delta").length).toBeLessThan(500);
    expect(frames.at(-1)?.type).toBe("done");
  });

  it("cancels the upstream past maxBufferedBytes, and when the reader cancels the body", async () => {
    const flood = firehose(4096, 1024);
    const handle = handler({ upstream: flood.streamFn, maxBufferedBytes: 64 * 1024 });
    const text = await (await handle(post())).text();
    expect(flood.stats.cancelled).toBe(true);
    expect(text).toMatch(/client read too slowly/);

    const hold = deferred();
    const watched = watchedUpstream(createFauxProvider([{ text: "never", hold: hold.promise }]).streamFn);
    const holding = handler({ upstream: watched.streamFn });
    const response = await holding(post());
    expect(holding.activeStreams).toBe(1);
    await response.body!.cancel();
    await watched.aborted;
    expect(holding.activeStreams).toBe(0);
  });

  it("close() ends streams in flight with an aborted event and refuses new ones (503)", async () => {
    const hold = deferred();
    const handle = handler({ upstream: createFauxProvider([{ text: "never", hold: hold.promise }]).streamFn });
    const response = await handle(post());
    handle.close();
    expect(await response.text()).toMatch(/"reason":"aborted".*shutting down/);
    expect((await handle(post())).status).toBe(503);
  });
});

describe("tinyagent/proxy in a browser bundle", () => {
  const bundle = (contents: string) =>
    build({
      stdin: { contents, resolveDir: process.cwd(), loader: "ts" },
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      logLevel: "silent",
      conditions: ["tinyagent-source"],
      external: ["zod", "zod/*", "rxjs", "eventsource-parser", "partial-json", "xstate"],
    });

  it('`import { streamProxy, proxyModel, proxyRequestHandler } from "tinyagent/proxy"` bundles for the browser with no node: module', async () => {
    const result = await bundle(`export { streamProxy, proxyModel, proxyRequestHandler } from "tinyagent/proxy";`);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/["']node:/);
    expect(code).toContain("proxyRequestHandler");
  });

  it("the node build of the same entry would not (the check can fail)", async () => {
    await expect(bundle(`export * from "./src/proxy.ts";`)).rejects.toThrow(/node:http/);
  });
});
