/**
 * The proxy server: holds the provider key, takes `POST /api/stream`
 * requests from untrusted clients and streams the upstream's events back in
 * the compact wire format of `./proxy-wire.ts`. The key is added here and
 * redacted from everything sent back; the client never picks the upstream URL.
 */
import { createServer } from "node:http";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { defer, Subject, takeUntil } from "rxjs";
import { z } from "zod/v4";
import { secretHeaderValues } from "../src/core/redact.js";
import type { Model, StreamFn } from "../src/core/types.js";
import { emptyUsage } from "./assistant-message-builder.js";
import { streamOpenAICompatible } from "./openai-compatible.js";
import { OPENROUTER_BASE_URL } from "./openrouter.js";
import { checkTokens, corsHeaders, HttpRejection, matchedToken, originAllowed, readBody, sendJson } from "./proxy-http.js";
import type { ProxyCorsOptions } from "./proxy-http.js";
import { checkRequestLimits, DEFAULT_REQUEST_LIMITS } from "./proxy-limits.js";
import type { ProxyRequestLimits } from "./proxy-limits.js";
import { ProxyRedactor } from "./proxy-redact.js";
import { SseWriter } from "./proxy-sse-writer.js";
import { proxyRequestSchema, toWireEvent } from "./proxy-wire.js";
import type { ProxyRequest, ProxyRequestModel } from "./proxy-wire.js";

/** Options of {@link createProxyServer}. */
export type ProxyServerOptions = {
  /** The provider stream requests go to (default `streamOpenAICompatible`). */
  upstream?: StreamFn;
  /** The provider key, or a function of the resolved model. Never sent to clients; redacted from every reply. */
  apiKey?: string | ((model: Model) => string | undefined | Promise<string | undefined>);
  /** Accepted bearer token(s). Give this or `authorize`. */
  authToken?: string | readonly string[];
  /** Decides whether a request may stream (instead of, or on top of, `authToken`). Should not throw; a throw answers 500. */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * Which models clients may use: a list matched by `id` (others get 403), or
   * a function from the requested model to the upstream model (undefined → 403).
   * The returned model's `baseUrl` and `headers` are the server's, never the client's.
   * Without it, any model id is served: on its provider's public endpoint for
   * "openrouter" and "openai", as requested by a custom `upstream`, else 403.
   */
  models?: readonly Model[] | ((requested: ProxyRequestModel) => Model | undefined | Promise<Model | undefined>);
  /** Largest accepted request body (default 4 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /** Time allowed for the request headers (default 10 s) and then the body (default 30 s); 408 after. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Most bytes that may wait for a slow client before its stream is cancelled (default 1 MiB). */
  maxBufferedBytes?: number;
  /**
   * CORS for browser clients; off (no CORS headers) by default. Requests whose
   * `Origin` the list does not allow are refused (403), not only left without
   * CORS headers; with CORS off only same-origin browser requests are served.
   */
  cors?: ProxyCorsOptions;
  /** Bounds on counts in one request (messages, content blocks, tools, schema size, nesting, `maxTokens`); past one: 413 (400 for nesting). */
  limits?: ProxyRequestLimits;
  /** Requests on `/api/stream` in flight at once over all clients (default 64); more get 503. */
  maxStreams?: number;
  /** Requests on `/api/stream` in flight at once per bearer token (per remote address with `authorize` alone; default 8); more get 429. */
  maxStreamsPerClient?: number;
  /** No event from the upstream for this long ends the client's stream with an error and cancels the upstream (default 120 s). */
  upstreamIdleTimeoutMs?: number;
  /** A bound on one whole upstream stream (default 10 min); past it the stream ends with an error and the upstream is cancelled. */
  upstreamTimeoutMs?: number;
};

/** A running (or ready to run) proxy. */
export type ProxyServer = {
  /** The node HTTP server. */
  readonly server: Server;
  /**
   * The request listener, to mount in another node server. Every per-request
   * check comes along (auth, origin, body size and `bodyTimeoutMs`, limits,
   * stream caps, upstream timeouts). `headersTimeoutMs` cannot: headers are
   * read before any listener runs, so the host server's own `headersTimeout`
   * applies (Node's default is 60 s). Create it with
   * `{ headersTimeout: 10_000, requestTimeout: 45_000 }` (or your values) to keep the bound.
   */
  readonly handler: RequestListener;
  /** Streams in flight. */
  readonly activeStreams: number;
  /** Starts listening (default 127.0.0.1, a free port); resolves to the base URL, e.g. `http://127.0.0.1:4312`. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting requests, ends every in-flight stream with an `aborted` error event, and closes. */
  close(): Promise<void>;
};

