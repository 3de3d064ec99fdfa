import { afterEach, describe, expect, it, vi } from "vitest";
import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import fc from "fast-check";
import { Observable } from "rxjs";
import { streamProxy } from "../src/proxy.js";
import { openAICompatibleModel } from "../src/index.js";
import { createFauxProvider, fauxModel, type FauxResponse } from "../src/testing.js";
import type { AssistantMessageEvent, Context, StreamFn } from "../src/core/types.js";
import { closeProxies, collect, finalOf, KEY, startProxy, TOKEN, watchedUpstream } from "./helpers/proxy-harness.js";
import { startSseServer } from "./helpers/sse-server.js";

const context: Context = { messages: [{ role: "user", content: "hi", timestamp: 1 }] };
const body = JSON.stringify({ model: { id: fauxModel().id }, context, options: {} });
const auth = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };

afterEach(closeProxies);

/** POSTs to /api/stream and returns status, headers and the whole body text. */
async function post(url: string, init: { headers?: Record<string, string>; body?: string; path?: string; method?: string } = {}) {
  const response = await fetch(`${url}${init.path ?? "/api/stream"}`, {
    method: init.method ?? "POST",
    headers: init.headers ?? auth,
    ...(init.method === "GET" || init.method === "OPTIONS" ? {} : { body: init.body ?? body }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Sends raw bytes and resolves with everything the server sent back until it closed. */
function raw(url: string, bytes: string, encoding: BufferEncoding = "utf8"): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(Buffer.from(bytes, encoding)));
    let received = "";
    socket.on("data", (d) => (received += d.toString()));
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
  });
}

