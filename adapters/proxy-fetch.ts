/**
 * The proxy as a web-standard handler, `(Request) => Promise<Response>`, for
 * Bun, Deno, edge runtimes and any fetch-style router: the same checks,
 * limits, redaction and timeouts as `createProxyServer` (they share
 * `./proxy-policy.ts`, `./proxy-request.ts` and `./proxy-pipe.ts`), and no
 * `node:` import. The body is a stream the reader pulls; while it is behind,
 * deltas are merged and past `maxBufferedBytes` the stream is cancelled.
 */
import { secretHeaderValues } from "../src/core/redact.js";
import { type ProxyOptions, proxySettings } from "./proxy-options.js";
import { pipeUpstream } from "./proxy-pipe.js";
import type { PipedStream } from "./proxy-pipe.js";
import { corsHeadersFor, HttpRejection, originAllowedFor, originRejection, presentedBearer, rejectionHeaders, routeRejection } from "./proxy-policy.js";
import { environmentKeys, ProxyRedactor } from "./proxy-redact.js";
import { checkJsonMediaType, parseProxyRequest } from "./proxy-request.js";
import type { SseTarget } from "./proxy-sse-writer.js";

/** Options of {@link proxyRequestHandler}. */
export type ProxyRequestHandlerOptions = ProxyOptions & {
  /** Decides whether a request may stream (instead of, or on top of, `authToken`). Should not throw; a throw answers 500. */
  authorize?: (request: Request) => boolean | Promise<boolean>;
};

/** A proxy as a fetch handler. */
export type ProxyRequestHandler = ((request: Request) => Promise<Response>) & {
  /** Streams in flight. */
  readonly activeStreams: number;
  /** Refuses new requests (503) and ends every stream in flight with an `aborted` error event. */
  close(): void;
};

const encoder = new TextEncoder();

/**
 * The proxy of §6 as a fetch handler: `POST /api/stream` and `GET /healthz`, wherever the path is mounted.
 * @example
 * const proxy = proxyRequestHandler({ authToken: "s3cret", apiKey: process.env.OPENAI_API_KEY, models });
 * Bun.serve({ fetch: proxy });                // or Deno.serve(proxy), or createServer(nodeHandler(proxy))
 */
export function proxyRequestHandler(options: ProxyRequestHandlerOptions): ProxyRequestHandler {
  const settings = proxySettings("proxyRequestHandler", options);
  const { tokens, upstream, maxBodyBytes, bodyTimeoutMs, limits, maxStreams, maxStreamsPerClient } = settings;
  const tokenDigests = Promise.all(tokens.map(async (token) => ({ token, digest: await sha256(token) })));
  let inFlight = 0;
  const inFlightPerClient = new Map<string, number>();
  const active = new Set<PipedStream>();
  let closing = false;

  /** The client's key for the per-client cap ("" for none), or undefined when the request may not stream. */
  async function authorizedClient(request: Request): Promise<string | undefined> {
    let client = "";
    if (tokens.length > 0) {
      const token = await matchedToken(presentedBearer(request.headers.get("authorization")), await tokenDigests);
      if (token === undefined) return undefined;
      client = `token:${token}`;
    }
    if (options.authorize && !(await options.authorize(request))) return undefined;
    return client;
  }

  /** Takes a slot (429/503 when none is free); the returned function gives it back. */
  function takeSlot(client: string): () => void {
    const mine = inFlightPerClient.get(client) ?? 0;
    if (client !== "" && mine >= maxStreamsPerClient) {
      throw new HttpRejection(
        429,
        `Too many streams at once for this client: ${mine} in flight, the limit is ${maxStreamsPerClient} (maxStreamsPerClient). Wait for one to end.`,
      );
    }
    if (inFlight >= maxStreams) throw new HttpRejection(503, `The proxy is at its limit of ${maxStreams} streams at once (maxStreams); retry shortly.`);
    inFlight++;
    inFlightPerClient.set(client, mine + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      inFlight--;
      const left = (inFlightPerClient.get(client) ?? 1) - 1;
      if (left > 0) inFlightPerClient.set(client, left);
      else inFlightPerClient.delete(client);
    };
  }

  async function stream(request: Request, cors: Record<string, string>, release: () => void): Promise<Response> {
    checkJsonMediaType(request.headers.get("content-type"));
    const body = await readBody(request, maxBodyBytes, bodyTimeoutMs);
    const { request: parsed, model } = await parseProxyRequest(body, { limits, models: options.models, customUpstream: options.upstream !== undefined });
    const apiKey = typeof options.apiKey === "function" ? await options.apiKey(model) : options.apiKey;
    // The upstream may fall back to the env keys, so they are redacted too; so is where the upstream is.
    const redaction = new ProxyRedactor([apiKey, ...secretHeaderValues(model.headers), ...environmentKeys()], [model.baseUrl]);
    const sink = bodyStream(request.signal);
    const piped = pipeUpstream({
      target: sink.target,
      upstream,
      model,
      request: parsed,
      apiKey,
      redaction,
      maxBufferedBytes: settings.maxBufferedBytes,
      upstreamIdleTimeoutMs: settings.upstreamIdleTimeoutMs,
      upstreamTimeoutMs: settings.upstreamTimeoutMs,
    });
    active.add(piped);
    sink.onClosed(() => {
      piped.closed();
      active.delete(piped);
      release();
    });
    return new Response(sink.body, {
      status: 200,
      headers: { ...cors, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" },
    });
  }

  const handle = async (request: Request): Promise<Response> => {
    const cors = corsHeadersFor(request.headers.get("origin"), options.cors);
    const reject = (r: HttpRejection) => json(r.status, { error: r.message, ...r.extra }, { ...cors, ...rejectionHeaders(r.status) });
    if (request.method === "OPTIONS" && options.cors) return new Response(null, { status: Object.keys(cors).length ? 204 : 403, headers: cors });
    // Mounted anywhere: only the last segments decide (".../api/stream", ".../healthz").
    const path = new URL(request.url).pathname;
    if (path.endsWith("/healthz") && (request.method === "GET" || request.method === "HEAD")) return json(200, { ok: true }, cors);
    const misrouted = routeRejection(path.endsWith("/api/stream") ? "/api/stream" : path, request.method);
    if (misrouted) return reject(misrouted);
    if (closing) return reject(new HttpRejection(503, "Proxy server is shutting down."));
    const origin = request.headers.get("origin");
    if (!originAllowedFor(origin, request.headers.get("host") ?? new URL(request.url).host, options.cors))
      return reject(originRejection(origin!, options.cors));
    let release: (() => void) | undefined;
    try {
      const client = await authorizedClient(request);
      if (client === undefined) throw new HttpRejection(401, "Missing or wrong bearer token: send `Authorization: Bearer <token>`.");
      release = takeSlot(client);
      return await stream(request, cors, release);
    } catch (error) {
      release?.();
      if (error instanceof HttpRejection) return reject(error);
      // Unexpected (e.g. a throwing hook): no details, they might carry secrets.
      return reject(new HttpRejection(500, "Internal proxy error."));
    }
  };

  // defineProperty, not Object.assign: assign would copy the getter's value once.
  return Object.defineProperties(handle, {
    activeStreams: { get: () => active.size },
    close: {
      value() {
        closing = true;
        for (const piped of [...active]) piped.shutdown();
      },
    },
  }) as ProxyRequestHandler;
}

function json(status: number, body: Record<string, unknown>, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, "Content-Type": "application/json; charset=utf-8" } });
}

