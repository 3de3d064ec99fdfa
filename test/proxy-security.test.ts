import { afterEach, describe, expect, it, vi } from "vitest";
import { connect } from "node:net";
import fc from "fast-check";
import { Observable } from "rxjs";
import { streamProxy } from "../src/proxy.js";
import { createFauxProvider, fauxModel } from "../src/testing.js";
import type { AssistantMessageEvent, Context, StreamFn } from "../src/core/types.js";
import { closeProxies, collect, finalOf, KEY, startProxy, TOKEN } from "./helpers/proxy-harness.js";

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
      `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n` +
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
    expect((await post(url, { headers: { "X-User": "bob" } })).status).toBe(401);
    const boom = await post(url, { headers: { "X-User": "boom" } });
    expect(boom).toMatchObject({ status: 500, text: '{"error":"Internal proxy error."}' });
    expect((await post(url, { headers: { "X-User": "alice" } })).status).toBe(200);
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
      const reply = await raw(url, `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, "latin1");
      expect(reply, JSON.stringify(authorization)).toMatch(/^HTTP\/1\.1 401 /);
    }
    expect((await post(url, { headers: { ...auth, Authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it("times out slow headers and slow bodies with 408", async () => {
    const { url } = await startProxy({ upstream: createFauxProvider([]).streamFn, headersTimeoutMs: 150, bodyTimeoutMs: 150 });
    expect(await raw(url, "POST /api/stream HTTP/1.1\r\nHost: x\r\n")).toMatch(/^HTTP\/1\.1 408 /);
    const slowBody = await raw(url, `POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{`);
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
    const denied = await post(url, { headers: { Origin: "https://app.example" } , body: "{" });
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
    expect(JSON.parse(top.text).error).toMatch(/^Invalid request body/);
    // 200k levels where the schema takes anything (tool parameters): the upstream's failure comes back as a terminal error event.
    const tools = `[{"name":"t","description":"d","parameters":${deepObject(200_000)}}]`;
    const inTools = await post(url, { body: `{"model":{"id":"${fauxModel().id}"},"context":{"messages":[{"role":"user","content":"hi","timestamp":1}],"tools":${tools}}}` });
    expect(inTools.status).toBe(200);
    expect(inTools.text).toMatch(/^data: \{"type":"error","reason":"error","errorMessage":"Upstream failed: Maximum call stack size exceeded"/);
    await expectStillServing(url, proxy);
  });

  it("refuses form, multipart and other non-JSON content types (415) before reading the body", async () => {
    const { url, proxy } = await startProxy({ upstream: createFauxProvider(() => ({ text: "ok" })).streamFn });
    for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "image/png"]) {
      const reply = await post(url, { headers: { ...auth, "Content-Type": type } });
      expect(reply.status, type).toBe(415);
      expect(JSON.parse(reply.text).error).toBe(`Send the request body as JSON (Content-Type: application/json), not ${type.split(";")[0]}.`);
    }
    expect((await post(url, { headers: { ...auth, "Content-Type": "application/json; charset=utf-8" } })).status).toBe(200);
    // fetch() labels a string body text/plain when the caller sets no type: still JSON, still served.
    expect((await post(url, { headers: { Authorization: auth.Authorization } })).status).toBe(200);
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
        socket.write(`POST /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`),
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
    expect(performance.now() - started).toBeLessThan(2000);
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
