import { Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { AssistantMessageBuilder } from "../adapters/assistant-message-builder.js";
import {
  Agent,
  AgentError,
  INTERRUPTED_MESSAGE,
  INTERRUPTED_TOOL_RESULT,
  persistAgent,
  type AgentMessage,
  type AgentTool,
  type AssistantMessageEvent,
  type PersistedAgent,
  type StreamFn,
} from "../src/index.js";
import { createFauxProvider, fauxModel } from "../src/testing.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { deferred, expectValidTranscript, gatedTool, until } from "./helpers/transcript.js";

const { make, track } = fauxAgents();

const echo: AgentTool = {
  name: "echo",
  description: "echoes its text",
  parameters: { type: "object", properties: { text: { type: "string" } } },
  async execute(_id, args: { text?: string }) {
    return { content: [{ type: "text", text: `echo:${args.text ?? ""}` }] };
  },
};

/** What a persisted agent looks like after being written to disk and read back. */
function viaJson(persisted: PersistedAgent): unknown {
  return JSON.parse(JSON.stringify(persisted));
}

function text(message: AgentMessage | undefined): string {
  const content = (message as { content?: unknown } | undefined)?.content;
  if (typeof content === "string") return content;
  return ((content ?? []) as { text?: string }[]).map((block) => block.text ?? "").join("");
}

describe("persist an idle agent", () => {
  it("leaves credential-like model headers out of the snapshot", () => {
    const { agent, faux } = make([]);
    agent.setModel({ ...faux.model, headers: { "x-api-key": "sk-header-secret", "x-title": "demo" } });
    const written = JSON.stringify(agent.persist());
    expect(written).not.toContain("sk-header-secret");
    expect(agent.persist().model?.headers).toEqual({ "x-title": "demo" });
  });

  it("round-trips through JSON: same transcript, usage, queues and settings; prompting again works", async () => {
    const { agent } = make([{ toolCalls: [{ name: "echo", arguments: { text: "hi" } }] }, { text: "Echoed." }], {
      tools: [echo],
      systemPrompt: "Be brief.",
      steeringMode: "all",
      toolExecution: "sequential",
      sessionId: "s-1",
      streamOptions: { temperature: 0.2, apiKey: "sk-secret", headers: { authorization: "Bearer sk-secret" } },
    });
    await agent.prompt("echo hi");
    agent.followUp("and then?");
    agent.steer("be nice");
    const persisted = agent.persist();
    const written = JSON.stringify(persisted);
    expect(written).not.toContain("sk-secret");
    expect(persisted.run).toBeUndefined();
    expect(persisted.settings).toEqual({
      toolExecution: "sequential",
      maxTurns: 50,
      steeringMode: "all",
      followUpMode: "one-at-a-time",
      streamOptions: { temperature: 0.2, sessionId: "s-1" },
    });

    const faux = createFauxProvider([{ text: "Again." }, { text: "Follow-up answered." }]);
    const restored = track(Agent.restore(JSON.parse(written), { streamFn: faux.streamFn, tools: [echo], trusted: true }));
    const before = agent.actor.getSnapshot().context;
    const after = restored.actor.getSnapshot().context;
    expect(restored.actor.getSnapshot().value).toBe("idle");
    expect(after.messages).toEqual(before.messages);
    expect(after.usage).toEqual(before.usage);
    expect(after.usage.totalTokens).toBeGreaterThan(0);
    expect(after.steeringQueue).toEqual(before.steeringQueue);
    expect(after.followUpQueue).toEqual(before.followUpQueue);
    expect(after.tools).toEqual([echo]);
    expect(after.maxTurns).toBe(50);
    expect(restored.state.systemPrompt).toBe("Be brief.");
    expect(restored.state.model).toEqual(agent.state.model);
    expect(restored.steeringMode).toBe("all");
    expect(restored.sessionId).toBe("s-1");
    expect(after.streamOptions.apiKey).toBeUndefined();

    const reply = await restored.prompt("again");
    expect(text(reply)).toBe("Follow-up answered.");
    // The queued steering joined the prompt; the queued follow-up ran after it.
    expect(restored.state.messages.slice(-5).map(text)).toEqual(["again", "be nice", "Again.", "and then?", "Follow-up answered."]);
    expect(restored.actor.getSnapshot().context.usage.totalTokens).toBeGreaterThan(before.usage.totalTokens);
    expect(faux.calls[0]!.context.systemPrompt).toBe("Be brief.");
    expect(faux.calls[0]!.options?.sessionId).toBe("s-1");
  });

  it("persistAgent reads an actor snapshot as well as an agent", async () => {
    const { agent } = make([{ text: "Hello." }]);
    await agent.prompt("hi");
    const { savedAt: _a, ...fromAgent } = persistAgent(agent);
    const { savedAt: _b, ...fromSnapshot } = persistAgent(agent.actor.getSnapshot());
    expect(fromSnapshot).toEqual(fromAgent);
  });
});

describe("persist mid-run", () => {
  it("mid-stream: the partial message is kept as aborted, its tool call answered, the steering queue kept; continue() completes", async () => {
    // A stream that has sent some text and half a tool call, then stalls.
    let unsubscribed = false;
    const stalled: StreamFn = (model) =>
      new Observable<AssistantMessageEvent>((subscriber) => {
        const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (e) => subscriber.next(e));
        builder.start();
        builder.text("Let me ec");
        builder.toolCall(0, { id: "call_a", name: "echo", arguments: '{"text": "h' });
        return () => (unsubscribed = true);
      });
    const agent = track(new Agent({ model: fauxModel(), streamFn: stalled, tools: [echo] }));
    const run = agent.prompt("echo hi");
    await until(() => agent.state.streamMessage?.content.length === 2);
    agent.steer("use the tool again");
    const persisted = agent.persist();
    expect(agent.state.streamMessage?.stopReason).not.toBe("aborted"); // the live agent is untouched
    agent.abort();
    await run;
    expect(unsubscribed).toBe(true);

    expect(persisted.run).toMatchObject({ state: "streaming", turn: 1, streamInterrupted: true, interruptedToolCallIds: ["call_a"] });
    const faux = createFauxProvider([{ toolCalls: [{ name: "echo", arguments: { text: "hi" } }] }, { text: "Done." }]);
    const restored = track(Agent.restore(viaJson(persisted), { model: faux.model, streamFn: faux.streamFn, tools: [echo] }));
    const messages = restored.state.messages;
    expectValidTranscript(messages);
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult"]);
    expect(messages[1]).toMatchObject({ stopReason: "aborted", errorMessage: INTERRUPTED_MESSAGE });
    expect(text(messages[1])).toBe("Let me ec");
    expect(messages[2]).toMatchObject({ toolCallId: "call_a", isError: true });
    // The call of a message cut off mid-stream surely did not run.
    expect(text(messages[2])).toBe("Tool call was interrupted: the agent was restored from a snapshot taken mid-run; it did not run.");
    expect(restored.hasQueuedMessages()).toBe(true);

    const reply = await restored.continue();
    expect(text(reply)).toBe("Done.");
    expect(text(restored.state.messages[3])).toBe("use the tool again");
    expectValidTranscript(restored.state.messages);
  });

  it("mid-stream before any content: nothing is invented, continue() re-asks the model", async () => {
    const hold = deferred();
    const { agent } = make([{ text: "never seen", hold: hold.promise }]);
    const run = agent.prompt("hello");
    await until(() => agent.state.streamMessage !== null);
    const persisted = agent.persist();
    agent.abort();
    await run;
    // The faux stream's `start` carries an empty message: it is kept, aborted, so the transcript shows the cut.
    const faux = createFauxProvider([{ text: "Hi again." }]);
    const restored = track(Agent.restore(viaJson(persisted), { model: faux.model, streamFn: faux.streamFn }));
    expect(restored.state.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    await expect(restored.continue()).rejects.toThrow(AgentError);
    restored.followUp("are you there?");
    expect(text(await restored.continue())).toBe("Hi again.");
  });

  it("mid-tool-batch: finished results are kept in call order, the running call is answered as interrupted; continue() completes", async () => {
    const { tool: gate, signals, gate: release } = gatedTool();
    const { agent } = make(
      [
        {
          toolCalls: [
            { name: "echo", arguments: { text: "one" } },
            { name: "gate", arguments: {} },
            { name: "echo", arguments: { text: "three" } },
          ],
        },
      ],
      { tools: [echo, gate] },
    );
    const run = agent.prompt("go");
    // Call 1 (echo) is announced; call 3 (echo) has finished but waits behind the gated call 2.
    await until(() => signals.length === 1 && agent.actor.getSnapshot().context.pendingToolCalls.length === 1);
    const persisted = agent.persist();
    const ids = persisted.messages.flatMap((m) => (m.role === "assistant" ? m.content.flatMap((b) => (b.type === "toolCall" ? [b.id] : [])) : []));
    expect(persisted.run).toMatchObject({ state: "executingTools", streamInterrupted: false, interruptedToolCallIds: [ids[1]] });
    agent.abort();
    release.resolve();
    await run;

    const faux = createFauxProvider([{ text: "Recovered." }]);
    const restored = track(Agent.restore(viaJson(persisted), { model: faux.model, streamFn: faux.streamFn, tools: [gate, echo] }));
    const messages = restored.state.messages;
    expectValidTranscript(messages);
    expect(messages.slice(2).map((m) => [m.role === "toolResult" && m.toolCallId, text(m)])).toEqual([
      [ids[0], "echo:one"],
      [ids[1], INTERRUPTED_TOOL_RESULT],
      [ids[2], "echo:three"],
    ]);
    expect(restored.state.tools.map((t) => t.name)).toEqual(["echo", "gate"]);
    expect(text(await restored.continue())).toBe("Recovered.");
    expect(faux.calls[0]!.context.messages).toHaveLength(5);
  });
});

describe("restore errors", () => {
  async function persistedWithEcho() {
    const { agent } = make([{ text: "ok" }], { tools: [echo] });
    await agent.prompt("hi");
    return viaJson(agent.persist()) as Record<string, unknown>;
  }

  it("names a persisted tool that options do not supply", async () => {
    const persisted = await persistedWithEcho();
    const restore = () => Agent.restore(persisted, { streamFn: createFauxProvider([]).streamFn, tools: [gatedTool("other").tool] });
    expect(restore).toThrow(AgentError);
    expect(restore).toThrow(/tool named "echo".*given: "other".*Agent\.restore\(persisted, \{ tools \}\)/);
  });

  it("rejects another version, a malformed object and a non-object, saying what is wrong", async () => {
    const persisted = await persistedWithEcho();
    const options = { tools: [echo], model: fauxModel() };
    expect(() => Agent.restore({ ...persisted, version: 2 }, options)).toThrow(/version 2: this tinyagent reads version 1/);
    expect(() => Agent.restore({ ...persisted, messages: "nope" }, options)).toThrow(/malformed[\s\S]*messages/);
    expect(() => Agent.restore({ ...persisted, settings: { ...(persisted.settings as object), steeringMode: "sometimes" } }, options)).toThrow(
      /settings\.steeringMode/,
    );
    expect(() => Agent.restore(JSON.stringify(persisted), options)).toThrow(/JSON\.parse it first/);
    try {
      Agent.restore(null, options);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).code).toBe("invalid-input");
    }
  });
});