describe("proxy server rejections", () => {
  it("answers each bad request with its status and a JSON error", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn, maxBodyBytes: 2048 });
    expect((await post(url, { headers: { "Content-Type": "application/json" } })).status).toBe(401);
    const wrong = await post(url, { headers: { ...auth, Authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe("Bearer");
    expect(JSON.parse(wrong.text)).toEqual({ error: "Missing or wrong bearer token: send `Authorization: Bearer <token>`." });
    expect((await post(url, { body: "x".repeat(4096) })).status).toBe(413);
    expect((await post(url, { body: "{not json" })).status).toBe(400);
    expect((await post(url, { body: JSON.stringify({ model: { id: "gpt-5" }, context }) })).status).toBe(403);
    expect((await post(url, { method: "GET" })).status).toBe(405);
    expect((await post(url, { path: "/nope" })).status).toBe(404);
    expect(await post(url, { path: "/healthz", method: "GET" })).toMatchObject({ status: 200, text: '{"ok":true}' });
  });

  it("without a model allow-list: a custom upstream serves any model id; the default upstream refuses unknown providers", async () => {
    const faux = createFauxProvider([{ text: "served" }]);
    const open = await startProxy({ models: undefined, upstream: faux.streamFn });
    const message = finalOf(await collect(streamProxy({ ...open.model, id: "any-model" }, context)));
    expect(message.stopReason).toBe("stop");
    expect(faux.calls[0]?.model.id).toBe("any-model");
    const closed = await startProxy({ models: undefined });
    const refused = await post(closed.url, { body: JSON.stringify({ model: { id: "m", provider: "local" }, context }) });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error).toMatch(/no model allow-list and provider "local" has no known public endpoint/);
  });

  it("lists the zod problems of a schema violation", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn });
    const bad = { model: {}, context: { messages: [{ role: "user", content: 42 }, { role: "robot" }] }, options: { maxTokens: -1 } };
    const { status, text } = await post(url, { body: JSON.stringify(bad) });
    expect(status).toBe(400);
    const reply = JSON.parse(text) as { error: string; issues: { path: string; message: string }[] };
    expect(reply.error).toMatch(/^Invalid request body:\n/);
    expect(reply.issues.map((i) => i.path)).toEqual(["model.id", "context.messages.0.content", "context.messages.1.role", "options.maxTokens"]);
  });

  it("refuses a body over the limit even without a Content-Length", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn, maxBodyBytes: 1024 });
    const chunk = "x".repeat(600);
    const reply = await raw(
      url,
      `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `258\r\n${chunk}\r\n258\r\n${chunk}\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("uses the authorize hook: false is 401, a throw is 500 without details", async () => {
    const seen: string[] = [];
    const { url } = await startProxy({
      upstream: createFauxProvider([{ text: "ok" }]).streamFn,
      authToken: [],
      authorize: (req) => {
        const user = req.headers["x-user"];
        if (user === "boom") throw new Error(`hook failed for ${KEY}`);
        seen.push(String(user));
        return user === "alice";
      },
    });
    expect((await post(url, { headers: { "Content-Type": "application/json", "X-User": "bob" } })).status).toBe(401);
    const boom = await post(url, { headers: { "Content-Type": "application/json", "X-User": "boom" } });
    expect(boom).toMatchObject({ status: 500, text: '{"error":"Internal proxy error."}' });
    expect((await post(url, { headers: { "Content-Type": "application/json", "X-User": "alice" } })).status).toBe(200);
    expect(seen).toEqual(["bob", "alice"]);
  });

  it("refuses to start without a token or an authorize hook", async () => {
    const { createProxyServer } = await import("../src/proxy.js");
    expect(() => createProxyServer({ models: [] })).toThrow(/needs `authToken` or `authorize`/);
  });

  it("refuses to start with an empty or blank token (it would open the proxy)", async () => {
    const { createProxyServer } = await import("../src/proxy.js");
    for (const authToken of ["", " ", "\u00a0", [""], ["good-token", ""], ["good-token", "\t\n"]]) {
      expect(() => createProxyServer({ authToken, models: [] }), JSON.stringify(authToken)).toThrow(/empty or blank `authToken`/);
    }
  });

  it("compares the token byte-exact after the one scheme: whitespace tricks are 401", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn, authToken: [TOKEN, " padded "] });
    const attempts = ["Bearer \u00a0", "Bearer  ", `Bearer  ${TOKEN}`, `Bearer\t${TOKEN}`, "Bearer padded", "Bearer  padded"];
    for (const authorization of attempts) {
      const reply = await raw(
        url,
        `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        "latin1",
      );
      expect(reply, JSON.stringify(authorization)).toMatch(/^HTTP\/1\.1 401 /);
    }
    expect((await post(url, { headers: { ...auth, Authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it("times out slow headers and slow bodies with 408", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn, headersTimeoutMs: 150, bodyTimeoutMs: 150 });
    expect(await raw(url, "POST /api/stream HTTP/1.1\r\nHost: x\r\n")).toMatch(/^HTTP\/1\.1 408 /);
    const slowBody = await raw(
      url,
      `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );
    expect(slowBody).toMatch(/^HTTP\/1\.1 408 /);
    expect(slowBody).toContain("Request body did not arrive within 150 ms.");
  });
});

