import { lastValueFrom, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { agentLoop, agentLoopContinue, type AgentEvent, type AgentMessage } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { gatedTool, until } from "./helpers/transcript.js";

const endOf = (events: AgentEvent[]) => events.at(-1) as Extract<AgentEvent, { type: "agent_end" }>;

describe("agentLoop / agentLoopContinue (the functional loop of TinyAgent and pi-agent-core)", () => {
  it("one run as a cold Observable of events, ending at agent_end", async () => {
    const faux = createFauxProvider([{ text: "hello" }]);
    const run = agentLoop("hi", { model: faux.model, streamFn: faux.streamFn });
    expect(faux.calls).toHaveLength(0); // cold: nothing until subscribed
    const events = await lastValueFrom(run.pipe(toArray()));
    expect(events[0]?.type).toBe("agent_start");
    expect(endOf(events).messages.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("continues a transcript, and refuses one ending with an assistant message", async () => {
    const faux = createFauxProvider([{ text: "resumed" }]);
    const messages: AgentMessage[] = [{ role: "user", content: "hello", timestamp: 1 }];
    const events = await lastValueFrom(agentLoopContinue({ model: faux.model, streamFn: faux.streamFn, messages }).pipe(toArray()));
    expect(endOf(events).messages.map((m) => m.role)).toEqual(["assistant"]);
    expect(faux.calls[0]?.context.messages).toHaveLength(1);
    const answered = [...messages, endOf(events).messages[0]!];
    expect(() => agentLoopContinue({ model: faux.model, streamFn: faux.streamFn, messages: answered })).toThrow(/Cannot continue from an assistant message/);
    expect(() => agentLoopContinue({ model: faux.model, streamFn: faux.streamFn, messages: [] })).toThrow(/Nothing to continue/);
  });

  it("unsubscribing aborts the run: tool signals abort", async () => {
    const { tool, signals } = gatedTool();
    const faux = createFauxProvider([{ toolCalls: [{ name: "gate", arguments: {} }] }]);
    const seen: AgentEvent[] = [];
    const subscription = agentLoop("go", { model: faux.model, streamFn: faux.streamFn, tools: [tool] }).subscribe((e) => seen.push(e));
    await until(() => signals.length === 1);
    subscription.unsubscribe();
    expect(signals[0]?.aborted).toBe(true);
    expect(seen.map((e) => e.type)).not.toContain("agent_end"); // nothing is delivered after unsubscribing
    expect(() => agentLoop("x", { streamFn: faux.streamFn })).toThrow(/No model/);
  });
});
