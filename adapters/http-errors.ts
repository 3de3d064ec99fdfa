/**
 * Turns HTTP and network trouble of a provider call into
 * {@link StreamFailure}s whose messages a person can act on, and decides
 * which of them are worth a retry (and after how long).
 */

/** Statuses retried before the first delta (529: Anthropic is overloaded). */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504, 529]);
/** Socket errors that mean "the connection broke", worth a retry before the first delta. */
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);
/** A `retry-after` longer than this is not waited for: the call fails and says when to come back. */
export const MAX_RETRY_AFTER_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;
const BODY_QUOTE_LIMIT = 500;

/**
 * A failed attempt. `retryable` failures happened before any delta and may be
 * retried; `retryAfterMs` is the server's own wish (`retry-after`), when it said one.
 */
export class StreamFailure extends Error {
  constructor(
    message: string,
    readonly retryable = false,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "StreamFailure";
  }
}

/** Where the API key of a request came from, for the 401/403 hint. */
export type ApiKeySource = { kind: "option" } | { kind: "env"; envVar: string } | { kind: "none"; envVar: string | undefined; provider: string };

/**
 * What an HTTP error message needs to know about the request. `bodyRetryAfterMs`
 * is the wait a provider states in its error body (Gemini's RetryInfo), used when no header states one.
 */
export type RequestSummary = { url: string; modelId: string; keySource: ApiKeySource; bodyRetryAfterMs?: number };

/** The failure for a non-2xx response; `bodyText` is the response body as text. */
export function httpFailure(status: number, headers: Headers, bodyText: string, req: RequestSummary): StreamFailure {
  const detail = providerErrorText(bodyText);
  const said = detail ? `: ${detail}` : "";
  if (status === 401 || status === 403) {
    const what = status === 401 ? "Authentication failed" : "Access denied";
    return new StreamFailure(`${what} (HTTP ${status}) at ${req.url}${said}. ${keyHint(req.keySource)}`);
  }
  if (status === 404) {
    return new StreamFailure(`Not found (HTTP 404) at ${req.url}${said}. Check the model id "${req.modelId}" and the base URL.`);
  }
  if (RETRYABLE_STATUSES.has(status)) {
    const what = status === 429 ? "Rate limited" : status === 529 ? "Provider overloaded" : "Provider error";
    const retryAfterMs = parseRetryAfter(headers) ?? req.bodyRetryAfterMs;
    if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
      const seconds = Math.ceil(retryAfterMs / 1000);
      return new StreamFailure(`${what} (HTTP ${status}) at ${req.url}${said}. The provider asks to retry after ${seconds} s.`);
    }
    return new StreamFailure(`${what} (HTTP ${status}) at ${req.url}${said}`, true, retryAfterMs);
  }
  return new StreamFailure(`Request rejected (HTTP ${status}) at ${req.url}${said}`);
}

function keyHint(source: ApiKeySource): string {
  switch (source.kind) {
    case "option":
      return "The API key passed as `apiKey` (or returned by `getApiKey`) was rejected: check it.";
    case "env":
      return `The API key read from ${source.envVar} was rejected: check it.`;
    case "none":
      return source.envVar
        ? `No API key was sent: set ${source.envVar} or pass \`apiKey\`.`
        : `No API key was sent (provider "${source.provider}" reads no environment variable): pass \`apiKey\` or the agent's \`getApiKey\`.`;
  }
}

/** The provider's own words from an error body: `{error:{message}}`, `{error:"…"}`, `{message}` or the raw text. */
export function providerErrorText(bodyText: string): string {
  const text = bodyText.trim();
  if (text === "") return "";
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const message = errorMessageOf(body.error) ?? errorMessageOf(body);
    if (message) return quote(message);
  } catch {
    // Not JSON: quote the text as it is.
  }
  return quote(text);
}

/** `error.message` (plus its code, when there is one) of an OpenAI-style error object. */
export function errorMessageOf(error: unknown): string | undefined {
  if (typeof error === "string") return error;
  if (typeof error !== "object" || error === null) return undefined;
  const { message, detail, code } = error as { message?: unknown; detail?: unknown; code?: unknown };
  const text = typeof message === "string" ? message : typeof detail === "string" ? detail : undefined;
  if (text === undefined) return undefined;
  return code !== undefined && code !== null && !text.includes(String(code)) ? `${text} (code ${String(code)})` : text;
}

function quote(text: string): string {
  return text.length > BODY_QUOTE_LIMIT ? `${text.slice(0, BODY_QUOTE_LIMIT)}…` : text;
}

/**
 * The server's requested wait in ms: `retry-after-ms`, or `retry-after` as
 * seconds or an HTTP date; undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter: attempt 1 waits 50–100 % of `baseMs`, each next one twice as long. */
export function backoffDelay(attempt: number, baseMs: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

/** The failure for a `fetch` that rejected before any response. */
export function networkFailure(error: unknown, url: string): StreamFailure {
  const code = errorCode(error);
  if (code === "ECONNREFUSED") {
    return new StreamFailure(`Could not connect to ${url}: connection refused. Is the server running, and is the base URL right?`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new StreamFailure(`Could not resolve the host of ${url} (${code}). Check the base URL and the network.`);
  }
  if (code !== undefined && RESET_CODES.has(code)) {
    return new StreamFailure(`The connection to ${url} was reset before the answer began (${code}).`, true);
  }
  return new StreamFailure(`The request to ${url} failed: ${causeMessage(error)}`);
}

/**
 * The failure for a body read that broke. Before any delta a broken
 * connection is retryable; after one the partial answer is kept.
 */
export function readFailure(error: unknown, url: string, hasContent: boolean): StreamFailure {
  const code = errorCode(error) ?? "connection closed";
  if (!hasContent) return new StreamFailure(`The connection to ${url} broke before the answer began (${code}).`, true);
  return new StreamFailure(`The connection to ${url} broke mid-answer (${code}); the partial answer is kept.`);
}

/** The `code` of an error or of its `cause` (undici wraps socket errors, sometimes in an AggregateError). */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { code, errors, cause } = e as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === "string") return code;
    if (Array.isArray(errors) && errors.length > 0) e = errors[0];
    else e = cause;
  }
  return undefined;
}

function causeMessage(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