type ActiveStream = { shutdown(): void; finished: Promise<void> };

/** Public endpoints of the providers whose keys the default upstream reads from the environment. */
const PUBLIC_BASE_URLS: Record<string, string> = { openrouter: OPENROUTER_BASE_URL, openai: "https://api.openai.com/v1" };

/**
 * The upstream model for a request when no allow-list is configured. The URL is
 * never the client's: a known provider's public endpoint, or none for a custom
 * upstream (which decides itself); anything else is refused.
 */
function openModel(requested: ProxyRequestModel, customUpstream: boolean): Model | undefined {
  const baseUrl = PUBLIC_BASE_URLS[requested.provider ?? ""];
  if (baseUrl === undefined && !customUpstream) return undefined;
  const model: Model = { id: requested.id, provider: requested.provider ?? "proxy", api: requested.api ?? "openai-completions", baseUrl: baseUrl ?? "" };
  if (requested.name !== undefined) model.name = requested.name;
  return model;
}

/**
 * Creates a proxy server.
 * @example
 * const proxy = createProxyServer({ authToken: "s3cret", apiKey: process.env.OPENAI_API_KEY,
 *   models: [openAICompatibleModel({ id: "gpt-4o-mini", baseUrl: "https://api.openai.com/v1" })] });
 * const url = await proxy.listen(8787);
 */