describe("proxy CORS", () => {
  it("is off by default: no CORS headers, no preflight", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn });
    const preflight = await post(url, { method: "OPTIONS", headers: { Origin: "https://app.example" } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers allowed origins only, also on errors", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn, cors: { origin: ["https://app.example"] } });
    const preflight = await post(url, { method: "OPTIONS", headers: { Origin: "https://app.example" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("Authorization, Content-Type");
    const denied = await post(url, { headers: { Origin: "https://app.example" }, body: "{" });
    expect(denied.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await post(url, { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the upstream key", () => {
  it("never appears in any byte sent to a client", async () => {
    // An upstream that leaks the key in every way it can: deltas, error text, a thrown error.
    let call = 0;
    const leaky: StreamFn = (model, _context, options) =>
      new Observable<AssistantMessageEvent>((subscriber) => {
        const key = options?.apiKey ?? "";
        const n = call++;
        if (n === 2) throw new Error(`connect failed with key ${key}`);
        if (n === 3) return subscriber.error(new Error(`401 from provider: bad key ${key}`));
        const inner = createFauxProvider([n === 0 ? { text: `the key is ${key}!` } : { text: "x", error: `Invalid API key: ${key}` }]);
        return inner.streamFn(model, _context, options).subscribe(subscriber);
      });
    const { url, model } = await startProxy({ upstream: leaky });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await post(url));
    replies.push(await post(url, { headers: {} }), await post(url, { body: "{" }), await post(url, { body: JSON.stringify({ model: { id: "x" }, context }) }));
    const everything = replies.map((r) => r.text).join("\n");
    expect(everything).not.toContain(KEY);
    expect(everything).toContain("[redacted]");
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 401, 400, 403]);

    const events = await collect(streamProxy(model, context));
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(finalOf(events).errorMessage).toBe("Invalid API key: [redacted]");
  });
});

describe("hostile input", () => {
  /** `depth` nested arrays or objects, built as text (JSON.stringify would overflow first). */
  const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

  /** After every attack the proxy still streams a normal request and holds no stream. */
  async function expectStillServing(url: string, proxy: { activeStreams: number }) {
    const ok = await post(url);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"type":"done"');
    await vi.waitFor(() => expect(proxy.activeStreams).toBe(0));
  }

  it("deeply nested JSON is refused or contained, never a crash", async () => {
    // Like every real adapter, this upstream serialises the context (which overflows the stack here).
    const faux = createFauxProvider(() => ({ text: "ok" }));
    const serialising: StreamFn = (model, ctx, options) => (JSON.stringify(ctx), faux.streamFn(model, ctx, options));
    const { url, proxy } = await startProxy({ upstream: serialising });
    // 300k levels of arrays as the whole body: valid JSON, wrong shape.
    const top = await post(url, { body: deepArray(300_000) });
    expect(top.status).toBe(400);
    expect(JSON.parse(top.text).error).toBe("The request body is nested deeper than 64 levels; flatten it (limits.maxDepth).");
    // 200k levels where the schema takes anything (tool parameters): refused before the upstream, which would overflow its stack.
    const tools = `[{"name":"t","description":"d","parameters":${deepObject(200_000)}}]`;
    const inTools = await post(url, {
      body: `{"model":{"id":"${fauxModel().id}"},"context":{"messages":[{"role":"user","content":"hi","timestamp":1}],"tools":${tools}}}`,
    });
    expect(inTools.status).toBe(400);
    expect(JSON.parse(inTools.text).error).toBe("The request body is nested deeper than 64 levels; flatten it (limits.maxDepth).");
    expect(faux.calls).toHaveLength(0);
    await expectStillServing(url, proxy);
  });

  it("refuses form, multipart and other non-JSON content types (415) before reading the body", async () => {
    const { url, proxy } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn });
    for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "image/png", "text/plain"]) {
      const reply = await post(url, { headers: { ...auth, "Content-Type": type } });
      expect(reply.status, type).toBe(415);
      expect(JSON.parse(reply.text).error).toBe(`Send the request body as JSON (Content-Type: application/json), not ${type.split(";")[0]}.`);
    }
    expect((await post(url, { headers: { ...auth, "Content-Type": "application/json; charset=utf-8" } })).status).toBe(200);
    expect((await post(url, { headers: { ...auth, "Content-Type": "application/vnd.api+json" } })).status).toBe(200);
    await expectStillServing(url, proxy);
  });

  it("missing, empty, wrong-scheme and near-miss tokens are all 401, with the key nowhere", async () => {
    const { url, proxy } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn });
    const attempts = ["", "Bearer", "Bearer ", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${KEY}`, `Token ${TOKEN}`];
    for (const authorization of attempts) {
      const reply = await post(url, { headers: { "Content-Type": "application/json", ...(authorization ? { Authorization: authorization } : {}) } });
      expect(reply.status, authorization).toBe(401);
      expect(reply.text).not.toContain(KEY);
    }
    await expectStillServing(url, proxy);
  });

  it("a slowloris body (a byte every 20 ms, never finished) gets 408 at the body timeout and its socket closed", async () => {
    const { url, proxy } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn, bodyTimeoutMs: 200 });
    const { port } = new URL(url);
    const started = performance.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () =>
        socket.write(
          `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
        ),
      );
      const drip = setInterval(() => socket.writable && socket.write("{"), 20);
      let received = "";
      socket.on("data", (d) => (received += d.toString()));
      socket.on("close", () => {
        clearInterval(drip);
        resolve(received);
      });
      socket.on("error", (error) => {
        clearInterval(drip);
        // A reset after the 408 was written still counts as closed by the server.
        received ? resolve(received) : reject(error);
      });
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    // Far below the ~2,000 s the drip would take to finish: the body timeout ended it (a loose bound: machines are shared).
    expect(performance.now() - started).toBeLessThan(10_000);
    await expectStillServing(url, proxy);
  });

  it("oversized bodies, eight at once: all 413, the server unharmed", async () => {
    const { url, proxy } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn, maxBodyBytes: 64 * 1024 });
    const big = "x".repeat(1024 * 1024);
    const replies = await Promise.all(Array.from({ length: 8 }, () => post(url, { body: big })));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(413));
    await expectStillServing(url, proxy);
  });
});

