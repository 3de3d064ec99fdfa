/**
 * One trip round the event loop. The agent machine waits for it between
 * turns: with an in-process provider and tools that resolve at once, a run
 * would otherwise go on microtasks alone, and an `abort()` from a timer (or
 * any I/O callback) would only run once the run had ended.
 */

/** Resolves on the next macrotask: `setImmediate` where there is one (Node, Bun, Deno), else `setTimeout(0)`. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof globalThis.setImmediate === "function") globalThis.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
