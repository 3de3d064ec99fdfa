import { Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, defineTool, type AssistantMessageEvent, type StreamFn } from "../src/index.js";
import { fauxModel } from "../src/testing.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { approvalTool, gatedTool, until } from "./helpers/transcript.js";

const { make: makeAgent, track } = fauxAgents();

function text(message: { content: unknown }): string {
  const content = message.content as string | { type: string; text?: string }[];
  return typeof content === "string" ? content : content.map((b) => b.text ?? "").join("");
}

describe("abort", () => {
  it("during streaming: unsubscribes the stream, resolves with an aborted message, agent reusable", async () => {
    let unsubscribed = false;
    let seenSignal: AbortSignal | undefined;
    const streamFn: StreamFn = (model, _context, options) =>
      new Observable<AssistantMessageEvent>((sub) => {
        seenSignal = options?.signal;
        const partial = {
          role: "assistant" as const,
          content: [{ type: "text" as const, text: "Hel" }],
          api: model.api,
          provider: model.provider,
          model: model.id,
          usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
          stopReason: "stop" as const,
          timestamp: 0,
        };
        sub.next({ type: "start", partial });
        sub.next({ type: "text_start", contentIndex: 0, partial });
        sub.next({ type: "text_delta", contentIndex: 0, delta: "Hel", partial });
        return () => {
          unsubscribed = true;
        };
      });
    const agent = new Agent({ model: fauxModel(), streamFn });
    track(agent);
    const run = agent.prompt("hi");
    await until(() => agent.state.streamMessage !== null);
    agent.abort();
    const message = await run;
    expect(unsubscribed).toBe(true);
    expect(seenSignal?.aborted).toBe(true);
    expect(message.stopReason).toBe("aborted");
    expect(message.errorMessage).toBe("Aborted by the user.");
    expect(text(message)).toBe("Hel");
    expect(agent.state.error).toBe("Aborted by the user.");
    expect(agent.actor.getSnapshot().value).toBe("idle");
  });

  it("during a parallel tool batch: every tool signal aborts, each call gets an aborted result", async () => {
    const { tool, signals } = gatedTool();
    const { agent, faux } = makeAgent(
      [
        {
          toolCalls: [
            { name: "gate", arguments: {} },
            { name: "gate", arguments: {} },
          ],
        },
        { text: "after" },
      ],
      { tools: [tool] },
    );
    const run = agent.prompt("go");
    await until(() => signals.length === 2);
    agent.abort();
    const message = await run;
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(message.stopReason).toBe("aborted");
    const results = agent.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => r.role === "toolResult" && [r.isError, text(r)])).toEqual([
      [true, "Tool execution was aborted."],
      [true, "Tool execution was aborted."],
    ]);
    // usable again
    expect(await agent.promptText("again")).toBe("after");
    expect(faux.calls).toHaveLength(2);
  });

  it("sequential: queued calls never start and are answered too", async () => {
    const { tool, signals } = gatedTool();
    const { agent, log } = makeAgent(
      [
        {
          toolCalls: [
            { name: "gate", arguments: {} },
            { name: "gate", arguments: {} },
          ],
        },
      ],
      {
        tools: [tool],
        toolExecution: "sequential",
      },
    );
    const run = agent.prompt("go");
    await until(() => signals.length === 1);
    agent.abort();
    await run;
    expect(signals).toHaveLength(1);
    expect(log.types().filter((t) => t === "tool_execution_end")).toHaveLength(2);
  });
});

describe("abort settles synchronously", () => {
  it("after abort() returns the agent is idle, can be prompted at once, and reset() clears a running agent", async () => {
    const { tool, signals } = gatedTool();
    const { agent } = makeAgent([{ toolCalls: [{ name: "gate", arguments: {} }] }, { text: "next" }], { tools: [tool] });
    const run = agent.prompt("go");
    await until(() => signals.length === 1);
    agent.abort();
    expect(agent.state.isStreaming).toBe(false);
    expect(agent.actor.getSnapshot().value).toBe("idle");
    expect(await agent.promptText("again")).toBe("next");
    expect((await run).stopReason).toBe("aborted");
    const second = makeAgent([{ text: "x", hold: new Promise(() => {}) }]).agent;
    void second.prompt("hang");
    await until(() => second.state.streamMessage !== null);
    second.reset();
    expect(second.state.messages).toEqual([]);
    expect(second.state.isStreaming).toBe(false);
  });
});

