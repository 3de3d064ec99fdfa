/**
 * A fake clock for timeout tests over real loopback HTTP: the timers and
 * `performance.now()` the SSE engine reads are faked, `setImmediate` is not,
 * so sockets and promises run as usual while the test moves time by hand. A
 * loaded machine then cannot make a gap look long (or short).
 */
import { vi } from "vitest";

export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
}

/** Lets the event loop turn until `check()` holds (sockets are read between turns). Not transcript.ts's `until`: that one polls with setTimeout, which this clock fakes. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

/** A few event-loop turns, for bytes already written to a loopback socket to be read. */
export async function turns(count = 20): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}
