/**
 * The options every proxy takes, the node server and the fetch handler alike
 * (each adds how it authorizes a request of its own kind).
 */
import type { Model, StreamFn } from "../src/core/types.js";
import { streamOpenAICompatible } from "./openai-compatible.js";
import { DEFAULT_REQUEST_LIMITS, type ProxyRequestLimits } from "./proxy-limits.js";
import { checkTokens, type ProxyCorsOptions } from "./proxy-policy.js";
import type { ProxyModels } from "./proxy-request.js";

/** Options of every proxy: `createProxyServer` (node) and `proxyRequestHandler` (fetch). */
export type ProxyOptions = {
  /** The provider stream requests go to (default `streamOpenAICompatible`). */
  upstream?: StreamFn;
  /** The provider key, or a function of the resolved model. Never sent to clients; redacted from every reply. */
  apiKey?: string | ((model: Model) => string | undefined | Promise<string | undefined>);
  /** Accepted bearer token(s). Give this or `authorize`. */
  authToken?: string | readonly string[];
  /**
   * Which models clients may use: a list matched by `id` (others get 403), or
   * a function from the requested model to the upstream model (undefined → 403).
   * The returned model's `baseUrl` and `headers` are the server's, never the client's.
   * Without it, any model id is served: on its provider's public endpoint for
   * "openrouter" and "openai", as requested by a custom `upstream`, else 403.
   */
  models?: ProxyModels;
  /** Largest accepted request body (default 4 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /** Time allowed for the request body to arrive (default 30 s); 408 after. */
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
  /**
   * Requests on `/api/stream` in flight at once per bearer token (default 8); more get 429. With `authorize`
   * alone: per remote address on node; the fetch handler sees no address, so there only `maxStreams` applies.
   */
  maxStreamsPerClient?: number;
  /** No event from the upstream for this long ends the client's stream with an error and cancels the upstream (default 120 s). */
  upstreamIdleTimeoutMs?: number;
  /** A bound on one whole upstream stream (default 10 min); past it the stream ends with an error and the upstream is cancelled. */
  upstreamTimeoutMs?: number;
};

/**
 * The options with their defaults filled in and the accepted tokens as a
 * list. Throws when neither `authToken` nor `authorize` is given (`name`, the
 * proxy's factory, says who asks), or when a token is empty.
 */
export function proxySettings(name: string, options: ProxyOptions & { authorize?: unknown }) {
  const tokens = options.authToken === undefined ? [] : typeof options.authToken === "string" ? [options.authToken] : [...options.authToken];
  if (tokens.length === 0 && !options.authorize) {
    throw new Error(`${name} needs \`authToken\` or \`authorize\`: an open proxy would spend your provider key for anyone.`);
  }
  checkTokens(tokens);
  return {
    tokens,
    upstream: options.upstream ?? streamOpenAICompatible,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    limits: { ...DEFAULT_REQUEST_LIMITS, ...options.limits },
    maxStreams: options.maxStreams ?? 64,
    maxStreamsPerClient: options.maxStreamsPerClient ?? 8,
    upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? 120_000,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 600_000,
  };
}
