import { afterEach, describe, expect, it, vi } from "vitest";
import { lastValueFrom, toArray } from "rxjs";
import type { Observable } from "rxjs";
import { createFauxProvider, fauxModel } from "../src/testing.js";
import type { AssistantMessageEvent, Context } from "../src/core/types.js";

const context: Context = { systemPrompt: "Be brief.", messages: [{ role: "user", content: "hi", timestamp: 1 }] };

function collect(events: Observable<AssistantMessageEvent>): Promise<AssistantMessageEvent[]> {
  return lastValueFrom(events.pipe(toArray()));
}

function types(events: AssistantMessageEvent[]): string[] {
  return events.map((event) => event.type);
}

function terminal(events: AssistantMessageEvent[]) {
  const last = events[events.length - 1]!;
  if (last.type === "done") return last.message;
  if (last.type === "error") return last.error;
  throw new Error(`stream ended with ${last.type}`);
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createFauxProvider", () => {
  it("streams a text reply in chunks, then done", async () => {
    const faux = createFauxProvider([{ text: "Hello world", chunkSize: 5 }]);
    const events = await collect(faux.streamFn(faux.model, context));
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_delta", "text_end", "done"]);
    expect(events.filter((e) => e.type === "text_delta").map((e) => (e as { delta: string }).delta)).toEqual(["Hello", " worl", "d"]);
    const message = terminal(events);
    expect(message).toMatchObject({ role: "assistant", api: "faux", provider: "faux", model: "faux-1", stopReason: "stop" });
    expect(message.content).toEqual([{ type: "text", text: "Hello world" }]);
    expect(message.usage.output).toBe(3); // 11 chars / 4, rounded up
    expect(message.usage.input).toBeGreaterThan(0);
    expect(message.usage.cost.total).toBeGreaterThan(0);
    expect(faux.pending).toBe(0);
  });

  it("streams thinking before text, and uses given usage for the cost", async () => {
    const faux = createFauxProvider([{ thinking: "hmm", text: "ok", usage: { input: 1_000_000, output: 2_000_000 } }]);
    const events = await collect(faux.streamFn(faux.model, context));
    expect(types(events)).toEqual(["start", "thinking_start", "thinking_delta", "thinking_end", "text_start", "text_delta", "text_end", "done"]);
    const message = terminal(events);
    expect(message.content).toEqual([
      { type: "thinking", thinking: "hmm" },
      { type: "text", text: "ok" },
    ]);
    expect(message.usage).toMatchObject({ input: 1_000_000, output: 2_000_000, totalTokens: 3_000_000 });
    expect(message.usage.cost).toMatchObject({ input: 0.5, output: 3, total: 3.5 });
  });

  it("streams two tool calls with JSON arguments in chunks and unique ids", async () => {
    const faux = createFauxProvider([
      {
        toolCalls: [
          { name: "sum", arguments: { numbers: [2, 3] } },
          { name: "get_time", arguments: {} },
        ],
        chunkSize: 8,
      },
      { toolCalls: [{ name: "sum", arguments: { numbers: [1] } }] },
    ]);
    const events = await collect(faux.streamFn(faux.model, context));
    // {"numbers":[2,3]} is 17 chars: 3 deltas of 8; {} is one.
    expect(types(events)).toEqual([
      "start",
      "toolcall_start",
      "toolcall_delta",
      "toolcall_delta",
      "toolcall_delta",
      "toolcall_start",
      "toolcall_delta",
      "toolcall_end",
      "toolcall_end",
      "done",
    ]);
    const done = events[events.length - 1]!;
    expect(done).toMatchObject({ type: "done", reason: "toolUse" });
    expect(terminal(events).content).toEqual([
      { type: "toolCall", id: "call_1", name: "sum", arguments: { numbers: [2, 3] } },
      { type: "toolCall", id: "call_2", name: "get_time", arguments: {} },
    ]);
    const next = terminal(await collect(faux.streamFn(faux.model, context)));
    expect(next.content).toEqual([{ type: "toolCall", id: "call_3", name: "sum", arguments: { numbers: [1] } }]);
  });

  it("sends string arguments verbatim, so a test can script malformed JSON", async () => {
    const faux = createFauxProvider([{ toolCalls: [{ name: "sum", arguments: '{"numbers": [1,', id: "x1" }] }]);
    const message = terminal(await collect(faux.streamFn(faux.model, context)));
    expect(message.content[0]).toMatchObject({ id: "x1", arguments: {}, invalidArguments: { raw: '{"numbers": [1,' } });
  });

  it("ends in a terminal error after any content", async () => {
    const faux = createFauxProvider([{ text: "partial", error: "Upstream exploded", chunkSize: 100 }]);
    const events = await collect(faux.streamFn(faux.model, context));
    expect(types(events)).toEqual(["start", "text_start", "text_delta", "text_end", "error"]);
    expect(events[4]).toMatchObject({ type: "error", reason: "error" });
    expect(terminal(events)).toMatchObject({
      stopReason: "error",
      errorMessage: "Upstream exploded",
      content: [{ type: "text", text: "partial" }],
    });
  });

  it("ends in a terminal error, not a throw, when the script runs out", async () => {
    const faux = createFauxProvider([{ text: "one" }]);
    await collect(faux.streamFn(faux.model, context));
    const events = await collect(faux.streamFn(faux.model, context));
    expect(types(events)).toEqual(["error"]);
    expect(terminal(events).errorMessage).toMatch(/Faux script exhausted: it has 1 response\(s\) and this is call #2/);
  });

  it("records every request with a snapshot of its context", async () => {
    const faux = createFauxProvider((ctx, callIndex) => ({ text: `call ${callIndex}: ${ctx.messages.length} messages` }));
    const messages = [...context.messages];
    const live: Context = { messages };
    const first = terminal(await collect(faux.streamFn(faux.model, live, { temperature: 0.2 })));
    messages.push({ role: "user", content: "again", timestamp: 2 });
    const second = terminal(await collect(faux.streamFn(faux.model, live)));
    expect(first.content).toEqual([{ type: "text", text: "call 0: 1 messages" }]);
    expect(second.content).toEqual([{ type: "text", text: "call 1: 2 messages" }]);
    expect(faux.calls.map((call) => call.context.messages.length)).toEqual([1, 2]);
    expect(faux.calls[0]!.options).toEqual({ temperature: 0.2 });
    expect(faux.pending).toBe(Infinity);
  });

  it("emits nothing before subscribe returns, and is cold", async () => {
    const faux = createFauxProvider([{ text: "a" }]);
    const stream = faux.streamFn(faux.model, context);
    expect(faux.calls).toHaveLength(0);
    const seen: string[] = [];
    const subscription = stream.subscribe((event) => seen.push(event.type));
    expect(seen).toEqual([]);
    expect(faux.calls).toHaveLength(1);
    await Promise.resolve();
    expect(seen).toEqual(["start", "text_start", "text_delta", "text_end", "done"]);
    subscription.unsubscribe();
  });

  it("aborts through the signal while held: error 'aborted', nothing after", async () => {
    const hold = deferred();
    const faux = createFauxProvider([{ text: "never shown", hold: hold.promise }]);
    const controller = new AbortController();
    const seen: AssistantMessageEvent[] = [];
    const done = collect(faux.streamFn(faux.model, context, { signal: controller.signal }));
    await Promise.resolve();
    controller.abort();
    hold.resolve();
    seen.push(...(await done));
    expect(types(seen)).toEqual(["start", "error"]);
    expect(seen[1]).toMatchObject({ type: "error", reason: "aborted" });
    expect(terminal(seen)).toMatchObject({ stopReason: "aborted", errorMessage: "Request was aborted", content: [] });
  });

  it("aborts mid-stream keeping the partial content", async () => {
    vi.useFakeTimers();
    const faux = createFauxProvider([{ text: "abcdefghij", chunkSize: 2, chunkDelayMs: 10 }]);
    const controller = new AbortController();
    const seen: AssistantMessageEvent[] = [];
    let completed = false;
    faux.streamFn(faux.model, context, { signal: controller.signal }).subscribe({
      next: (event) => seen.push(event),
      complete: () => (completed = true),
    });
    await vi.advanceTimersByTimeAsync(25); // first delta at 10 ms, second at 20 ms
    controller.abort();
    expect(completed).toBe(true);
    expect(types(seen)).toEqual(["start", "text_start", "text_delta", "text_delta", "text_end", "error"]);
    expect(terminal(seen)).toMatchObject({ stopReason: "aborted", content: [{ type: "text", text: "abcd" }] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("with an already aborted signal ends in one aborted error", async () => {
    const faux = createFauxProvider([{ text: "x" }]);
    const events = await collect(faux.streamFn(faux.model, context, { signal: AbortSignal.abort() }));
    expect(types(events)).toEqual(["error"]);
    expect(events[0]).toMatchObject({ reason: "aborted" });
  });

  it("stops and clears its timers when unsubscribed", async () => {
    vi.useFakeTimers();
    const faux = createFauxProvider([{ text: "abcdefghij", chunkSize: 2, chunkDelayMs: 10 }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const subscription = faux.streamFn(faux.model, context, { signal: controller.signal }).subscribe((e) => seen.push(e.type));
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(1);
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    controller.abort(); // the listener is gone: no late error
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual(["start", "text_start", "text_delta"]);
  });

  it("fauxModel takes overrides", () => {
    expect(fauxModel({ id: "big" })).toMatchObject({ id: "big", api: "faux", provider: "faux" });
  });
});
