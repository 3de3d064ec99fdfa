import { describe, expect, it } from "vitest";
import { Agent, type AgentEvent, type AgentToolUpdateDetails } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { deferred, until } from "./helpers/transcript.js";

const { make, track } = fauxAgents();

function resultText(event: AgentEvent | undefined): string {
  if (event?.type !== "tool_execution_end") return "";
  return event.result.content.map((block) => (block.type === "text" ? block.text : "")).join("");
}

describe("agent.asTool", () => {
  it("runs the child per call: its events arrive as tool_execution_update, its final text is the result", async () => {
    const childFaux = createFauxProvider((context) => ({ text: `researched: ${String(context.messages[0]?.content)}`, chunkSize: 5 }));
    const researcher = track(new Agent({ model: childFaux.model, streamFn: childFaux.streamFn, systemPrompt: "You research." }));
    const { agent, log } = make(
      [
        {
          toolCalls: [
            { name: "research", arguments: { prompt: "tides" } },
            { name: "research", arguments: { prompt: "moons" } },
          ],
        },
        { text: "Both done." },
      ],
      { tools: [researcher.asTool({ name: "research", description: "Researches a topic" })] },
    );
    expect(await agent.promptText("study")).toBe("Both done.");

    const ends = log.events.filter((e) => e.type === "tool_execution_end");
    expect(ends.map(resultText)).toEqual(["researched: tides", "researched: moons"]);
    expect(ends.every((e) => e.type === "tool_execution_end" && !e.isError)).toBe(true);
    const updates = log.events.filter((e) => e.type === "tool_execution_update");
    const first = updates.filter((e) => e.type === "tool_execution_update" && e.toolCallId === ends[0]!.toolCallId);
    const childTypes = first.map((e) => (e.type === "tool_execution_update" ? (e.partialResult.details as AgentToolUpdateDetails).event.type : ""));
    expect(childTypes[0]).toBe("agent_start");
    expect(childTypes).toContain("message_update");
    expect(childTypes.at(-1)).toBe("agent_end");
    // The streamed text grows in the updates' content, so a UI can show the sub-agent writing.
    const texts = first.map((e) => (e.type === "tool_execution_update" ? (e.partialResult.content[0] as { text: string }).text : ""));
    expect(texts).toContain("resea");
    expect(texts.at(-1)).toBe("researched: tides");
    // Each call ran with the child's settings on a fresh transcript; the child agent itself is untouched.
    expect(childFaux.calls.map((c) => c.context.systemPrompt)).toEqual(["You research.", "You research."]);
    expect(childFaux.calls.map((c) => c.context.messages.length)).toEqual([1, 1]);
    expect(researcher.state.messages).toEqual([]);
  });

  it("aborting the parent aborts the child through the tool's signal", async () => {
    const hold = deferred();
    const childFaux = createFauxProvider([{ text: "never", hold: hold.promise }]);
    const child = track(new Agent({ model: childFaux.model, streamFn: childFaux.streamFn }));
    const { agent } = make([{ toolCalls: [{ name: "helper", arguments: { prompt: "work" } }] }], {
      tools: [child.asTool({ name: "helper", description: "Helps" })],
    });
    const run = agent.prompt("go");
    await until(() => childFaux.calls.length === 1);
    agent.abort();
    const last = await run;
    expect(last.stopReason).toBe("aborted");
    expect(childFaux.calls[0]?.options?.signal?.aborted).toBe(true);
    const result = agent.state.messages.find((m) => m.role === "toolResult");
    expect(result).toMatchObject({ isError: true });
    hold.resolve();
  });

  it("a failing child is an error result the parent model can read", async () => {
    const childFaux = createFauxProvider([{ error: "upstream exploded" }]);
    const child = track(new Agent({ model: childFaux.model, streamFn: childFaux.streamFn }));
    const { agent, log } = make([{ toolCalls: [{ name: "helper", arguments: { prompt: "work" } }] }, { text: "sorry" }], {
      tools: [child.asTool({ name: "helper", description: "Helps" })],
    });
    await agent.prompt("go");
    const end = log.events.find((e) => e.type === "tool_execution_end");
    expect(end?.type === "tool_execution_end" && end.isError).toBe(true);
    expect(resultText(end)).toMatch(/^Agent "helper" failed: .*upstream exploded/);
  });
});

describe("agent.asTool: the child's approvals", () => {
  const guarded = {
    name: "wipe",
    description: "dangerous",
    parameters: { type: "object", properties: {} },
    requiresApproval: true,
    execute: async () => ({ content: [{ type: "text" as const, text: "wiped" }] }),
  };
  const childScript = () =>
    createFauxProvider((context) =>
      context.messages.at(-1)?.role === "toolResult"
        ? { text: `child saw: ${JSON.stringify((context.messages.at(-1) as { content: unknown }).content)}` }
        : { toolCalls: [{ name: "wipe", arguments: {} }] },
    );

  for (const [label, approve, expected] of [
    ["without an approver are rejected, never left waiting", undefined, "no approver"],
    ["are decided by the approve option (reject with a reason)", () => "too risky", "too risky"],
    ["are decided by the approve option (approve)", () => true, "wiped"],
  ] as const) {
    it(label, async () => {
      const childFaux = childScript();
      const child = track(new Agent({ model: childFaux.model, streamFn: childFaux.streamFn, tools: [guarded] }));
      const { agent, log } = make([{ toolCalls: [{ name: "helper", arguments: { prompt: "clean up" } }] }, { text: "ok" }], {
        tools: [child.asTool({ name: "helper", description: "helps", approve })],
      });
      await agent.prompt("go");
      expect(resultText(log.events.find((e) => e.type === "tool_execution_end"))).toContain(expected);
    });
  }
});
