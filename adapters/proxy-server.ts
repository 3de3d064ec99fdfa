/**
 * The proxy server: holds the provider key, takes `POST /api/stream`
 * requests from untrusted clients and streams the upstream's events back in
 * the compact wire format of `./proxy-wire.ts`. The key is added here and
 * redacted from everything sent back; the client never picks the upstream URL.
 */
import { createServer } from "node:http";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { secretHeaderValues } from "../src/core/redact.js";

import { corsHeaders, HttpRejection, matchedToken, originAllowed, readBody, sendJson } from "./proxy-http.js";
import { type ProxyOptions, proxySettings } from "./proxy-options.js";
import { pipeUpstream } from "./proxy-pipe.js";
import { originRejection, rejectionHeaders, routeRejection } from "./proxy-policy.js";
import { environmentKeys, ProxyRedactor } from "./proxy-redact.js";
import { checkJsonMediaType, parseProxyRequest } from "./proxy-request.js";

/** Options of {@link createProxyServer}: those of every proxy, and node's own. */
export type ProxyServerOptions = ProxyOptions & {
  /** Decides whether a request may stream (instead of, or on top of, `authToken`). Should not throw; a throw answers 500. */
  authorize?: (request: IncomingMessage) => boolean | Promise<boolean>;
  /** Time allowed for the request headers (default 10 s); 408 after. */
  headersTimeoutMs?: number;
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

/**
 * Creates a proxy server.
 * @example
 * const proxy = createProxyServer({ authToken: "s3cret", apiKey: process.env.OPENAI_API_KEY,
 *   models: [openAICompatibleModel({ id: "gpt-4o-mini", baseUrl: "https://api.openai.com/v1" })] });
 * const url = await proxy.listen(8787);
 */
export function createProxyServer(options: ProxyServerOptions): ProxyServer {
  const { tokens, upstream, maxBodyBytes, bodyTimeoutMs, maxBufferedBytes, limits, maxStreams, maxStreamsPerClient, upstreamIdleTimeoutMs, upstreamTimeoutMs } =
    proxySettings("createProxyServer", options);
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
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
      throw new HttpRejection(
        429,
        `Too many streams at once for this client: ${mine} in flight, the limit is ${maxStreamsPerClient} (maxStreamsPerClient). Wait for one to end.`,
      );
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

  async function stream(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    checkJsonMediaType(req.headers["content-type"]);
    const body = await readBody(req, maxBodyBytes, bodyTimeoutMs);
    const { request, model } = await parseProxyRequest(body.toString("utf8"), {
      limits,
      models: options.models,
      customUpstream: options.upstream !== undefined,
    });
    const apiKey = typeof options.apiKey === "function" ? await options.apiKey(model) : options.apiKey;
    // The upstream may fall back to the env keys, so they are redacted too; so is where the upstream is.
    const redaction = new ProxyRedactor([apiKey, ...secretHeaderValues(model.headers), ...environmentKeys()], [model.baseUrl]);
    // The client may have left while the model and key were being resolved.
    if (res.destroyed) return;
    res.writeHead(200, { ...cors, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    res.flushHeaders();

    let resolveFinished!: () => void;
    const piped = pipeUpstream({
      target: res,
      upstream,
      model,
      request,
      apiKey,
      redaction,
      maxBufferedBytes,
      upstreamIdleTimeoutMs,
      upstreamTimeoutMs,
    });
    const entry: ActiveStream = { shutdown: piped.shutdown, finished: new Promise<void>((r) => (resolveFinished = r)) };
    active.add(entry);
    res.on("close", () => {
      piped.closed();
      active.delete(entry);
      resolveFinished();
    });
  }

  const handler: RequestListener = (req, res) => {
    const cors = corsHeaders(req, options.cors);
    // A request target that URL cannot parse (e.g. `/\\/..%2f`) must not throw out of the listener: that ends the process.
    const path = URL.canParse(req.url ?? "/", "http://proxy") ? new URL(req.url ?? "/", "http://proxy").pathname : undefined;
    // After a refused upload the rest of the body is not read: rejectionHeaders closes the connection.
    const reject = (r: HttpRejection) => sendJson(res, r.status, { error: r.message, ...r.extra }, { ...cors, ...rejectionHeaders(r.status) });
    if (req.method === "OPTIONS" && options.cors) {
      res.writeHead(Object.keys(cors).length ? 204 : 403, cors).end();
      return;
    }
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) return sendJson(res, 200, { ok: true }, cors);
    const misrouted = routeRejection(path, req.method ?? "GET");
    if (misrouted) return reject(misrouted);
    if (closing) return reject(new HttpRejection(503, "Proxy server is shutting down."));
    // Refused server-side, not only left without CORS headers: a no-cors request would still be served.
    if (!originAllowed(req, options.cors)) return reject(originRejection(req.headers.origin!, options.cors));

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