describe("steering and follow-up", () => {
  it("steering arrives at the next turn boundary, one at a time", async () => {
    const { tool, gate, signals } = gatedTool();
    const { agent, faux } = makeAgent([{ toolCalls: [{ name: "gate", arguments: {} }] }, { text: "saw s1" }, { text: "saw s2" }], {
      tools: [tool],
    });
    const run = agent.prompt("go");
    await until(() => signals.length === 1);
    agent.steer("s1");
    agent.steer("s2");
    gate.resolve();
    await run;
    const roles = faux.calls.map((c) => c.context.messages.map((m) => (m.role === "user" ? `user:${text(m)}` : m.role)));
    expect(roles[1]).toEqual(["user:go", "assistant", "toolResult", "user:s1"]);
    expect(roles[2]).toEqual(["user:go", "assistant", "toolResult", "user:s1", "assistant", "user:s2"]);
  });

  it('steering mode "all" delivers the whole queue at once', async () => {
    const { tool, gate, signals } = gatedTool();
    const { agent, faux } = makeAgent([{ toolCalls: [{ name: "gate", arguments: {} }] }, { text: "both" }], {
      tools: [tool],
      steeringMode: "all",
    });
    const run = agent.prompt("go");
    await until(() => signals.length === 1);
    agent.steer("s1");
    agent.steer("s2");
    gate.resolve();
    await run;
    expect(faux.calls).toHaveLength(2);
    expect(faux.calls[1]?.context.messages.slice(-2).map(text)).toEqual(["s1", "s2"]);
  });

  it("follow-ups run only when the run would end, in both modes", async () => {
    for (const followUpMode of ["one-at-a-time", "all"] as const) {
      const { agent, faux, log } = makeAgent([{ text: "one" }, { text: "two" }, { text: "three" }], { followUpMode });
      agent.followUp("f1");
      agent.followUp("f2");
      await agent.prompt("start");
      const runs = log.types().filter((t) => t === "agent_end").length;
      expect(runs).toBe(1);
      expect(faux.calls).toHaveLength(followUpMode === "all" ? 2 : 3);
      expect(faux.calls[1]?.context.messages.slice(2).map(text)).toEqual(followUpMode === "all" ? ["f1", "f2"] : ["f1"]);
    }
  });
});

describe("approvals", () => {
  const risky = defineTool({
    name: "delete",
    description: "dangerous",
    parameters: z.object({ path: z.string() }),
    requiresApproval: (args) => args.path !== "/tmp/ok",
    async execute(_id, { path }) {
      return { content: [{ type: "text", text: `deleted ${path}` }] };
    },
  });
  const script = [{ toolCalls: [{ name: "delete", arguments: { path: "/etc" } }] }, { text: "done" }];

  it("waits in executingTools until approved", async () => {
    const { agent } = makeAgent(script, { tools: [risky] });
    const run = agent.prompt("go");
    await until(() => agent.actor.getSnapshot().context.pendingToolCalls[0]?.status === "awaitingApproval");
    expect(agent.actor.getSnapshot().value).toEqual({ executingTools: "awaitingApproval" });
    expect(agent.actor.getSnapshot().hasTag("awaitingApproval")).toBe(true);
    const id = [...agent.state.pendingToolCalls][0]!;
    expect(agent.actor.getSnapshot().can({ type: "agent.approve", toolCallId: id })).toBe(true);
    expect(() => agent.approve("other")).toThrow(/No tool call "other" is waiting/);
    agent.approve(id);
    await run;
    const result = agent.state.messages.find((m) => m.role === "toolResult");
    expect(result && text(result)).toBe("deleted /etc");
  });

  it("a rejection is an error result carrying the reason", async () => {
    const { agent } = makeAgent(script, { tools: [risky] });
    const run = agent.prompt("go");
    await until(() => agent.actor.getSnapshot().context.pendingToolCalls[0]?.status === "awaitingApproval");
    agent.reject([...agent.state.pendingToolCalls][0]!, "not that one");
    await run;
    const result = agent.state.messages.find((m) => m.role === "toolResult");
    expect(result?.role === "toolResult" && result.isError).toBe(true);
    expect(result && text(result)).toBe('The user rejected this call of "delete": not that one');
  });

  it("abort while waiting for approval answers the call", async () => {
    const { agent } = makeAgent(script, { tools: [risky] });
    const run = agent.prompt("go");
    await until(() => agent.actor.getSnapshot().context.pendingToolCalls[0]?.status === "awaitingApproval");
    agent.abort();
    expect((await run).stopReason).toBe("aborted");
    expect(agent.actor.getSnapshot().value).toBe("idle");
  });
});