/** The whole body as text, refusing more than `maxBytes` (413) or a body slower than `timeoutMs` (408). */
async function readBody(request: Request, maxBytes: number, timeoutMs: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw new HttpRejection(413, `Request body is ${declared} bytes; the limit is ${maxBytes}.`);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpRejection(408, `Request body did not arrive within ${timeoutMs} ms.`)), timeoutMs);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), late]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new HttpRejection(413, `Request body exceeds the limit of ${maxBytes} bytes.`);
      chunks.push(value);
    }
  } catch (error) {
    void reader.cancel().catch(() => {});
    throw error instanceof HttpRejection ? error : new HttpRejection(400, "Request body could not be read.");
  } finally {
    clearTimeout(timer);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * A response body the SSE writer writes into: `write` answers false once the
 * queue is past its mark (the reader is behind) and `drain` fires when the
 * reader pulls again. Closed by the writer's `end`, the reader's cancel, or the request's abort.
 */
function bodyStream(signal: AbortSignal): { body: ReadableStream<Uint8Array>; target: SseTarget; onClosed(listener: () => void): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let destroyed = false;
  const drain = new Set<() => void>();
  let closedListener = () => {};
  const close = (how: "end" | "gone") => {
    if (destroyed) return;
    destroyed = true;
    drain.clear();
    signal.removeEventListener("abort", gone);
    if (how === "end") controller.close();
    closedListener();
  };
  const gone = () => {
    try {
      controller.close();
    } catch {
      // already closed or cancelled
    }
    close("gone");
  };
  signal.addEventListener("abort", gone, { once: true });
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => {
        for (const listener of [...drain]) {
          drain.delete(listener);
          listener();
        }
      },
      cancel: () => close("gone"),
    },
    { highWaterMark: 16 }, // frames
  );
  const target: SseTarget = {
    write(chunk) {
      if (destroyed) return false;
      controller.enqueue(encoder.encode(chunk));
      return (controller.desiredSize ?? 0) > 0;
    },
    end: () => close("end"),
    get destroyed() {
      return destroyed;
    },
    once: (_event, listener) => void drain.add(listener),
    off: (_event, listener) => void drain.delete(listener),
  };
  // An upstream may finish synchronously, before the listener is set: it then runs right after.
  const onClosed = (listener: () => void) => (destroyed ? queueMicrotask(listener) : void (closedListener = listener));
  return { body, target, onClosed };
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** The accepted token `presented` is, compared in constant time over the digests (length-independent). */
async function matchedToken(presented: string | undefined, accepted: readonly { token: string; digest: Uint8Array }[]): Promise<string | undefined> {
  if (presented === undefined) return undefined;
  const given = await sha256(presented);
  let found: string | undefined;
  for (const { token, digest } of accepted) {
    let difference = 0;
    for (let i = 0; i < digest.length; i++) difference |= digest[i]! ^ given[i]!;
    if (difference === 0 && found === undefined) found = token;
  }
  return found;
}