describe("hostile request targets", () => {
  it("targets that do not parse as URLs get 400 (a throw in the listener would end the process)", async () => {
    const { url, proxy } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn });
    for (const target of ["/\\/..%2f/..", "//..%2f", "/\\/a:b@%/"]) {
      const reply = await raw(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(reply, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(reply, target).toContain('{"error":"Malformed request path."}');
    }
    expect((await post(url)).status).toBe(200);
    expect(proxy.activeStreams).toBe(0);
  });

  it("200 random traversal-ish targets: a JSON error for each, never a crash or a file", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn });
    const pieces = ["..", "%2e%2e", "..%2f", "%5c", "\\", "", "%00", "api", "stream", "healthz", "etc", "passwd", "~"];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 8 }), async (parts) => {
        const target = `/${parts.join("/")}`;
        const reply = await raw(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(reply, target).toMatch(/^HTTP\/1\.1 (200|400|404|405) /);
        expect(reply, target).not.toMatch(/root:x?:0:0|devDependencies/);
      }),
      { numRuns: 200 },
    );
    expect((await post(url, { path: "/healthz", method: "GET" })).status).toBe(200);
  });
});

describe("bounds on counts, not only bytes", () => {
  const request = (ctx: Record<string, unknown>, options: Record<string, unknown> = {}) =>
    JSON.stringify({ model: { id: fauxModel().id }, context: ctx, options });
  const hi = { role: "user", content: "hi", timestamp: 1 };

  it("322k tiny tools inside the byte limit: 413 before any schema work or upstream call", async () => {
    const faux = createFauxProvider(() => ({ text: "ok" }));
    const { url, proxy } = await startProxy({ upstream: faux.streamFn });
    const tools = `[${Array.from({ length: 322_000 }, () => '{"name":"t"}').join(",")}]`;
    const huge = `{"model":{"id":"${fauxModel().id}"},"context":{"messages":[${JSON.stringify(hi)}],"tools":${tools}}}`;
    expect(huge.length).toBeLessThan(4 * 1024 * 1024);
    const reply = await post(url, { body: huge });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text)).toEqual({ error: "The request has 322000 tools; this proxy accepts at most 512 (limits.maxTools).", limit: "maxTools" });
    expect(faux.calls).toHaveLength(0);
    expect((await post(url)).status).toBe(200);
    expect(proxy.activeStreams).toBe(0);
  });

  it("messages, content blocks, tools added by system messages, schema size and maxTokens each have a bound with a clear error", async () => {
    const faux = createFauxProvider(() => ({ text: "ok" }));
    const { url } = await startProxy({
      upstream: faux.streamFn,
      models: [{ ...fauxModel(), maxTokens: 4096 }],
      limits: { maxMessages: 10, maxContentBlocks: 20, maxTools: 3, maxSchemaNodes: 50 },
    });
    const refused = async (body: string) => {
      const reply = await post(url, { body });
      return { status: reply.status, error: (JSON.parse(reply.text) as { error: string }).error };
    };
    expect(await refused(request({ messages: Array(11).fill(hi) }))).toEqual({
      status: 413,
      error: "The request has 11 messages; this proxy accepts at most 10 (limits.maxMessages).",
    });
    const blocks = { role: "user", content: Array(21).fill({ type: "text", text: "x" }), timestamp: 1 };
    expect(await refused(request({ messages: [blocks] }))).toEqual({
      status: 413,
      error: "The request has more than 20 content blocks; this proxy accepts at most 20 (limits.maxContentBlocks).",
    });
    const system = { role: "system", toolsAdded: [{ name: "a" }, { name: "b" }] };
    expect(await refused(request({ messages: [system, system, hi] }))).toMatchObject({
      status: 413,
      error: expect.stringMatching(/tools; this proxy accepts at most 3 \(limits\.maxTools\)/),
    });
    const schema = { type: "object", properties: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, { type: "string" }])) };
    expect(await refused(request({ messages: [hi], tools: [{ name: "wide", parameters: schema }] }))).toMatchObject({
      status: 413,
      error: expect.stringMatching(/values in tool parameter schemas; this proxy accepts at most 50 \(limits\.maxSchemaNodes\)\.$/),
    });
    // 2^53 - 1 output tokens (the largest safe integer) is refused; more than the server's model allows is capped at the model's maxTokens.
    expect(await refused(request({ messages: [hi] }, { maxTokens: 2 ** 53 - 1 }))).toEqual({
      status: 400,
      error: "options.maxTokens is 9007199254740991; this proxy accepts at most 1048576 (limits.maxOutputTokens).",
    });
    expect(faux.calls).toHaveLength(0);
    expect((await post(url, { body: request({ messages: [hi] }, { maxTokens: 100_000 }) })).status).toBe(200);
    expect(faux.calls[0]?.options?.maxTokens).toBe(4096);
  });
});