describe("timeouts, continue, maxTurns, terminate", () => {
  it("a tool past its timeoutMs gets its signal aborted and an error result", async () => {
    const { tool, signals } = gatedTool("slow");
    const { agent } = makeAgent([{ toolCalls: [{ name: "slow", arguments: {} }] }, { text: "ok" }], {
      tools: [{ ...tool, timeoutMs: 10 }],
    });
    await agent.prompt("go");
    expect(signals[0]?.aborted).toBe(true);
    const result = agent.state.messages.find((m) => m.role === "toolResult");
    expect(result && text(result)).toBe('Tool "slow" timed out after 10 ms and was aborted.');
  });

  it("continue() resumes from a transcript ending with a user message", async () => {
    const { agent } = makeAgent([{ text: "resumed" }]);
    agent.replaceMessages([{ role: "user", content: "hello", timestamp: 1 }]);
    expect(text(await agent.continue())).toBe("resumed");
  });

  it("maxTurns bounds model calls per run", async () => {
    const loop = { toolCalls: [{ name: "gate", arguments: {} }] };
    const { tool, gate } = gatedTool();
    gate.resolve();
    const { agent, faux } = makeAgent([loop, loop, loop], { tools: [tool], maxTurns: 2 });
    await agent.prompt("go");
    expect(faux.calls).toHaveLength(2);
    expect(agent.state.error).toMatch(/maxTurns/);
  });

  it("a terminate result ends the run after the batch", async () => {
    const finish = defineTool({
      name: "finish",
      description: "ends",
      parameters: z.object({}),
      async execute() {
        return { content: [{ type: "text", text: "bye" }], terminate: true };
      },
    });
    const { agent, faux } = makeAgent([{ toolCalls: [{ name: "finish", arguments: {} }] }, { text: "never" }], { tools: [finish] });
    await agent.prompt("go");
    expect(faux.calls).toHaveLength(1);
    expect(agent.state.messages.at(-1)?.role).toBe("toolResult");
  });
});

describe("queue and settings API (pi-agent-core parity)", () => {
  it("clears queues, reports queued messages, and changes modes and session id", async () => {
    const { agent, faux } = makeAgent([{ text: "one" }, { text: "two" }]);
    agent.followUp("later");
    agent.steer("now");
    expect(agent.hasQueuedMessages()).toBe(true);
    agent.clearSteeringQueue();
    expect(agent.actor.getSnapshot().context.steeringQueue).toEqual([]);
    expect(agent.hasQueuedMessages()).toBe(true);
    agent.clearFollowUpQueue();
    expect(agent.hasQueuedMessages()).toBe(false);
    agent.followUp("x");
    agent.steer("y");
    agent.clearAllQueues();
    expect(agent.hasQueuedMessages()).toBe(false);
    agent.steeringMode = "all";
    agent.followUpMode = "all";
    expect([agent.steeringMode, agent.followUpMode]).toEqual(["all", "all"]);
    agent.sessionId = "session-7";
    await agent.prompt("hi");
    expect(faux.calls).toHaveLength(1);
    expect(faux.calls[0]?.options?.sessionId).toBe("session-7");
    expect(agent.sessionId).toBe("session-7");
  });
});

describe("steering queued between runs", () => {
  it("joins the next prompt before its first model call", async () => {
    const { agent, faux } = makeAgent([{ text: "saw both" }]);
    agent.steer("and be brief");
    await agent.prompt("hello");
    expect(faux.calls).toHaveLength(1);
    expect(faux.calls[0]?.context.messages.map((m) => (m.role === "user" ? m.content : m.role))).toEqual(["hello", "and be brief"]);
    expect(agent.hasQueuedMessages()).toBe(false);
  });
});

describe("approve without an id", () => {
  it("the machine approves the first waiting call", async () => {
    const guarded = approvalTool();
    const { agent } = makeAgent([{ toolCalls: [{ name: "guarded", arguments: {} }] }, { text: "ok" }], { tools: [guarded] });
    const run = agent.prompt("go");
    await until(() => agent.actor.getSnapshot().hasTag("awaitingApproval"));
    expect(agent.actor.getSnapshot().can({ type: "agent.approve" })).toBe(true);
    agent.actor.send({ type: "agent.approve" });
    await run;
    expect(agent.state.messages.find((m) => m.role === "toolResult")).toMatchObject({ isError: false });
  });
});
