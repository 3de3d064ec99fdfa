/**
 * One-shot and incremental ways to consume an assistant-message stream
 * without RxJS: a promise of all events, and a handle that is an async
 * iterable with `result()`.
 */
import { type Observable, ReplaySubject } from "rxjs";
import type { AssistantMessage, AssistantMessageEvent } from "../src/core/types.js";

/** Every event of one call and the message it ended with. */
export type CollectedStream = { events: AssistantMessageEvent[]; finalMessage: AssistantMessage };

/** A running stream: iterate its events with `for await`, or await `result()`. */
export type AssistantMessageStreamHandle = AsyncIterable<AssistantMessageEvent> & {
  /** The events as an Observable; replays what already happened to late subscribers. */
  readonly events$: Observable<AssistantMessageEvent>;
  /** The final message: resolves at `done` or `error` (never rejects for provider trouble). */
  result(): Promise<AssistantMessage>;
  /** Aborts the request; the stream ends with an `error` of reason "aborted". */
  abort(): void;
};

/** The message of a terminal event, or undefined. */
export function terminalMessage(event: AssistantMessageEvent): AssistantMessage | undefined {
  if (event.type === "done") return event.message;
  if (event.type === "error") return event.error;
  return undefined;
}

/** Subscribes once and resolves with all events when the stream completes. */
export function collectStream(stream: Observable<AssistantMessageEvent>): Promise<CollectedStream> {
  return new Promise((resolve, reject) => {
    const events: AssistantMessageEvent[] = [];
    let finalMessage: AssistantMessage | undefined;
    stream.subscribe({
      next: (event) => {
        events.push(event);
        finalMessage = terminalMessage(event) ?? finalMessage;
      },
      error: reject,
      complete: () => (finalMessage ? resolve({ events, finalMessage }) : reject(new Error("The stream completed without a done or error event."))),
    });
  });
}

/**
 * Starts `start(signal)` now and returns a handle on it. Events are recorded
 * once; every iterator walks the record by index (no queue shifting).
 */
export function streamHandle(start: (signal: AbortSignal) => Observable<AssistantMessageEvent>): AssistantMessageStreamHandle {
  const controller = new AbortController();
  const events: AssistantMessageEvent[] = [];
  const replay = new ReplaySubject<AssistantMessageEvent>();
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const result = new Promise<AssistantMessage>((resolve, reject) => {
    let finalMessage: AssistantMessage | undefined;
    start(controller.signal).subscribe({
      next: (event) => {
        events.push(event);
        finalMessage = terminalMessage(event) ?? finalMessage;
        replay.next(event);
        notify();
      },
      error: (error: unknown) => {
        finished = true;
        failure = error;
        replay.error(error);
        notify();
        reject(error);
      },
      complete: () => {
        finished = true;
        replay.complete();
        notify();
        if (finalMessage) resolve(finalMessage);
        else reject(new Error("The stream completed without a done or error event."));
      },
    });
  });
  // A caller that only iterates must not see an unhandled rejection.
  result.catch(() => {});
  return {
    events$: replay.asObservable(),
    result: () => result,
    abort: () => controller.abort(),
    async *[Symbol.asyncIterator]() {
      for (let i = 0; ; ) {
        if (i < events.length) yield events[i++]!;
        else if (finished) {
          if (failure !== undefined) throw failure;
          return;
        } else await new Promise<void>((resolve) => (wake = chain(wake, resolve)));
      }
    },
  };
}

// Several iterators may wait at once: wake them all.
function chain(previous: (() => void) | undefined, next: () => void): () => void {
  return previous ? () => (previous(), next()) : next;
}
