import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, AgentError, defineTool, type AgentTool } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { deferred, until } from "./helpers/transcript.js";

const sum = defineTool({
  name: "sum",
  description: "Add numbers",
  parameters: z.object({ numbers: z.array(z.number()) }),
  async execute(_id, { numbers }) {
    return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] };
  },
});

const { make: makeAgent } = fauxAgents();

describe("Agent: a text turn", () => {
  it("emits the contract's event order and resolves with the assistant message", async () => {
    const { agent, log } = makeAgent([{ text: "Hello there" }]);
    const message = await agent.prompt("hi");
    expect(message.stopReason).toBe("stop");
    expect(message.content).toEqual([{ type: "text", text: "Hello there" }]);
    expect(log.outline()).toEqual(["agent_start", "turn_start", "message_start", "message_end", "message_start", "message_end", "turn_end", "agent_end"]);
    expect(log.types().filter((t) => t === "message_update").length).toBeGreaterThan(1);
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(agent.state.isStreaming).toBe(false);
    const end = log.events.at(-1);
    expect(end?.type === "agent_end" && end.messages.length).toBe(2);
  });

  it("promptText resolves with the final text and system prompt reaches the model", async () => {
    const { agent, faux } = makeAgent([{ text: "4" }]);
    agent.setSystemPrompt("Be terse.");
    expect(await agent.promptText("2+2?")).toBe("4");
    expect(faux.calls[0]?.context.systemPrompt).toBe("Be terse.");
    expect(faux.calls[0]?.context.messages).toHaveLength(1);
  });

  it("prompts with images", async () => {
    const { agent, faux } = makeAgent([{ text: "a cat" }]);
    await agent.prompt("what is this?", [{ type: "image", data: "aGk=", mimeType: "image/png" }]);
    const user = faux.calls[0]?.context.messages[0];
    expect(user?.role === "user" && Array.isArray(user.content) && user.content[1]?.type).toBe("image");
  });
});

describe("Agent: tool turns", () => {
  const twoCalls = [
    {
      toolCalls: [
        { name: "sum", arguments: { numbers: [1, 2] } },
        { name: "sum", arguments: { numbers: [3, 4] } },
      ],
    },
    { text: "3 and 7" },
  ];

  it("parallel: all tool_execution_start first, results in call order, then the next turn", async () => {
    const { agent, log, faux } = makeAgent(twoCalls, { tools: [sum] });
    await agent.prompt("add");
    expect(log.outline()).toEqual([
      "agent_start",
      "turn_start",
      "message_start", // user
      "message_end",
      "message_start", // assistant
      "message_end",
      "tool_execution_start",
      "tool_execution_start",
      "tool_execution_end",
      "message_start",
      "message_end",
      "tool_execution_end",
      "message_start",
      "message_end",
      "turn_end",
      "turn_start",
      "message_start",
      "message_end",
      "turn_end",
      "agent_end",
    ]);
    const results = agent.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => r.role === "toolResult" && r.content[0])).toEqual([
      { type: "text", text: "3" },
      { type: "text", text: "7" },
    ]);
    expect(faux.calls[1]?.context.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "toolResult"]);
  });

  it("parallel really overlaps, and results keep call order when tools finish out of order", async () => {
    const first = deferred<string>();
    const second = deferred<string>();
    const started: string[] = [];
    const slow: AgentTool = {
      name: "wait",
      description: "waits",
      parameters: { type: "object", properties: { which: { type: "string" } }, required: ["which"] },
      async execute(_id, args: { which: "a" | "b" }) {
        started.push(args.which);
        const text = await (args.which === "a" ? first.promise : second.promise);
        return { content: [{ type: "text", text }] };
      },
    };
    const { agent, log } = makeAgent(
      [
        {
          toolCalls: [
            { name: "wait", arguments: { which: "a" } },
            { name: "wait", arguments: { which: "b" } },
          ],
        },
        { text: "ok" },
      ],
      { tools: [slow] },
    );
    const done = agent.prompt("go");
    await until(() => started.length === 2);
    expect(started).toEqual(["a", "b"]); // both running before either finished
    second.resolve("B");
    await until(() => log.events.some((e) => e.type === "tool_execution_end"));
    // b finished first but its result waits for a's
    expect(agent.state.messages.filter((m) => m.role === "toolResult")).toHaveLength(0);
    first.resolve("A");
    await done;
    const ends = log.events.filter((e) => e.type === "tool_execution_end").map((e) => e.type === "tool_execution_end" && e.toolCallId);
    const results = agent.state.messages.filter((m) => m.role === "toolResult").map((m) => m.role === "toolResult" && m.toolCallId);
    expect(ends).toEqual([results[1], results[0]]);
  });

  it("sequential: each tool starts after the previous one ended", async () => {
    const { agent, log } = makeAgent(twoCalls, { tools: [sum], toolExecution: "sequential" });
    await agent.prompt("add");
    const toolEvents = log.outline().filter((t) => t.startsWith("tool_"));
    expect(toolEvents).toEqual(["tool_execution_start", "tool_execution_end", "tool_execution_start", "tool_execution_end"]);
  });

  it("reports tool progress as tool_execution_update", async () => {
    const progress = defineTool({
      name: "progress",
      description: "reports",
      parameters: z.object({}),
      async execute(_id, _args, _signal, onUpdate) {
        onUpdate({ content: [{ type: "text", text: "50%" }] });
        return { content: [{ type: "text", text: "done" }] };
      },
    });
    const { agent, log } = makeAgent([{ toolCalls: [{ name: "progress", arguments: {} }] }, { text: "ok" }], { tools: [progress] });
    await agent.prompt("go");
    const update = log.events.find((e) => e.type === "tool_execution_update");
    expect(update?.type === "tool_execution_update" && update.partialResult.content).toEqual([{ type: "text", text: "50%" }]);
  });
});