describe("concurrent streams", () => {
  it("caps streams per token (429) and in all (503), with the limit named; slots come back when streams end", async () => {
    const never: StreamFn = () => new Observable<AssistantMessageEvent>(() => {});
    const { url, proxy } = await startProxy({ upstream: never, authToken: [TOKEN, "second-token-xyz"], maxStreamsPerClient: 2, maxStreams: 3 });
    const open = (token: string) => {
      const controller = new AbortController();
      const response = fetch(`${url}/api/stream`, { method: "POST", headers: { ...auth, Authorization: `Bearer ${token}` }, body, signal: controller.signal });
      return { response, abort: () => controller.abort() };
    };
    const held = [open(TOKEN), open(TOKEN)];
    for (const h of held) expect((await h.response).status).toBe(200);
    const third = await post(url);
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("1");
    expect(JSON.parse(third.text).error).toBe(
      "Too many streams at once for this client: 2 in flight, the limit is 2 (maxStreamsPerClient). Wait for one to end.",
    );
    // Another token still gets one stream, then the server-wide cap answers.
    const other = open("second-token-xyz");
    held.push(other);
    expect((await other.response).status).toBe(200);
    const full = await post(url, { headers: { ...auth, Authorization: "Bearer second-token-xyz" } });
    expect(full.status).toBe(503);
    expect(JSON.parse(full.text).error).toBe("The proxy is at its limit of 3 streams at once (maxStreams); retry shortly.");
    for (const h of held) h.abort();
    await vi.waitFor(() => expect(proxy.activeStreams).toBe(0));
    const again = open(TOKEN);
    expect((await again.response).status).toBe(200);
    again.abort();
  });
});

