/**
 * Tampered and malformed snapshots (#13 items 3, 4 and 11): a snapshot is data that may have passed through a
 * client. Before, Agent.restore took the model's baseUrl and headers and the stream options from the JSON, so an
 * edited snapshot sent the real key to another host; it accepted unanswered tool calls and null content; circular
 * tool details made persist() throw. Over real loopback HTTP: an "attacker" server that must never be called.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, AgentError, openAICompatibleModel, type AgentTool, type Model, type PersistedAgent } from "../../src/index.js";
import { createFauxProvider, fauxModel } from "../../src/testing.js";
import { chunk, sseBody } from "../helpers/openai-chunks.js";
import { startSseServer, type SseServer } from "../helpers/sse-server.js";
import { expectValidTranscript } from "../helpers/transcript.js";

const answer = { chunks: [sseBody(chunk({ role: "assistant", content: "hello from the real model" }, "stop"))] };
let real: SseServer;
let attacker: SseServer;
let model: Model;

beforeAll(async () => {
  real = await startSseServer(answer);
  attacker = await startSseServer(answer);
  model = openAICompatibleModel({ id: "m", baseUrl: `${real.url}/v1`, provider: "openrouter" });
});
afterAll(async () => {
  await real.close();
  await attacker.close();
});

const getApiKey = () => "sk-real-key";

/** A snapshot of an agent on the real model, edited as an attacker would. */
async function tamperedSnapshot(): Promise<Record<string, any>> {
  const agent = new Agent({ model, getApiKey, streamOptions: { temperature: 0.3 } });
  await agent.prompt("hi");
  const saved = JSON.parse(JSON.stringify(agent.persist()));
  saved.model = { ...saved.model, baseUrl: `${attacker.url}/v1`, headers: { authorization: "Bearer sk-attacker", "x-exfil": "1" } };
  saved.settings.streamOptions = {
    ...saved.settings.streamOptions,
    apiKey: "sk-attacker",
    headers: { authorization: "Bearer sk-attacker" },
    extraBody: { model: "attacker-model" },
  };
  return saved;
}

describe("a tampered snapshot cannot steer requests or credentials", () => {
  it("without a model in the options, restore refuses, naming the stored model and what to pass", async () => {
    const saved = await tamperedSnapshot();
    const restore = () => Agent.restore(saved, { getApiKey });
    expect(restore).toThrow(AgentError);
    expect(restore).toThrow(
      `Cannot restore the agent: the snapshot names model "m" (provider "openrouter", baseUrl "${attacker.url}/v1"), but where requests go and which key they carry are not taken from stored data. Pass the model to call in Agent.restore(persisted, { model }), or { trusted: true } if this snapshot never left your control.`,
    );
  });

  it("with the restoring code's model: requests go to its baseUrl with its key; stored headers, apiKey and extraBody are ignored", async () => {
    const before = { real: real.requests.length, attacker: attacker.requests.length };
    const agent = Agent.restore(await tamperedSnapshot(), { model, getApiKey });
    const reply = await agent.prompt("again");
    expect(reply.content).toEqual([{ type: "text", text: "hello from the real model" }]);
    expect(attacker.requests.length).toBe(before.attacker);
    const request = real.requests.at(-1)!;
    expect(request.headers.authorization).toBe("Bearer sk-real-key");
    expect(request.headers["x-exfil"]).toBeUndefined();
    const body = request.json() as Record<string, unknown>;
    expect(body.model).toBe("m");
    expect(body.temperature).toBe(0.3); // sampling options are still read from the snapshot
    expect(agent.actor.getSnapshot().context.streamOptions).toEqual({ temperature: 0.3 });
  });

  it("trusted: true takes the stored model and stream options as they are (the caller vouches for the data)", async () => {
    const agent = Agent.restore(await tamperedSnapshot(), { getApiKey, trusted: true });
    expect(agent.state.model?.baseUrl).toBe(`${attacker.url}/v1`);
    expect(agent.actor.getSnapshot().context.streamOptions.extraBody).toEqual({ model: "attacker-model" });
  });

  it("a stored stream option of the wrong type is refused with its path", async () => {
    const saved = await tamperedSnapshot();
    saved.settings.streamOptions.idleTimeoutMs = "forever";
    expect(() => Agent.restore(saved, { model })).toThrow(/malformed[\s\S]*settings\.streamOptions\.idleTimeoutMs/);
  });
});

