import { describe, expect, it } from "vitest";
import { lastValueFrom, toArray } from "rxjs";
import { fauxModel, fauxRulesResponse, fauxStream } from "../src/testing.js";
import { openAIRequestToContext } from "../adapters/faux-server-request.js";
import type { AssistantMessage, Context, Message, ToolSpec } from "../src/core/types.js";

const numbersTool = (name: string, description = ""): ToolSpec => ({
  name,
  description,
  parameters: { type: "object", properties: { numbers: { type: "array", items: { type: "number" } } } },
});
const timeTool: ToolSpec = { name: "get_time", description: "Current time", parameters: { type: "object", properties: {} } };
const user = (content: string): Message => ({ role: "user", content, timestamp: 0 });

describe("fauxRulesResponse", () => {
  it.each([
    ["What is 2 + 3?", [2, 3]],
    ["add 4 and 5", [4, 5]],
    ["What's the sum of 1, 2, 3", [1, 2, 3]],
    ["2.5 plus -1", [2.5, -1]],
  ])("calls sum for %j", (prompt, numbers) => {
    const reply = fauxRulesResponse({ messages: [user(prompt)], tools: [numbersTool("sum")] });
    expect(reply.toolCalls).toEqual([{ name: "sum", arguments: { numbers } }]);
    expect(reply.thinking).toMatch(/sum/);
  });

  it("finds a tool by description and fits numbers to its number properties", () => {
    const multiply: ToolSpec = {
      name: "mul",
      description: "Multiply two numbers",
      parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
    };
    const reply = fauxRulesResponse({ messages: [user("multiply 3 by 4")], tools: [numbersTool("sum"), multiply] });
    expect(reply.toolCalls).toEqual([{ name: "mul", arguments: { a: 3, b: 4 } }]);
  });

  it("makes parallel calls for several asks", () => {
    const reply = fauxRulesResponse({ messages: [user("Add 1 and 2, and what time is it?")], tools: [numbersTool("sum"), timeTool] });
    expect(reply.toolCalls).toEqual([
      { name: "sum", arguments: { numbers: [1, 2] } },
      { name: "get_time", arguments: {} },
    ]);
  });

  it("answers from trailing tool results, including failures", () => {
    const call: AssistantMessage = {
      role: "assistant",
      content: [],
      api: "faux",
      provider: "faux",
      model: "faux-1",
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
      stopReason: "toolUse",
      timestamp: 0,
    };
    const result = (toolName: string, text: string, isError = false): Message => ({
      role: "toolResult",
      toolCallId: toolName,
      toolName,
      content: [{ type: "text", text }],
      isError,
      timestamp: 0,
    });
    const reply = fauxRulesResponse({
      messages: [user("x"), call, result("sum", "5"), result("get_time", "12:00"), result("weather", "boom", true)],
    });
    expect(reply.text).toBe("The sum is 5. The time is 12:00. The weather tool failed: boom");
  });

  it("works without tools and otherwise says what it understood", () => {
    expect(fauxRulesResponse({ messages: [user("what is 2 + 3")] }).text).toBe("2 + 3 = 5 (worked out without a tool).");
    expect(fauxRulesResponse({ messages: [user("Hi there")] }).text).toMatch(/^Hello! .*I understood: "Hi there"/);
  });
});

describe("fauxStream", () => {
  it("streams the rules' reply with ids numbered after the transcript's calls", async () => {
    const context: Context = { messages: [user("what is 2 + 3")], tools: [numbersTool("sum")] };
    const events = await lastValueFrom(fauxStream(fauxModel(), context).pipe(toArray()));
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "thinking_start",
      ...events.filter((e) => e.type === "thinking_delta").map(() => "thinking_delta"),
      "thinking_end",
      "toolcall_start",
      ...events.filter((e) => e.type === "toolcall_delta").map(() => "toolcall_delta"),
      "toolcall_end",
      "done",
    ]);
    const done = events[events.length - 1]!;
    if (done.type !== "done") throw new Error("expected done");
    expect(done.reason).toBe("toolUse");
    expect(done.message.content[1]).toEqual({ type: "toolCall", id: "call_1", name: "sum", arguments: { numbers: [2, 3] } });

    context.messages.push(done.message, {
      role: "toolResult",
      toolCallId: "call_1",
      toolName: "sum",
      content: [{ type: "text", text: "5" }],
      isError: false,
      timestamp: 0,
    });
    const answer = await lastValueFrom(fauxStream(fauxModel(), context));
    expect(answer).toMatchObject({ type: "done", reason: "stop", message: { content: [{ type: "text", text: "The sum is 5." }] } });

    context.messages.push(user("and 1 + 1?"));
    const again = await lastValueFrom(fauxStream(fauxModel(), context));
    expect(again.type === "done" && again.message.content[1]).toMatchObject({ id: "call_2" });
  });
});

describe("openAIRequestToContext", () => {
  it("reads system, user (text and images), assistant tool calls, tool results and tools", () => {
    const context = openAIRequestToContext({
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          ],
        },
        {
          role: "assistant",
          content: "ok",
          reasoning_content: "hmm",
          tool_calls: [{ id: "c1", type: "function", function: { name: "sum", arguments: '{"numbers":[1]}' } }],
        },
        { role: "tool", tool_call_id: "c1", content: "1" },
      ],
      tools: [{ type: "function", function: { name: "sum", description: "Add", parameters: { type: "object" } } }],
    });
    expect(context.systemPrompt).toBe("Be brief.");
    expect(context.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image", mimeType: "image/png", data: "AAAA" },
      ],
      timestamp: 0,
    });
    expect(context.messages[1]).toMatchObject({
      role: "assistant",
      stopReason: "toolUse",
      content: [
        { type: "thinking", thinking: "hmm" },
        { type: "text", text: "ok" },
        { type: "toolCall", id: "c1", name: "sum", arguments: { numbers: [1] } },
      ],
    });
    expect(context.messages[2]).toMatchObject({ role: "toolResult", toolCallId: "c1", toolName: "sum", content: [{ type: "text", text: "1" }] });
    expect(context.tools).toEqual([{ name: "sum", description: "Add", parameters: { type: "object" } }]);
  });

  it("rejects bodies without messages", () => {
    expect(() => openAIRequestToContext({})).toThrow(/`messages` array/);
    expect(() => openAIRequestToContext({ messages: [{ role: "robot" }] })).toThrow(/Unknown message role "robot"/);
  });
});
