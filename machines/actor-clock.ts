/**
 * The clock of a machine's own timestamps. The agent machine stamps the
 * messages it makes itself (tool results, synthetic assistant messages) with
 * `actorNow(self)` instead of `Date.now()`, so a recorder can log each reading
 * of a live actor and a replay can hand the same readings back: the time a
 * machine reads is one of its inputs.
 */

const clocks = new WeakMap<object, () => number>();

/** The time for `actor`: its installed clock, else `Date.now()`. */
export function actorNow(actor: object): number {
  const clock = clocks.get(actor);
  return clock ? clock() : Date.now();
}

/**
 * Installs `clock` as the time source of `actor` (an actor ref), or removes it
 * with `undefined`. Used by `recordRun` (to log readings) and `replayRun`
 * (to replay them).
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
