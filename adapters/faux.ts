/**
 * The faux model: a scripted (or rule-based) provider with no network that
 * streams the real section-2 event sequence through `AssistantMessageBuilder`.
 * It is what the tests and the first demo run on.
 */
import { Observable } from "rxjs";
import type { AssistantMessageEvent, Context, Model, StreamFn, StreamOptions } from "../src/core/types.js";
import { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { fauxRulesResponse } from "./faux-rules.js";
import { countToolCalls, fauxSteps, fauxStopReason, fauxUsage, scriptCursor } from "./faux-script.js";
import type { FauxResponse, FauxScript } from "./faux-script.js";

/** One request the faux provider saw. `context` is a shallow copy taken when the stream was subscribed. */
export type FauxCall = { model: Model; context: Context; options: StreamOptions | undefined };

/** Options of {@link createFauxProvider}. */
export type FauxProviderOptions = {
  /** Overrides of the returned {@link FauxProvider.model}. */
  model?: Partial<Model>;
  /** Default characters per delta for replies that do not set `chunkSize` (default 4). */
  chunkSize?: number;
  /** Default pause between deltas for replies that do not set `chunkDelayMs` (default 0). */
  chunkDelayMs?: number;
};

/** A scripted provider and what it has seen. */
export type FauxProvider = {
  /** Streams the next scripted reply on each subscription. */
  streamFn: StreamFn;
  /** A model to pass to the agent (api "faux", provider "faux"). */
  model: Model;
  /** Every request seen, in order. */
  calls: FauxCall[];
  /** Replies left in the script (`Infinity` for a function script). */
  readonly pending: number;
};

/**
 * A model with api "faux" and provider "faux". It has a small price so demos show a cost.
 * @example
 * const model = fauxModel({ id: "faux-large" });
 */
export function fauxModel(overrides: Partial<Model> = {}): Model {
  return {
    id: "faux-1",
    name: "Faux 1 (scripted)",
    api: "faux",
    provider: "faux",
    baseUrl: "faux://local",
    reasoning: true,
    contextWindow: 128_000,
    maxTokens: 16_384,
    cost: { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.5 },
    ...overrides,
  };
}

/**
 * A scripted model: each subscription to its `streamFn` consumes the next reply.
 * When the script runs out the stream ends in a terminal error saying so.
 * @example
 * const faux = createFauxProvider([
 *   { toolCalls: [{ name: "sum", arguments: { numbers: [2, 3] } }] },
 *   { text: "The sum is 5." },
 * ]);
 * const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [sum] });
 */
export function createFauxProvider(script: FauxScript, options: FauxProviderOptions = {}): FauxProvider {
  const cursor = scriptCursor(script);
  const calls: FauxCall[] = [];
  let toolCallCount = 0;
  const streamFn: StreamFn = (model, context, streamOptions) =>
    fauxObservable(
      model,
      context,
      streamOptions,
      options,
      () => {
        calls.push({ model, context: snapshotContext(context), options: streamOptions });
        return cursor.next(context);
      },
      () => `call_${++toolCallCount}`,
    );
  return {
    streamFn,
    model: fauxModel(options.model),
    calls,
    get pending() {
      return cursor.pending;
    },
  };
}

/**
 * The built-in rule-based faux model (see `faux-rules.ts`): calls offered tools
 * when the prompt asks for arithmetic or the time, answers with their results,
 * otherwise replies in plain text. Deterministic; no script needed.
 */
export const fauxStream: StreamFn = (model, context, options) => {
  // Ids count the tool calls already in the transcript, so they are unique and repeatable.
  let n = countToolCalls(context);
  return fauxObservable(
    model,
    context,
    options,
    {},
    () => fauxRulesResponse(context),
    () => `call_${++n}`,
  );
};

/** Streams one reply chosen at subscription time. `respond` may throw: that ends the stream in an error. */
function fauxObservable(
  model: Model,
  context: Context,
  options: StreamOptions | undefined,
  defaults: Pick<FauxProviderOptions, "chunkSize" | "chunkDelayMs">,
  respond: () => FauxResponse,
  nextToolCallId: () => string,
): Observable<AssistantMessageEvent> {
  return new Observable<AssistantMessageEvent>((subscriber) => {
    const signal = options?.signal;
    const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (event) => subscriber.next(event));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const end = (): void => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      subscriber.complete();
    };
    const onAbort = (): void => {
      if (closed) return;
      builder.fail("aborted", "Request was aborted");
      end();
    };

    let response: FauxResponse | undefined;
    let failure: string | undefined;
    try {
      response = respond();
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    const run = (reply: FauxResponse): void => {
      // Ids are drawn once per call, in call order.
      const ids = (reply.toolCalls ?? []).map(() => nextToolCallId());
      const steps = fauxSteps(reply, reply.chunkSize ?? defaults.chunkSize ?? 4, (i) => ids[i] ?? "");
      const delayMs = reply.chunkDelayMs ?? defaults.chunkDelayMs ?? 0;
      // Counted now: the caller may append to its transcript once the stream has ended.
      const usage = fauxUsage(reply, model, context);
      let at = 0;
      const pump = (): void => {
        timer = undefined;
        while (!closed && at < steps.length) {
          const step = steps[at++]!;
          if (step.type === "thinking") builder.thinking(step.delta);
          else if (step.type === "text") builder.text(step.delta);
          else builder.toolCall(step.index, step);
          if (delayMs > 0 && at < steps.length) {
            timer = setTimeout(pump, delayMs);
            return;
          }
        }
        if (closed) return;
        builder.setUsage(usage);
        if (reply.error !== undefined) builder.fail("error", reply.error);
        else builder.finish(fauxStopReason(reply));
        end();
      };
      builder.start();
      if (reply.hold) {
        reply.hold.then(
          () => {
            if (!closed) pump();
          },
          (error: unknown) => {
            if (closed) return;
            builder.fail("error", `Faux hold rejected: ${error instanceof Error ? error.message : String(error)}`);
            end();
          },
        );
      } else if (delayMs > 0) {
        timer = setTimeout(pump, delayMs);
      } else {
        pump();
      }
    };

    // Like a real request, nothing arrives before subscribe() has returned.
    queueMicrotask(() => {
      if (closed) return;
      if (signal?.aborted) return onAbort();
      if (response === undefined) {
        builder.fail("error", failure ?? "Faux model gave no response");
        end();
        return;
      }
      try {
        run(response);
      } catch (error) {
        // A transcript the script cannot read (its own bug or odd input) is a failed call, not an uncaught error.
        if (closed || builder.isEnded) return;
        builder.fail("error", `Faux model failed: ${error instanceof Error ? error.message : String(error)}`);
        end();
      }
    });

    // Unsubscribing stops the timers and forgets the signal; nothing is emitted after it.
    return () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
  });
}

function snapshotContext(context: Context): Context {
  const copy: Context = { ...context, messages: [...context.messages] };
  if (context.tools) copy.tools = [...context.tools];
  return copy;
}