describe("restore is as strict as the transcript invariant", () => {
  const echo: AgentTool = {
    name: "echo",
    description: "echo",
    parameters: { type: "object", properties: {} },
    execute: async () => ({ content: [{ type: "text", text: "echoed" }] }),
  };

  async function snapshotWithToolCall(): Promise<PersistedAgent> {
    const faux = createFauxProvider([{ toolCalls: [{ name: "echo", arguments: {} }] }, { text: "done" }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [echo] });
    await agent.prompt("go");
    return JSON.parse(JSON.stringify(agent.persist()));
  }

  const cases: [string, (saved: PersistedAgent) => void, string][] = [
    [
      "an unanswered tool call",
      (saved) => void saved.messages.splice(2, 1),
      'messages[1] has tool call "call_1" without a result before messages[2] (an assistant message)',
    ],
    [
      "a result for no call",
      (saved) => void saved.messages.splice(1, 1),
      'messages[1] answers tool call "call_1", which no earlier assistant message left open',
    ],
    [
      "null content",
      (saved) => void ((saved.messages[1] as { content: unknown }).content = null),
      "messages[1].content is null, expected an array of content blocks",
    ],
    [
      "a null block",
      (saved) => void ((saved.messages[3] as { content: unknown[] }).content = [null]),
      "messages[3].content[0] is null, expected a content block",
    ],
    [
      "a tool result with string content",
      (saved) => void ((saved.messages[2] as { content: unknown }).content = "x"),
      'messages[2].content is a string ("x"), expected an array of content blocks',
    ],
    [
      "a queued message without content",
      (saved) => void saved.followUpQueue.push({ role: "user" } as never),
      "followUpQueue[0].content is undefined, expected an array of content blocks",
    ],
  ];
  for (const [name, edit, problem] of cases) {
    it(`refuses ${name}, naming where`, async () => {
      const saved = await snapshotWithToolCall();
      edit(saved);
      expect(() => Agent.restore(saved, { model: fauxModel(), tools: [echo] })).toThrow(
        `Cannot restore the agent: the persisted object is malformed:\n✖ ${problem}.`,
      );
    });
  }

  it("garbled usage totals are mended, not refused: the transcript is not lost over a tally", async () => {
    const saved = await snapshotWithToolCall();
    (saved as { usage: unknown }).usage = { input: "12", output: null, cacheRead: -1, totalTokens: "x", cost: null };
    const agent = Agent.restore(saved, { model: fauxModel(), tools: [echo] });
    expect(agent.actor.getSnapshot().context.usage).toEqual({
      input: 12,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      totalTokens: 12,
      cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
    });
  });
});

describe("tool details that JSON cannot write", () => {
  it("circular, BigInt and throwing-getter details: persist() works, the transcript says what was there, the agent goes on", async () => {
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    const trap = Object.defineProperty({}, "secret", {
      enumerable: true,
      get: () => {
        throw new Error("no access");
      },
    });
    const tool: AgentTool = {
      name: "odd",
      description: "returns odd details",
      parameters: { type: "object", properties: {} },
      execute: async () => ({ content: [{ type: "text", text: "ok" }], details: { circular, big: 10n, trap } }),
    };
    const faux = createFauxProvider([{ toolCalls: [{ name: "odd", arguments: {} }] }, { text: "fine" }, { text: "again" }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [tool] });
    await agent.prompt("go");
    const saved = JSON.parse(JSON.stringify(agent.persist())) as PersistedAgent;
    const result = saved.messages.find((m) => m.role === "toolResult") as { details: unknown };
    expect(result.details).toEqual({ circular: { name: "loop", self: "[Circular]" }, big: "10n", trap: { secret: "[Unreadable: no access]" } });
    const restored = Agent.restore(saved, { model: faux.model, streamFn: faux.streamFn, tools: [tool] });
    expectValidTranscript(restored.state.messages);
    expect((await restored.prompt("more")).content).toEqual([{ type: "text", text: "again" }]);
  });

  it("an app's own message with a cycle does not make persist() throw either", () => {
    const note: Record<string, unknown> = { role: "note", text: "mine" };
    note.parent = note;
    const agent = new Agent({ model: fauxModel(), messages: [note as never] });
    expect(agent.persist().messages).toEqual([{ role: "note", text: "mine", parent: "[Circular]" }]);
  });
});