describe("upstream timeouts", () => {
  it("an upstream that goes silent ends the client's stream at upstreamIdleTimeoutMs and is cancelled", async () => {
    const silent = watchedUpstream(() => new Observable<AssistantMessageEvent>(() => {}));
    const { url, proxy } = await startProxy({ upstream: silent.streamFn, upstreamIdleTimeoutMs: 40 });
    const reply = await post(url);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text.trim().replace(/^data: /, ""))).toMatchObject({
      type: "error",
      reason: "error",
      errorMessage: "Proxy: the upstream sent nothing for 40 ms (upstreamIdleTimeoutMs); stream cancelled.",
    });
    await silent.aborted;
    await silent.unsubscribed;
    await vi.waitFor(() => expect(proxy.activeStreams).toBe(0));
  });

  it("an upstream that never ends, though never idle, ends at upstreamTimeoutMs", async () => {
    const chatty = watchedUpstream(
      () =>
        new Observable<AssistantMessageEvent>((subscriber) => {
          const faux = createFauxProvider([{ text: "x".repeat(10), hold: new Promise(() => {}) }]);
          const inner = faux.streamFn(fauxModel(), context).subscribe((event) => subscriber.next(event));
          const beat = setInterval(() => subscriber.next({ type: "retry", attempt: 1, delayMs: 0, reason: "beat" }), 5);
          return () => (clearInterval(beat), inner.unsubscribe());
        }),
    );
    const { url } = await startProxy({ upstream: chatty.streamFn, upstreamIdleTimeoutMs: 60_000, upstreamTimeoutMs: 80 });
    const reply = await post(url);
    expect(reply.text).toContain('"errorMessage":"Proxy: the upstream stream took longer than 80 ms (upstreamTimeoutMs); stream cancelled."');
    await chatty.unsubscribed;
  });
});

