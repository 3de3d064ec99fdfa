/**
 * The proxy client: a {@link StreamFn} that streams through a proxy server
 * (ours, or any that speaks pi-agent-core's proxy format) instead of calling
 * a provider. The server sends events without `partial`; the message is
 * rebuilt here with the same `AssistantMessageBuilder` the direct adapters
 * use, so it comes out exactly as theirs would.
 */
import { createParser } from "eventsource-parser";
import { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model, ModelCost, StreamFn, StreamOptions } from "../src/core/types.js";
import { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { proxyWireEventSchema } from "./proxy-wire.js";
import type { ParsedProxyWireEvent } from "./proxy-wire.js";

/** The `api` of models made by {@link proxyModel}. */
export const PROXY_API = "tinyagent-proxy";

/** Options of {@link proxyModel}. */
export type ProxyModelOptions = {
  /** The upstream model id the proxy should use, e.g. "gpt-4o-mini". */
  id: string;
  /** The proxy's base URL, e.g. "https://proxy.example.com" (`/api/stream` is appended). */
  proxyUrl: string;
  /** The proxy's bearer token (not a provider key). `options.apiKey` overrides it per call. */
  authToken?: string;
  name?: string;
  /** Selects the token through the agent's `getApiKey(provider)`; default "proxy". */
  provider?: string;
  reasoning?: boolean;
  contextWindow?: number;
  maxTokens?: number;
  cost?: ModelCost;
};

/**
 * A model served through a proxy; pass it with `streamFn: streamProxy`.
 * @example
 * const agent = new Agent({ streamFn: streamProxy, model: proxyModel({ id: "gpt-4o-mini", proxyUrl, authToken }) });
 */
export function proxyModel(options: ProxyModelOptions): Model {
  const { id, proxyUrl, authToken, provider = "proxy", ...rest } = options;
  const model: Model = { ...rest, id, api: PROXY_API, provider, baseUrl: proxyUrl.replace(/\/+$/, "") };
  if (authToken !== undefined) model.headers = { Authorization: `Bearer ${authToken}` };
  return model;
}

/** `…/api/stream` for a proxy base URL (a full `/api/stream` URL is kept). */
function streamUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return base.endsWith("/api/stream") ? base : `${base}/api/stream`;
}

/**
 * Streams one assistant message through a proxy server. Usable directly as an
 * agent's `streamFn`. HTTP errors, malformed events, a truncated stream and
 * aborts all end in one terminal `error` event; unsubscribing cancels the request.
 * @example
 * const { finalMessage } = await lastValueFrom(streamProxy(proxyModel({ id, proxyUrl, authToken }), context).pipe(toArray()));
 */
export const streamProxy: StreamFn = (model: Model, context: Context, options: StreamOptions = {}) =>
  new Observable<AssistantMessageEvent>((subscriber) => {
    const controller = new AbortController();
    let tornDown = false;
    let idleTimedOut = false;
    const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (event) => {
      if (tornDown) return;
      subscriber.next(event);
      if (event.type === "done" || event.type === "error") subscriber.complete();
    });
    const onUserAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onUserAbort();
    else options.signal?.addEventListener("abort", onUserAbort, { once: true });

    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      if (!options.idleTimeoutMs) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idleTimedOut = true;
        controller.abort();
      }, options.idleTimeoutMs);
    };

    void run(model, context, options, controller.signal, builder, touch)
      .catch((error: unknown) => {
        if (options.signal?.aborted) builder.fail("aborted", "Request aborted.");
        else if (idleTimedOut) builder.fail("error", `Proxy sent nothing for ${options.idleTimeoutMs} ms.`);
        else builder.fail("error", `Proxy request failed: ${describe(error)}`);
      })
      .finally(() => clearTimeout(idleTimer));

    return () => {
      tornDown = true;
      clearTimeout(idleTimer);
      options.signal?.removeEventListener("abort", onUserAbort);
      controller.abort();
    };
  });