describe("Agent: bad tool calls become error results and the run goes on", () => {
  it("unknown tool, invalid arguments, unparseable JSON and a throwing tool", async () => {
    const boom = defineTool({
      name: "boom",
      description: "throws",
      parameters: z.object({}),
      async execute() {
        throw new Error("kaboom");
      },
    });
    const { agent } = makeAgent(
      [
        {
          toolCalls: [
            { name: "nope", arguments: {} },
            { name: "sum", arguments: { numbers: ["x"] } },
            { name: "sum", arguments: '{"numbers": [1,' },
            { name: "boom", arguments: {} },
          ],
        },
        { text: "sorry" },
      ],
      { tools: [sum, boom] },
    );
    const message = await agent.prompt("go");
    expect(message.stopReason).toBe("stop");
    const results = agent.state.messages.filter((m) => m.role === "toolResult");
    expect(results.every((r) => r.role === "toolResult" && r.isError)).toBe(true);
    const texts = results.map((r) => (r.role === "toolResult" && r.content[0]?.type === "text" ? r.content[0].text : ""));
    expect(texts[0]).toBe('Tool "nope" not found. Available tools: sum, boom.');
    expect(texts[1]).toMatchInlineSnapshot(`
      "Invalid arguments for tool "sum":
      ✖ Invalid input: expected number, received string
        → at numbers[0]
      Fix these and call the tool again."
    `);
    expect(texts[2]).toMatch(/^Invalid arguments for tool "sum": they are not valid JSON/);
    expect(texts[3]).toBe("kaboom");
  });

  it("a tool may return an error result (isError: true) that keeps its content and details", async () => {
    const failing: AgentTool = {
      name: "failing",
      description: "answers with an error result",
      parameters: { type: "object", properties: {} },
      execute: async () => ({ content: [{ type: "text", text: "disk full" }], details: { code: 28 }, isError: true }),
    };
    const { agent, log } = makeAgent(
      [
        {
          toolCalls: [
            { name: "failing", arguments: {} },
            { name: "sum", arguments: { numbers: [1] } },
          ],
        },
        { text: "ok" },
      ],
      {
        tools: [failing, sum],
      },
    );
    await agent.prompt("go");
    const results = agent.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => r.role === "toolResult" && [r.isError, r.content, r.details])).toEqual([
      [true, [{ type: "text", text: "disk full" }], { code: 28 }],
      [false, [{ type: "text", text: "1" }], undefined],
    ]);
    const end = log.events.find((e) => e.type === "tool_execution_end");
    expect(end).toMatchObject({ isError: true, result: { content: [{ type: "text", text: "disk full" }] } });
    expect(end?.type === "tool_execution_end" && "isError" in end.result).toBe(false);
  });

  it("validates plain JSON Schema parameters too", async () => {
    const echo: AgentTool = {
      name: "echo",
      description: "echo",
      parameters: { type: "object", properties: { n: { type: "integer", minimum: 1 } }, required: ["n"] },
      execute: async (_id, args: { n: number }) => ({ content: [{ type: "text", text: String(args.n) }] }),
    };
    const { agent } = makeAgent([{ toolCalls: [{ name: "echo", arguments: { n: 0 } }] }, { text: "ok" }], { tools: [echo] });
    await agent.prompt("go");
    const result = agent.state.messages.find((m) => m.role === "toolResult");
    expect(result?.role === "toolResult" && result.isError).toBe(true);
    expect(JSON.stringify(result)).toContain("at n");
  });
});