export function createProxyServer(options: ProxyServerOptions): ProxyServer {
  const tokens = options.authToken === undefined ? [] : typeof options.authToken === "string" ? [options.authToken] : [...options.authToken];
  if (tokens.length === 0 && !options.authorize) {
    throw new Error("createProxyServer needs `authToken` or `authorize`: an open proxy would spend your provider key for anyone.");
  }
  checkTokens(tokens);
  const upstream = options.upstream ?? streamOpenAICompatible;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const maxStreams = options.maxStreams ?? 64;
  const maxStreamsPerClient = options.maxStreamsPerClient ?? 8;
  const upstreamIdleTimeoutMs = options.upstreamIdleTimeoutMs ?? 120_000;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 600_000;
  // Requests in flight on /api/stream, in all and per client (token, or remote address without tokens).
  let inFlight = 0;
  const inFlightPerClient = new Map<string, number>();
  const active = new Set<ActiveStream>();
  let closing = false;

  /** The client's key for the per-client cap, or undefined when the request may not stream. */
  async function authorizedClient(req: IncomingMessage): Promise<string | undefined> {
    const token = tokens.length > 0 ? matchedToken(req, tokens) : undefined;
    if (tokens.length > 0 && token === undefined) return undefined;
    if (options.authorize && !(await options.authorize(req))) return undefined;
    return token !== undefined ? `token:${token}` : `address:${req.socket.remoteAddress ?? ""}`;
  }

  /** Takes a slot for this request (429/503 when none is free); it is given back when the response closes. */
  function takeSlot(client: string, res: ServerResponse): void {
    const mine = inFlightPerClient.get(client) ?? 0;
    if (mine >= maxStreamsPerClient) {
      throw new HttpRejection(429, `Too many streams at once for this client: ${mine} in flight, the limit is ${maxStreamsPerClient} (maxStreamsPerClient). Wait for one to end.`);
    }
    if (inFlight >= maxStreams) {
      throw new HttpRejection(503, `The proxy is at its limit of ${maxStreams} streams at once (maxStreams); retry shortly.`);
    }
    inFlight++;
    inFlightPerClient.set(client, mine + 1);
    res.once("close", () => {
      inFlight--;
      const left = (inFlightPerClient.get(client) ?? 1) - 1;
      if (left > 0) inFlightPerClient.set(client, left);
      else inFlightPerClient.delete(client);
    });
  }

  async function resolveModel(requested: ProxyRequestModel): Promise<Model | undefined> {
    const { models } = options;
    if (models === undefined) return openModel(requested, options.upstream !== undefined);
    return typeof models === "function" ? await models(requested) : models.find((m) => m.id === requested.id);
  }

  async function parseRequest(req: IncomingMessage): Promise<{ request: ProxyRequest; model: Model }> {
    // Only JSON, refused before reading: text/plain, form and multipart bodies are what another site's page
    // can send without a CORS preflight (with a cookie-based `authorize`, that would spend the key for it).
    const mediaType = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json" && !mediaType?.endsWith("+json")) {
      throw new HttpRejection(415, `Send the request body as JSON (Content-Type: application/json)${mediaType ? `, not ${mediaType}` : ""}.`);
    }
    const body = await readBody(req, maxBodyBytes, bodyTimeoutMs);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch (error) {
      throw new HttpRejection(400, `Malformed JSON: ${(error as Error).message}`);
    }
    checkRequestLimits(json, limits);
    const parsed = proxyRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
      throw new HttpRejection(400, `Invalid request body:\n${z.prettifyError(parsed.error)}`, { issues });
    }
    const model = await resolveModel(parsed.data.model);
    if (!model && options.models === undefined) {
      const provider = parsed.data.model.provider ?? "(none)";
      throw new HttpRejection(403, `This proxy has no model allow-list and provider "${provider}" has no known public endpoint; the server must pass { models } to createProxyServer.`);
    }
    if (!model) throw new HttpRejection(403, `Model "${parsed.data.model.id}" is not allowed on this proxy.`);
    const { options: requestOptions } = parsed.data;
    if (requestOptions.maxTokens !== undefined) {
      if (requestOptions.maxTokens > limits.maxOutputTokens) {
        throw new HttpRejection(400, `options.maxTokens is ${requestOptions.maxTokens}; this proxy accepts at most ${limits.maxOutputTokens} (limits.maxOutputTokens).`);
      }
      // The server's model knows its own ceiling: ask for no more than that.
      if (model.maxTokens !== undefined && requestOptions.maxTokens > model.maxTokens) requestOptions.maxTokens = model.maxTokens;
    }
    return { request: parsed.data, model };
  }

  async function stream(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    const { request, model } = await parseRequest(req);
    const apiKey = typeof options.apiKey === "function" ? await options.apiKey(model) : options.apiKey;
    const headerSecrets = secretHeaderValues(model.headers);
    // The upstream may fall back to these env keys, so they are redacted too; so is where the upstream is.
    const redaction = new ProxyRedactor([apiKey, ...headerSecrets, process.env.OPENAI_API_KEY, process.env.OPENROUTER_API_KEY], [model.baseUrl]);
    // The client may have left while the model and key were being resolved.
    if (res.destroyed) return;
    res.writeHead(200, { ...cors, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    res.flushHeaders();

    const controller = new AbortController();
    let terminal = false;
    // takeUntil unsubscribes the upstream even in the middle of a synchronous burst.
    const cancelled$ = new Subject<void>();
    let cancelled = false;
    let resolveFinished!: () => void;
    const entry: ActiveStream = { shutdown, finished: new Promise<void>((r) => (resolveFinished = r)) };
    const writer = new SseWriter(res, { maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024, redact: (text) => redaction.text(text), onOverflow: cancel });
    const fail = (reason: "error" | "aborted", errorMessage: string) => {
      terminal = true;
      for (const held of redaction.flushAll()) writer.send(held);
      writer.end({ type: "error", reason, errorMessage: redaction.errorText(errorMessage), usage: emptyUsage() });
    };
    active.add(entry);
    res.on("close", () => {
      // The client went away before the end: stop the upstream request at once.
      if (!terminal) cancel();
      else cancelled$.next();
      active.delete(entry);
      resolveFinished();
    });

    // The upstream gets `upstreamIdleTimeoutMs` between events and `upstreamTimeoutMs` in all.
    const giveUp = (text: string) => {
      if (terminal || cancelled) return;
      cancel();
      fail("error", text);
    };
    const idleTimer = setTimeout(() => giveUp(`Proxy: the upstream sent nothing for ${upstreamIdleTimeoutMs} ms (upstreamIdleTimeoutMs); stream cancelled.`), upstreamIdleTimeoutMs);
    const totalTimer = setTimeout(() => giveUp(`Proxy: the upstream stream took longer than ${upstreamTimeoutMs} ms (upstreamTimeoutMs); stream cancelled.`), upstreamTimeoutMs);
    res.once("close", () => {
      clearTimeout(idleTimer);
      clearTimeout(totalTimer);
    });

    const source = defer(() => upstream(model, request.context, { ...request.options, ...(apiKey ? { apiKey } : {}), signal: controller.signal }));
    source.pipe(takeUntil(cancelled$)).subscribe({
      next(event) {
        idleTimer.refresh();
        const wire = toWireEvent(event);
        if (!wire || terminal || cancelled) return;
        for (const out of redaction.events(wire)) {
          if (out.type === "done" || out.type === "error") {
            terminal = true;
            writer.end(out);
          } else writer.send(out);
        }
      },
      error(error: unknown) {
        if (!terminal && !cancelled) fail("error", `Upstream failed: ${error instanceof Error ? error.message : String(error)}`);
      },
      complete() {
        if (!terminal && !cancelled) fail("error", "Upstream ended without a terminal event.");
      },
    });

    function cancel(): void {
      if (cancelled) return;
      cancelled = true;
      // Unsubscribe first: an upstream answering the abort signal must not get its own terminal event through.
      cancelled$.next();
      controller.abort();
    }
    function shutdown(): void {
      cancel();
      if (!terminal) fail("aborted", "Proxy server is shutting down.");
    }
  }

  const handler: RequestListener = (req, res) => {
    const cors = corsHeaders(req, options.cors);
    // A request target that URL cannot parse (e.g. `/\\/..%2f`) must not throw out of the listener: that ends the process.
    const path = URL.canParse(req.url ?? "/", "http://proxy") ? new URL(req.url ?? "/", "http://proxy").pathname : undefined;
    const reject = (r: HttpRejection) => {
      const extra: Record<string, string> = r.status === 401 ? { "WWW-Authenticate": "Bearer" } : {};
      // After a refused upload the rest of the body is not read: close the connection.
      if (r.status === 413 || r.status === 408 || r.status === 415) extra.Connection = "close";
      if (r.status === 429 || r.status === 503) extra["Retry-After"] = "1";
      sendJson(res, r.status, { error: r.message, ...r.extra }, { ...cors, ...extra });
    };
    if (req.method === "OPTIONS" && options.cors) {
      res.writeHead(Object.keys(cors).length ? 204 : 403, cors).end();
      return;
    }
    if (path === undefined) return reject(new HttpRejection(400, "Malformed request path."));
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) return sendJson(res, 200, { ok: true }, cors);
    if (path !== "/api/stream") return reject(new HttpRejection(404, `Not found: ${path}. The proxy serves POST /api/stream and GET /healthz.`));
    if (req.method !== "POST") return reject(new HttpRejection(405, "Use POST /api/stream."));
    if (closing) return reject(new HttpRejection(503, "Proxy server is shutting down."));
    // Refused server-side, not only left without CORS headers: a no-cors request would still be served.
    if (!originAllowed(req, options.cors)) {
      return reject(new HttpRejection(403, `Origin ${req.headers.origin} is not allowed on this proxy${options.cors ? " (add it to cors.origin)" : " (CORS is off: only same-origin pages may call it; set cors.origin)"}.`));
    }

    authorizedClient(req)
      .then((client) => {
        if (client === undefined) throw new HttpRejection(401, "Missing or wrong bearer token: send `Authorization: Bearer <token>`.");
        takeSlot(client, res);
        return stream(req, res, cors);
      })
      .catch((error: unknown) => {
        if (error instanceof HttpRejection) return reject(error);
        // Unexpected (e.g. a throwing hook): no details, they might carry secrets.
        reject(new HttpRejection(500, "Internal proxy error."));
      });
  };

  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      // Node's whole-request limit; the body has its own, clearer 408 in readBody.
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1000,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    },
    handler,
  );

  return {
    server,
    handler,
    get activeStreams() {
      return active.size;
    },
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shown}:${address.port}`);
        });
      });
    },
    async close() {
      closing = true;
      const streams = [...active];
      for (const s of streams) s.shutdown();
      const closed = server.listening ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
      server.closeIdleConnections();
      // Let the aborted events flush, then drop whatever connection is still open.
      await Promise.race([Promise.all(streams.map((s) => s.finished)), new Promise((r) => setTimeout(r, 1000).unref())]);
      server.closeAllConnections();
      await closed;
    },
  };
}