async function run(
  model: Model,
  context: Context,
  options: StreamOptions,
  signal: AbortSignal,
  builder: AssistantMessageBuilder,
  touch: () => void,
): Promise<void> {
  const headers: Record<string, string> = { ...model.headers, ...options.headers, "Content-Type": "application/json", Accept: "text/event-stream" };
  if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
  // Only what the server needs: never the model's headers (they hold the token).
  const wireModel = { id: model.id, provider: model.provider, api: model.api, ...(model.name ? { name: model.name } : {}) };
  const body = JSON.stringify({
    model: wireModel,
    context,
    options: { temperature: options.temperature, maxTokens: options.maxTokens, sessionId: options.sessionId },
  });
  touch();
  // Redirects are not followed: a 307/308 to another origin would resend the prompt (and any header token) there.
  const response = await fetch(streamUrl(model.baseUrl), { method: "POST", headers, body, signal, redirect: "manual" });
  if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    const where = response.headers.get("location");
    builder.fail(
      "error",
      `Proxy error: the proxy answered with a redirect${response.status ? ` (HTTP ${response.status})` : ""}${where ? ` to ${where}` : ""}; redirects are not followed: set proxyUrl to the address that answers.`,
    );
    void response.body?.cancel().catch(() => {});
    return;
  }
  if (!response.ok || !response.body) {
    builder.fail("error", `Proxy error: ${response.status} ${response.statusText}${await errorDetail(response)}`);
    return;
  }
  let bad: string | undefined;
  const parser = createParser({
    onEvent(message) {
      if (builder.isEnded || bad) return;
      let json: unknown;
      try {
        json = JSON.parse(message.data);
      } catch {
        bad = `Proxy sent a malformed event: ${message.data.slice(0, 200)}`;
        return;
      }
      const parsed = proxyWireEventSchema.safeParse(json);
      if (parsed.success) apply(builder, parsed.data);
      else bad = `Proxy sent an invalid event: ${parsed.error.issues[0]?.message ?? "unknown"} in ${message.data.slice(0, 200)}`;
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (!builder.isEnded && !bad) {
      const { done, value } = await reader.read();
      if (done) break;
      touch();
      parser.feed(value);
    }
  } finally {
    // Stop the download once the message is complete (or broken).
    void reader.cancel().catch(() => {});
  }
  if (bad) builder.fail("error", bad);
  else if (!builder.isEnded) {
    if (signal.aborted) throw new Error("aborted");
    builder.fail("error", "Proxy stream ended before the message was complete.");
  }
}

/** Replays one wire event on the builder; the builder produces the section-2 events. */
function apply(builder: AssistantMessageBuilder, event: ParsedProxyWireEvent): void {
  switch (event.type) {
    case "start":
      return builder.start();
    case "text_start":
    case "thinking_start":
    case "toolcall_end":
      // The builder opens blocks on their first delta and ends tool calls at finish, as direct adapters do.
      return;
    case "text_delta":
      return builder.text(event.delta);
    case "thinking_delta":
      return builder.thinking(event.delta);
    case "text_end":
      return builder.endBlock();
    case "thinking_end":
      if (event.contentSignature) builder.thinking("", event.contentSignature);
      return builder.endBlock();
    case "toolcall_start":
      return builder.toolCall(event.contentIndex, { id: event.id ?? "", name: event.toolName ?? "" });
    case "toolcall_delta":
      return builder.toolCall(event.contentIndex, { arguments: event.delta });
    case "done":
      builder.setUsage(event.usage);
      return builder.finish(event.reason);
    case "error":
      builder.setUsage(event.usage);
      return builder.fail(event.reason, event.errorMessage ?? "The proxy reported an error.");
  }
}

async function errorDetail(response: Response): Promise<string> {
  try {
    const text = (await response.text()).slice(0, 2000);
    try {
      const json = JSON.parse(text) as { error?: unknown };
      if (typeof json.error === "string") return `: ${json.error}`;
    } catch {
      // not JSON: fall through to the raw text
    }
    return text ? `: ${text}` : "";
  } catch {
    return "";
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