describe("Agent: misuse gets clear errors", () => {
  it("prompt while busy, no model, bad continue, duplicate tools, non-object schema", async () => {
    const { agent } = makeAgent([{ text: "a", hold: new Promise((r) => setTimeout(r, 20)) }, { text: "b" }]);
    const run = agent.prompt("one");
    await expect(agent.prompt("two")).rejects.toThrow(/busy.*steer\(\).*followUp\(\)/);
    await run;
    expect(() => new Agent({ tools: [sum, sum] })).toThrow(/Two tools are named "sum"/);
    const bad = { ...sum, name: "bad", parameters: z.string() } as unknown as AgentTool;
    expect(() => agent.setTools([bad])).toThrow(AgentError);
    expect(() => agent.setTools([bad])).toThrow(/must describe an object/);
    expect(() => agent.setTools("sum" as never)).toThrow(/Tools must be an array of tools; got "sum"/);
    const noModel = new Agent({});
    await expect(noModel.prompt("x")).rejects.toThrow(/No model set/);
    const empty = makeAgent([]).agent;
    await expect(empty.continue()).rejects.toThrow(/transcript is empty/);
    await expect(agent.continue()).rejects.toThrow(/Cannot continue from an assistant message/);
  });
});

describe("run-once actors (composition)", () => {
  it("with a prompt in its input, the machine runs it and outputs the new messages", async () => {
    const { createActor, toPromise } = await import("xstate");
    const { agentMachine } = await import("../src/index.js");
    const faux = createFauxProvider([{ text: "child answer" }]);
    const actor = createActor(agentMachine, {
      input: { model: faux.model, streamFn: faux.streamFn, prompt: [{ role: "user", content: "hi", timestamp: 1 }] },
    });
    actor.start();
    const output = (await toPromise(actor)) as { role: string }[];
    expect(output.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(actor.getSnapshot().status).toBe("done");
  });
});

describe("the default stream function", () => {
  it("picks the stream by model.api and ends a model of an unknown api in an error naming the known ones", async () => {
    const agent = new Agent({ model: { id: "m", api: "carrier-pigeon", provider: "x", baseUrl: "http://127.0.0.1:9" } });
    const message = await agent.prompt("hi");
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toMatch(/No stream for model api "carrier-pigeon".*"openai-completions", "tinyagent-proxy"/);
    expect(agent.state.isStreaming).toBe(false);
  });
});
