/**
 * An RxJS operator that groups values emitted in the same synchronous burst
 * (one network read yields dozens of stream events) into one array, flushed
 * on the next microtask. The agent machine then takes one step per burst
 * instead of one per delta, while subscribers still see every event.
 */
import { Observable, type OperatorFunction } from "rxjs";

/** Groups same-tick values into arrays; order and completion are preserved. */
export function batchSynchronous<T>(): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] | undefined;
      let closed = false;
      const flush = () => {
        const batch = buffer;
        buffer = undefined;
        if (batch && !closed) subscriber.next(batch);
      };
      const subscription = source.subscribe({
        next(value) {
          if (!buffer) {
            buffer = [];
            queueMicrotask(flush);
          }
          buffer.push(value);
        },
        error(error: unknown) {
          flush();
          subscriber.error(error);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        closed = true;
        subscription.unsubscribe();
      };
    });
}