describe("cross-site requests", () => {
  it("a no-cors text/plain POST from another site is refused even with a cookie-based authorize", async () => {
    const faux = createFauxProvider(() => ({ text: "ok" }));
    const { url } = await startProxy({ upstream: faux.streamFn, authToken: [], authorize: (req) => req.headers.cookie === "session=alice" });
    const reply = await post(url, { headers: { Cookie: "session=alice", "Content-Type": "text/plain;charset=UTF-8", Origin: "https://evil.example" } });
    expect(reply.status).toBe(403);
    const plain = await post(url, { headers: { Cookie: "session=alice", "Content-Type": "text/plain;charset=UTF-8" } });
    expect(plain.status).toBe(415);
    expect(faux.calls).toHaveLength(0);
    expect((await post(url, { headers: { Cookie: "session=alice", "Content-Type": "application/json" } })).status).toBe(200);
  });

  it("origins outside the CORS list are refused server-side; with CORS off only the page's own origin is served", async () => {
    const faux = createFauxProvider(() => ({ text: "ok" }));
    const listed = await startProxy({ upstream: faux.streamFn, cors: { origin: ["https://app.example"] } });
    const evil = await post(listed.url, { headers: { ...auth, Origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.text).error).toBe("Origin https://evil.example is not allowed on this proxy (add it to cors.origin).");
    expect((await post(listed.url, { headers: { ...auth, Origin: "null" } })).status).toBe(403);
    expect(faux.calls).toHaveLength(0);
    expect((await post(listed.url, { headers: { ...auth, Origin: "https://app.example" } })).status).toBe(200);

    const off = await startProxy({ upstream: faux.streamFn });
    const { host } = new URL(off.url);
    expect((await post(off.url, { headers: { ...auth, Origin: "https://evil.example" } })).status).toBe(403);
    expect((await post(off.url, { headers: { ...auth, Origin: `http://${host}` } })).status).toBe(200);
    expect((await post(off.url)).status).toBe(200);
  });
});

describe("secrets in pieces, upstream addresses", () => {
  it("a key split across deltas at any offset never reaches the client, not even reassembled (60 random splits)", async () => {
    let reply: FauxResponse = { text: "" };
    const { model } = await startProxy({ upstream: createFauxProvider(() => reply).streamFn });
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.integer({ min: 1, max: 12 }), async (before, after, chunkSize) => {
        reply = { thinking: `think ${KEY}`, text: `${before}${KEY}${after}`, toolCalls: [{ name: "t", arguments: { key: KEY } }], chunkSize };
        const events = await collect(streamProxy(model, context));
        const message = finalOf(events);
        expect(JSON.stringify(events)).not.toContain(KEY.slice(0, 8));
        expect(message.content).toEqual([
          { type: "thinking", thinking: "think [redacted]" },
          { type: "text", text: `${before}[redacted]${after}`.replaceAll(KEY, "[redacted]") },
          expect.objectContaining({ type: "toolCall", name: "t", arguments: { key: "[redacted]" } }),
        ]);
      }),
      { numRuns: 60 },
    );
  });

  it("the start of a key at the end of a block or an error text is redacted; ordinary text stays", async () => {
    const replies: FauxResponse[] = [
      { text: `cut here: ${KEY.slice(0, 12)}`, chunkSize: 5 },
      { text: "x", error: `bad key ${KEY.slice(0, 20)}…` },
      { text: "sk-up is fine", chunkSize: 3 },
    ];
    const { model } = await startProxy({ upstream: createFauxProvider((_c, i) => replies[i]!).streamFn });
    expect(finalOf(await collect(streamProxy(model, context))).content).toEqual([{ type: "text", text: "cut here: [redacted]" }]);
    expect(finalOf(await collect(streamProxy(model, context))).errorMessage).toBe("bad key [redacted]…");
    expect(finalOf(await collect(streamProxy(model, context))).content).toEqual([{ type: "text", text: "sk-up is fine" }]);
  });

  it("an upstream error body echoing the key past the 500-character cut is redacted before it is cut, and the upstream URL is not sent", async () => {
    const body = JSON.stringify({ error: { message: `${"x".repeat(480)} key ${KEY} rejected` } });
    const upstream = await startSseServer({ status: 400, headers: { "content-type": "application/json" }, chunks: [body] });
    try {
      const { model } = await startProxy({ upstream: undefined, models: [openAICompatibleModel({ id: "m", baseUrl: `${upstream.url}/internal/v1` })] });
      const message = finalOf(await collect(streamProxy(model, context)));
      expect(upstream.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(message.errorMessage).toMatch(/^Request rejected \(HTTP 400\) at the upstream: x{480} key \[redacted\] reje…$/);
      expect(message.errorMessage).not.toContain("127.0.0.1");
      expect(message.errorMessage).not.toContain("/internal/v1");
    } finally {
      await upstream.close();
    }
  });

  it("a refused connection names neither the upstream host nor a key in its URL", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { model } = await startProxy({
      upstream: undefined,
      models: [openAICompatibleModel({ id: "m", baseUrl: `http://127.0.0.1:${port}/v1?key=query-secret-123` })],
    });
    const message = finalOf(await collect(streamProxy(model, context)));
    expect(message.errorMessage).toBe("Could not connect to the upstream: connection refused. Is the server running, and is the base URL right?");
  });
});

describe("proxy.handler mounted in another server", () => {
  it("keeps the body limits and timeouts; the header timeout is the host server's, set as the handler's TSDoc says", async () => {
    const { createProxyServer } = await import("../src/proxy.js");
    const proxy = createProxyServer({
      authToken: TOKEN,
      apiKey: KEY,
      models: [fauxModel()],
      upstream: createFauxProvider(() => ({ text: "ok" })).streamFn,
      bodyTimeoutMs: 150,
      maxBodyBytes: 1024,
    });
    const host = createServer({ headersTimeout: 150, requestTimeout: 2000, connectionsCheckingInterval: 50 }, (req, res) =>
      req.url?.startsWith("/api/") ? proxy.handler(req, res) : res.writeHead(404).end(),
    );
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    try {
      expect(await raw(url, "POST /api/stream HTTP/1.1\r\nHost: x\r\n")).toMatch(/^HTTP\/1\.1 408 /);
      const slowBody = await raw(
        url,
        `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      );
      expect(slowBody).toContain("Request body did not arrive within 150 ms.");
      expect((await post(url, { body: "x".repeat(4096) })).status).toBe(413);
      expect((await post(url)).text).toContain('"type":"done"');
    } finally {
      await proxy.close();
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
  });
});
