/**
 * `agent.events$` delivers exactly what `subscribe()` listeners get — also
 * when it is subscribed mid-run and after unsubscribing (the facade skips the
 * Subject while nobody observes it, a per-delta saving measured by the bench).
 */
import { describe, expect, it } from "vitest";
import type { AgentEvent } from "../src/index.js";
import { fauxAgents } from "./helpers/faux-agents.js";

const { make } = fauxAgents();

describe("Agent.events$", () => {
  it("emits the same events as subscribe(), in order", async () => {
    const { agent, log } = make([{ text: "Hello there, events" }]);
    const seen: AgentEvent[] = [];
    const subscription = agent.events$.subscribe((event) => seen.push(event));
    await agent.prompt("hi");
    subscription.unsubscribe();
    expect(seen.map((e) => e.type)).toEqual(log.types());
    expect(seen.filter((e) => e.type === "message_update").length).toBeGreaterThan(1);
  });

  it("starts delivering when subscribed mid-run and stops after unsubscribe", async () => {
    const { agent, log } = make([{ text: "one two three four five six" }, { text: "again" }]);
    const seen: AgentEvent[] = [];
    let subscription: { unsubscribe(): void } | undefined;
    agent.subscribe((event) => {
      if (event.type === "message_start" && event.message.role === "assistant" && !subscription) {
        subscription = agent.events$.subscribe((e) => seen.push(e));
      }
    });
    await agent.prompt("first");
    const firstRun = log.types();
    const from = firstRun.lastIndexOf("message_start");
    // The listener above runs before the Subject's turn for the same event, so it is included.
    expect(seen.map((e) => e.type)).toEqual(firstRun.slice(from));
    subscription!.unsubscribe();
    await agent.prompt("second");
    expect(seen.map((e) => e.type)).toEqual(firstRun.slice(from));
  });
});
