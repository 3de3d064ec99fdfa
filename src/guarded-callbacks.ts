/**
 * Callbacks users hand the agent to watch it — `events$` subscribers and the
 * `inspect` observer — run inside the agent's own steps, so one that throws
 * must not break a run or end the process. Each throw is caught and
 * reported on `console.error` (the same as a throwing `subscribe()` listener),
 * and the callback is called again for the next event.
 *
 * RxJS on its own reports a throwing subscriber (and an error nobody handles)
 * by rethrowing it from a timer, which ends a Node process. `GuardedObservable`
 * therefore wraps the observer of every subscription made on it, and, by
 * overriding RxJS 7's `lift` (how every pipeable operator builds its result),
 * on everything piped from it. Written against rxjs 7.8 (see
 * test/faults/guarded-callbacks.test.ts).
 */
import { Observable, Subscriber, type Observer, type Operator, type Subscription } from "rxjs";
import type { InspectionEvent } from "xstate";

function report(what: string, error: unknown): void {
  console.error(`tinyagent: ${what} threw and was skipped (later throws of it are not reported):`, error);
}

/** `callback` with its throws caught; the first one is reported (one broken observer must not flood the log per event). */
function guard<TArgs extends unknown[]>(what: string, callback: ((...args: TArgs) => void) | null | undefined) {
  if (!callback) return undefined;
  let reported = false;
  return (...args: TArgs) => {
    try {
      callback(...args);
    } catch (error) {
      if (!reported) report(what, error);
      reported = true;
    }
  };
}

/** An Observable whose subscribers' throws are reported, never rethrown; see the module comment. */
export class GuardedObservable<T> extends Observable<T> {
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const observable = new GuardedObservable<R>();
    observable.source = this;
    observable.operator = operator;
    return observable;
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    // Operators subscribe with their own Subscriber: only the outermost observer is the user's.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const observer: Partial<Observer<T>> = typeof observerOrNext === "function" ? { next: observerOrNext } : (observerOrNext ?? {});
    return super.subscribe({
      next: guard("an events$ subscriber", observer.next?.bind(observer)),
      // An error nobody handles would be rethrown from a timer by RxJS.
      error:
        guard("an events$ error handler", observer.error?.bind(observer)) ??
        ((error: unknown) => console.error("tinyagent: an events$ subscription failed and had no error handler:", error)),
      complete: guard("an events$ complete handler", observer.complete?.bind(observer)),
    });
  }
}

/** The `inspect` option with its throws reported instead of breaking the actor's step. */
export function guardedInspect(
  inspect: { next?: (event: InspectionEvent) => void } | ((event: InspectionEvent) => void) | undefined,
): ((event: InspectionEvent) => void) | undefined {
  if (!inspect) return undefined;
  const next = typeof inspect === "function" ? inspect : inspect.next?.bind(inspect);
  return guard("the inspect observer", next);
}
