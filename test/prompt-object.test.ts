import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { Agent, AgentError, defineTool, textResult, type UserMessage } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { expectValidTranscript } from "./helpers/transcript.js";

const City = z.object({ city: z.string(), population: z.number().int() });
const CITY_JSON_SCHEMA = {
  type: "object",
  properties: { city: { type: "string" }, population: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 } },
  required: ["city", "population"],
};

const lookup = defineTool({
  name: "lookup",
  description: "Looks a city up.",
  parameters: z.object({ name: z.string() }),
  execute: async (_id, { name }) => textResult(`${name}: 2.1 million people`),
});

function agentWith(script: Parameters<typeof createFauxProvider>[0]) {
  const faux = createFauxProvider(script);
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [lookup], streamOptions: { temperature: 0 } });
  return { faux, agent };
}

const lastUserText = (context: { messages: { role: string }[] }) => {
  const user = context.messages.filter((m): m is UserMessage => m.role === "user").at(-1)!;
  return typeof user.content === "string" ? user.content : "";
};

async function rejection(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

describe("agent.promptObject", () => {
  it("resolves with the typed object when the first answer matches; output.schema reaches the stream and is removed afterwards", async () => {
    const { faux, agent } = agentWith([{ text: '{"city":"Paris","population":2100000}' }, { text: "plain" }]);
    const result = await agent.promptObject("Where is the Louvre?", City);
    expectTypeOf(result).toEqualTypeOf<{ city: string; population: number }>();
    expect(result).toEqual({ city: "Paris", population: 2100000 });
    expect(faux.calls[0]!.options).toMatchObject({ temperature: 0, output: { schema: CITY_JSON_SCHEMA } });
    expect((faux.calls[0]!.options!.output!.schema as { $schema?: unknown }).$schema).toBeUndefined();
    await agent.prompt("And now plain text.");
    expect(faux.calls[1]!.options).toMatchObject({ temperature: 0 });
    expect(faux.calls[1]!.options!.output).toBeUndefined();
  });

  it("sends the validation errors back and resolves with the corrected answer", async () => {
    const { faux, agent } = agentWith([{ text: '{"city":"Paris","population":"many"}' }, { text: '{"city":"Paris","population":2100000}' }]);
    expect(await agent.promptObject("Where is the Louvre?", City)).toEqual({ city: "Paris", population: 2100000 });
    expect(faux.calls).toHaveLength(2);
    expect(lastUserText(faux.calls[1]!.context)).toBe(
      "Your answer does not match the schema:\n✖ Invalid input: expected number, received string\n  → at population\nReply again with only the corrected JSON value.",
    );
    expect(faux.calls[1]!.options!.output).toBeDefined();
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
  });

  it("rejects with AgentError invalid-output holding the last message once the bound is reached", async () => {
    const { faux, agent } = agentWith(() => ({ text: "Paris, I think." }));
    const error = await rejection(agent.promptObject("Where is the Louvre?", City, { maxRetries: 1 }));
    expect(error.code).toBe("invalid-output");
    expect(error.message).toMatch(/^promptObject: the answer did not match the schema after 2 attempts\. Your answer is not valid JSON \(.+\)\.$/);
    expect(error.lastMessage).toMatchObject({ role: "assistant", content: [{ type: "text", text: "Paris, I think." }] });
    expect(faux.calls).toHaveLength(2);
    expect(agent.state.isStreaming).toBe(false);
    // The schema issues are kept when the answer was JSON.
    const { agent: other } = agentWith(() => ({ text: '{"city":"Paris"}' }));
    const mismatch = await rejection(other.promptObject("Where?", City, { maxRetries: 0 }));
    expect(mismatch.issues?.map((issue) => issue.path)).toEqual([["population"]]);
  });

  it("runs the tools of the run first; every model call of the run gets the output schema", async () => {
    const { faux, agent } = agentWith([
      { toolCalls: [{ name: "lookup", arguments: { name: "Paris" } }] },
      { text: '```json\n{"city":"Paris","population":2100000}\n```' },
    ]);
    expect(await agent.promptObject("How many people live in Paris?", City)).toEqual({ city: "Paris", population: 2100000 });
    expect(faux.calls.map((call) => call.options?.output?.schema)).toEqual([CITY_JSON_SCHEMA, CITY_JSON_SCHEMA]);
    expect(faux.calls[0]!.context.tools?.map((tool) => tool.name)).toEqual(["lookup"]);
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "assistant"]);
    expectValidTranscript(agent.state.messages);
  });

  it("takes a plain JSON Schema and a schema name", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const { faux, agent } = agentWith([{ text: '{"ok":"yes"}' }, { text: '{"ok":true}' }]);
    const value = await agent.promptObject<{ ok: boolean }>("Fine?", schema, { name: "verdict" });
    expect(value).toEqual({ ok: true });
    expect(faux.calls[0]!.options!.output).toEqual({ schema, name: "verdict" });
    expect(lastUserText(faux.calls[1]!.context)).toMatch(/^Your answer does not match the schema:\n✖ .*\n {2}→ at ok\n/);
  });

  it("rejects when the run ends with a provider error, when busy, and for an unsupported schema", async () => {
    const { agent } = agentWith([{ error: "upstream exploded" }]);
    const failed = await rejection(agent.promptObject("Where?", City));
    expect(failed.code).toBe("invalid-output");
    expect(failed.message).toBe("promptObject: the run ended with an error before a valid answer: upstream exploded");
    expect(failed.lastMessage?.stopReason).toBe("error");

    const { agent: busy } = agentWith([{ text: "slow", hold: new Promise(() => {}) }]);
    void busy.prompt("first");
    expect((await rejection(busy.promptObject("second", City))).code).toBe("agent-busy");
    busy.abort();

    const { agent: plain } = agentWith([]);
    const bad = await rejection(plain.promptObject("x", "not a schema" as never));
    expect(bad.code).toBe("invalid-input");
    expect(bad.message).toMatch(/^promptObject: its schema is "not a schema", which tinyagent cannot turn into JSON Schema\. Use a zod 4 schema/);
  });
});
