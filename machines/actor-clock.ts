/**
 * The clock of a machine's own timestamps. The agent machine stamps the
 * messages it makes itself (tool results, synthetic assistant messages) with
 * `actorNow(self)` instead of `Date.now()`, so a recorder can log each reading
 * of a live actor and a replay can hand the same readings back: the time a
 * machine reads is one of its inputs.
 */

const clocks = new WeakMap<object, () => number>();
const watchers = new WeakMap<object, Set<(t: number) => void>>();

/** The time for `actor`: its installed clock, else `Date.now()`; watchers see every reading. */
export function actorNow(actor: object): number {
  const clock = clocks.get(actor);
  const t = clock ? clock() : Date.now();
  for (const watcher of watchers.get(actor) ?? []) watcher(t);
  return t;
}

/** Calls `watcher` with each clock reading of `actor`; returns the function that stops it. */
export function watchActorClock(actor: object, watcher: (t: number) => void): () => void {
  let set = watchers.get(actor);
  if (!set) watchers.set(actor, (set = new Set()));
  set.add(watcher);
  return () => set.delete(watcher);
}

/**
 * Installs `clock` as the time source of `actor` (an actor ref), or removes it
 * with `undefined`. `replayRun` uses it to hand recorded readings back.
 */
export function setActorClock(actor: object, clock: (() => number) | undefined): void {
  if (clock) clocks.set(actor, clock);
  else clocks.delete(actor);
}

/** Sets `message.timestamp` to `timestamp` and returns the message. */
export function stamped<TMessage extends { timestamp: number }>(message: TMessage, timestamp: number): TMessage {
  message.timestamp = timestamp;
  return message;
}
