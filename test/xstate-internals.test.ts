/**
 * `emitAll`: one XState action that emits many events — each reaches
 * `on(type)` and `on("*")` listeners, in order, after the step's snapshot is
 * committed (like XState's own `emit`), and inspection sees one action.
 */
import { describe, expect, it } from "vitest";
import { createActor, enqueueActions, setup, type InspectionEvent } from "xstate";
import { emitAll } from "../machines/xstate-internals.js";

type Item = { type: "item"; n: number } | { type: "last"; n: number };

const machine = setup({
  types: { context: {} as { count: number }, events: {} as { type: "batch"; size: number }, emitted: {} as Item },
  actions: {
    applyBatch: enqueueActions(({ enqueue, context, event }) => {
      const items: Item[] = Array.from({ length: event.size }, (_, i) => ({ type: i === event.size - 1 ? "last" : "item", n: i }));
      enqueue.assign({ count: context.count + event.size });
      enqueue(emitAll(items));
    }),
  },
}).createMachine({ context: { count: 0 }, on: { batch: { actions: "applyBatch" } } });

describe("emitAll", () => {
  it("emits every event in order to typed and wildcard listeners, after the snapshot is committed", () => {
    const inspected: InspectionEvent[] = [];
    const actor = createActor(machine, { inspect: (e) => inspected.push(e) });
    const all: string[] = [];
    const lasts: number[] = [];
    const countsSeen: number[] = [];
    actor.on("*", (e) => {
      all.push(`${e.type}:${e.n}`);
      countsSeen.push(actor.getSnapshot().context.count);
    });
    actor.on("last", (e) => lasts.push(e.n));
    actor.start();
    actor.send({ type: "batch", size: 3 });
    actor.send({ type: "batch", size: 2 });
    expect(all).toEqual(["item:0", "item:1", "last:2", "item:0", "last:1"]);
    expect(lasts).toEqual([2, 1]);
    expect(countsSeen).toEqual([3, 3, 3, 5, 5]);
    const actions = inspected.filter((e) => e.type === "@xstate.action").map((e) => (e as { action: { type: string; params: unknown } }).action);
    const emits = actions.filter((a) => a.type === "tinyagent.emitAll");
    expect(emits).toHaveLength(2);
    expect((emits[0]!.params as { events: Item[] }).events.map((e) => e.n)).toEqual([0, 1, 2]);
  });

  it("keeps emitting to other listeners when one throws", () => {
    const actor = createActor(machine);
    const seen: number[] = [];
    actor.on("item", () => {
      throw new Error("broken listener");
    });
    actor.on("*", (e) => seen.push(e.n));
    actor.start();
    const errors: unknown[] = [];
    const original = globalThis.setTimeout;
    // XState reports listener errors asynchronously (reportUnhandledError); capture instead of crashing the test.
    globalThis.setTimeout = ((fn: () => void) => {
      try {
        fn();
      } catch (error) {
        errors.push(error);
      }
      return 0;
    }) as unknown as typeof setTimeout;
    try {
      actor.send({ type: "batch", size: 3 });
    } finally {
      globalThis.setTimeout = original;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(errors).toHaveLength(2);
  });
});

describe("xstate internals (machines/xstate-internals.ts)", () => {
  it("run on the xstate minor they were written against: re-check emitAll, parentOf, guardLabel and withTransition before moving the pin", async () => {
    const { readFileSync } = await import("node:fs");
    const installed = JSON.parse(readFileSync("node_modules/xstate/package.json", "utf8")) as { version: string };
    const pinned = (JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> }).dependencies.xstate;
    expect(installed.version).toMatch(/^5\.33\./);
    expect(pinned).toBe("~5.33.3");
  });
});
