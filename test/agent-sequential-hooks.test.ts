/**
 * Section 4: a hook that throws ends the run with an error message, never a
 * hang, also when tools run one by one and later calls have not started.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool, type AgentHooks } from "../src/index.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { approvalTool } from "./helpers/transcript.js";

const { make } = fauxAgents();

const ran: string[] = [];
const echo = defineTool({
  name: "echo",
  description: "echo",
  parameters: z.object({ say: z.string() }),
  async execute(_id, { say }) {
    ran.push(say);
    return { content: [{ type: "text", text: say }] };
  },
});
const threeCalls = [{ toolCalls: ["a", "b", "c"].map((say) => ({ name: "echo", arguments: { say } })) }, { text: "never asked" }];

const cases: [string, AgentHooks, string[]][] = [
  [
    "beforeToolCall",
    {
      beforeToolCall: () => {
        throw new Error("policy down");
      },
    },
    [],
  ],
  [
    "afterToolCall",
    {
      afterToolCall: () => {
        throw new Error("audit down");
      },
    },
    ["a"],
  ],
];

describe("sequential tools and a throwing hook", () => {
  for (const [hook, hooks, expectedRuns] of cases) {
    it(`${hook} that throws on the first call answers the unstarted calls and ends the run`, async () => {
      ran.length = 0;
      const { agent, faux, log } = make(threeCalls, { tools: [echo], toolExecution: "sequential", ...hooks });
      const message = await agent.prompt("go");

      expect(ran).toEqual(expectedRuns);
      expect(faux.calls).toHaveLength(1);
      expect(message.stopReason).toBe("error");
      expect(message.errorMessage).toMatch(new RegExp(`^${hook} hook threw: `));
      expect(agent.state.error).toBe(message.errorMessage);
      const results = agent.state.messages.filter((m) => m.role === "toolResult");
      expect(results.map((r) => [r.toolCallId, r.isError])).toEqual([
        ["call_1", true],
        ["call_2", true],
        ["call_3", true],
      ]);
      expect(results[1]).toMatchObject({ content: [{ type: "text", text: "Tool call was not executed: the run ended with an error." }] });
      // Every call is announced once, then the turn and the run end.
      const types = log.types();
      expect(types.filter((t) => t === "tool_execution_start")).toHaveLength(3);
      expect(types.filter((t) => t === "tool_execution_end")).toHaveLength(3);
      expect(types.slice(-1)).toEqual(["agent_end"]);
      expect(types.indexOf("turn_end")).toBeGreaterThan(types.lastIndexOf("tool_execution_end"));
    });
  }
});

describe("parallel tools and a throwing hook", () => {
  it("aborts the other calls, even one waiting for approval, and ends the run without waiting", async () => {
    const guarded = approvalTool();
    const { agent, faux } = make(
      [
        {
          toolCalls: [
            { name: "guarded", arguments: {} },
            { name: "echo", arguments: { say: "x" } },
          ],
        },
        { text: "never asked" },
      ],
      {
        tools: [guarded, echo],
        beforeToolCall: ({ toolCall }) => {
          if (toolCall.name === "echo") throw new Error("policy down");
        },
      },
    );
    const message = await agent.prompt("go"); // resolves: nobody approves
    expect(faux.calls).toHaveLength(1);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("beforeToolCall hook threw: policy down");
    const results = agent.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => r.role === "toolResult" && [r.toolName, r.isError])).toEqual([
      ["guarded", true],
      ["echo", true],
    ]);
  });
});
