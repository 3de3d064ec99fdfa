/**
 * The model call as an actor: prepares the LLM context (transformContext,
 * convertToLlm, API key), subscribes to the StreamFn and sends the stream's
 * events to the agent machine in same-tick batches (`model.events`). The
 * actor lives exactly as long as the `streaming` state: stopping it
 * unsubscribes, which aborts the signal and cancels the request.
 */
import { Observable, defer, from, map, switchMap } from "rxjs";
import { fromEventObservable } from "xstate";
import { batchSynchronous } from "./batch-synchronous.js";
import type { CheckpointBarrier } from "./tool-call.machine.js";
import { checkedStream, streamOf } from "./checked-stream.js";
import { describeValue } from "../src/core/message-checks.js";
import { defaultConvertToLlm } from "../src/core/messages.js";
import { toolSpec } from "../src/core/tools.js";
import type { AgentHooks, AgentMessage, AgentTool, AssistantMessageEvent, Context, Model, StreamFn, StreamOptions } from "../src/core/types.js";
import { errorText } from "../src/core/errors.js";

/** Everything one model call needs, taken from the agent's context at turn start. */
export type StreamModelInput = {
  model: Model;
  systemPrompt: string;
  messages: AgentMessage[];
  tools: AgentTool[];
  streamFn: StreamFn;
  hooks: AgentHooks;
  streamOptions: StreamOptions;
  /** The agent's checkpoint barrier (see CheckpointBarrier in tool-call.machine.ts). */
  checkpointed?: CheckpointBarrier;
};

/** A batch of stream events delivered to the agent machine in one step. */
export type ModelEventsEvent = { type: "model.events"; events: AssistantMessageEvent[] };

/** Names the hook in errors so a person knows where to look; `expected` checks what it returned. */
async function callHook<T>(name: string, call: () => T | Promise<T>, expected: { test(value: unknown): boolean; what: string }): Promise<T> {
  let value: T;
  try {
    value = await call();
  } catch (error) {
    throw new Error(`${name} hook threw: ${errorText(error)}`);
  }
  if (!expected.test(value)) throw new Error(`${name} hook returned ${describeValue(value)}; it must return ${expected.what}`);
  return value;
}

const MESSAGES = { test: Array.isArray, what: "an array of messages" };
const API_KEY = { test: (value: unknown) => value === undefined || typeof value === "string", what: "a string or undefined" };

async function prepareRequest(input: StreamModelInput, signal: AbortSignal): Promise<{ context: Context; options: StreamOptions }> {
  const { hooks, model } = input;
  await input.checkpointed?.("handedOver");
  let messages = input.messages;
  if (hooks.transformContext) {
    const transform = hooks.transformContext;
    messages = await callHook("transformContext", () => transform(messages.slice(), signal), MESSAGES);
  }
  const llmMessages = hooks.convertToLlm ? await callHook("convertToLlm", () => hooks.convertToLlm!(messages), MESSAGES) : defaultConvertToLlm(messages);
  let apiKey = input.streamOptions.apiKey;
  if (apiKey === undefined && hooks.getApiKey) {
    apiKey = await callHook("getApiKey", () => hooks.getApiKey!(model.provider), API_KEY);
  }
  const context: Context = { messages: llmMessages };
  if (input.systemPrompt) context.systemPrompt = input.systemPrompt;
  if (input.tools.length > 0) context.tools = input.tools.map(toolSpec);
  // Copied then set (not `{ ...streamOptions, signal }`: on Node 20's V8 that makes a hidden class per request).
  const options: StreamOptions = Object.assign({}, input.streamOptions);
  options.signal = signal;
  if (apiKey !== undefined) options.apiKey = apiKey;
  return { context, options };
}

/** The stream of one model call as XState actor logic. */
export const streamModelActor = fromEventObservable<ModelEventsEvent, StreamModelInput>(
  ({ input }) =>
    new Observable<ModelEventsEvent>((subscriber) => {
      const controller = new AbortController();
      let ended = false;
      const subscription = from(prepareRequest(input, controller.signal))
        .pipe(
          // Whatever the stream function emits, the machine gets well-formed events (see checked-stream.ts).
          switchMap(({ context, options }) => defer(() => streamOf(input.streamFn(input.model, context, options))).pipe(checkedStream(input.model))),
          batchSynchronous(),
          map((events): ModelEventsEvent => ({ type: "model.events", events })),
        )
        .subscribe({
          next: (event) => subscriber.next(event),
          error: (error: unknown) => {
            ended = true;
            subscriber.error(error);
          },
          complete: () => {
            ended = true;
            subscriber.complete();
          },
        });
      return () => {
        // A call that ended by itself has nothing left to cancel (and abort() costs a DOMException per request).
        if (!ended) controller.abort();
        subscription.unsubscribe();
      };
    }),
);
