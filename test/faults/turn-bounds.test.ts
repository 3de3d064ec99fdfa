/**
 * Runs that never wait on I/O (#13 item 10): an in-process model that always calls a tool that answers at once.
 * Before, such a run went on microtasks alone, so an abort() from a timer never fired (1,500 turns) and, with no
 * turn limit, the run never ended. Now the agent yields to the event loop between turns and stops after
 * 50 model calls unless told otherwise.
 */
import { describe, expect, it } from "vitest";
import { Agent, type AgentTool } from "../../src/index.js";
import { createFauxProvider } from "../../src/testing.js";
import { expectValidTranscript } from "../helpers/transcript.js";

const echo: AgentTool = {
  name: "echo",
  description: "answers at once",
  parameters: { type: "object", properties: {} },
  execute: async () => ({ content: [{ type: "text", text: "again" }] }),
};

/** A model that calls `echo` on every turn, forever. */
function loopingAgent(maxTurns?: number) {
  const faux = createFauxProvider(() => ({ toolCalls: [{ name: "echo", arguments: {} }] }));
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [echo], ...(maxTurns === undefined ? {} : { maxTurns }) });
  return { agent, faux };
}

describe("runs that never wait on I/O", () => {
  it("an abort() from a timer lands mid-run: the agent yields to the event loop between turns", async () => {
    const { agent, faux } = loopingAgent(5_000);
    let turnsWhenFired = -1;
    setTimeout(() => {
      turnsWhenFired = faux.calls.length;
      agent.abort();
    }, 0);
    const message = await agent.prompt("loop");
    expect(message.stopReason).toBe("aborted");
    expect(turnsWhenFired).toBeGreaterThan(0);
    expect(faux.calls.length).toBe(turnsWhenFired);
    expect(faux.calls.length).toBeLessThan(5_000);
    expectValidTranscript(agent.state.messages);
    expect(agent.actor.getSnapshot().value).toBe("idle");
  });

  it("without maxTurns a run stops after 50 model calls, saying so; continue() goes on for 50 more", async () => {
    const { agent, faux } = loopingAgent();
    const message = await agent.prompt("loop");
    expect(faux.calls).toHaveLength(50);
    expect(agent.state.error).toBe("Stopped after 50 model calls (maxTurns). Call continue() to go on, or raise maxTurns.");
    expect(message.stopReason).toBe("toolUse");
    expectValidTranscript(agent.state.messages);
    await agent.continue();
    expect(faux.calls).toHaveLength(100);
  });

  it("maxTurns: Infinity is no limit, and survives persist/restore as such (null in the JSON)", async () => {
    const { agent, faux } = loopingAgent(Number.POSITIVE_INFINITY);
    setTimeout(() => agent.abort(), 30);
    await agent.prompt("loop");
    expect(agent.persist().settings.maxTurns).toBeNull();
    const restored = Agent.restore(JSON.parse(JSON.stringify(agent.persist())), { model: faux.model, streamFn: faux.streamFn, tools: [echo] });
    expect(restored.actor.getSnapshot().context.maxTurns).toBe(Number.POSITIVE_INFINITY);
    const fresh = Agent.restore(JSON.parse(JSON.stringify(new Agent().persist())), {});
    expect(fresh.actor.getSnapshot().context.maxTurns).toBe(50);
  });
});
