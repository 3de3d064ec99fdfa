/**
 * Shared pieces of the proxy tests: a proxy on loopback in front of a given
 * upstream, an upstream wrapper that reports aborts, and event helpers.
 */
import { lastValueFrom, Observable, toArray } from "rxjs";
import { createProxyServer, proxyModel } from "../../src/proxy.js";
import type { ProxyServer, ProxyServerOptions } from "../../src/proxy.js";
import { fauxModel } from "../../src/testing.js";
import { AssistantMessageBuilder } from "../../adapters/assistant-message-builder.js";
import type { AssistantMessage, AssistantMessageEvent, Model, StreamFn } from "../../src/core/types.js";

/** The proxy's bearer token in tests. */
export const TOKEN = "proxy-token-for-tests";
/** The upstream provider key the proxy holds; it must never reach a client. */
export const KEY = "sk-upstream-SECRET-1234567890";

/** A started proxy, the client model pointing at it, and a stopper. */
export type TestProxy = { proxy: ProxyServer; url: string; model: Model };

const running: ProxyServer[] = [];

/**
 * Starts a proxy on 127.0.0.1 with the test token and key, serving the faux
 * model (or the first of `options.models`); without `upstream` it uses the default adapter.
 */
export async function startProxy(options: Partial<ProxyServerOptions>): Promise<TestProxy> {
  const proxy = createProxyServer({ authToken: TOKEN, apiKey: KEY, models: [fauxModel()], ...options });
  running.push(proxy);
  const url = await proxy.listen();
  const id = Array.isArray(options.models) ? (options.models[0] as Model).id : fauxModel().id;
  return { proxy, url, model: proxyModel({ id, proxyUrl: url, authToken: TOKEN }) };
}

/** Closes every proxy started by {@link startProxy}; call in `afterEach`. */
export async function closeProxies(): Promise<void> {
  await Promise.all(running.splice(0).map((p) => p.close()));
}

/** All events of a stream. */
export function collect(events: Observable<AssistantMessageEvent>): Promise<AssistantMessageEvent[]> {
  return lastValueFrom(events.pipe(toArray()));
}

/** The message of the terminal event (which must be last). */
export function finalOf(events: AssistantMessageEvent[]): AssistantMessage {
  const last = events[events.length - 1];
  if (last?.type === "done") return last.message;
  if (last?.type === "error") return last.error;
  throw new Error(`stream did not end in a terminal event: ${events.map((e) => e.type).join(",")}`);
}

/** What must match between a direct and a proxied message (timestamps and the api/provider labels differ by design). */
export function comparable(message: AssistantMessage): Partial<AssistantMessage> {
  const { content, stopReason, usage, errorMessage, model } = message;
  return { content, stopReason, usage, errorMessage, model };
}

/** `type:contentIndex` of every event, to compare sequences. */
export function shape(events: AssistantMessageEvent[]): string[] {
  return events.map((e) => ("contentIndex" in e ? `${e.type}:${e.contentIndex}` : e.type));
}

/** A deferred promise. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Wraps an upstream so a test can await what it saw: the options it got,
 * its signal being aborted, and the proxy unsubscribing.
 */
export function watchedUpstream(inner: StreamFn) {
  const aborted = deferred();
  const unsubscribed = deferred();
  const apiKeys: (string | undefined)[] = [];
  const streamFn: StreamFn = (model, context, options) => {
    apiKeys.push(options?.apiKey);
    options?.signal?.addEventListener("abort", () => aborted.resolve(), { once: true });
    return new Observable<AssistantMessageEvent>((subscriber) => {
      const subscription = inner(model, context, options).subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        unsubscribed.resolve();
      };
    });
  };
  return { streamFn, aborted: aborted.promise, unsubscribed: unsubscribed.promise, apiKeys };
}

/** An upstream that emits `count` text deltas of `size` characters in one synchronous burst, stopping if cancelled. */
export function firehose(count: number, size: number) {
  const stats = { emitted: 0, cancelled: false };
  const streamFn: StreamFn = (model) =>
    new Observable<AssistantMessageEvent>((subscriber) => {
      const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (e) => subscriber.next(e));
      for (let i = 0; i < count && !subscriber.closed; i++, stats.emitted++) builder.text(String.fromCharCode(97 + (i % 26)).repeat(size));
      if (subscriber.closed) stats.cancelled = true;
      else builder.finish("stop");
      subscriber.complete();
    });
  return { streamFn, stats };
}
