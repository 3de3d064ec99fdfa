import { Observable } from "rxjs";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { Agent, defineTool, type AgentMessage, type AssistantMessageEvent, type StreamFn } from "../src/index.js";
import { createFauxProvider, fauxModel } from "../src/testing.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { recordEvents } from "./helpers/transcript.js";

const { make: makeAgent, track } = fauxAgents();

const echo = defineTool({
  name: "echo",
  description: "echo",
  parameters: z.object({ say: z.string() }),
  async execute(_id, { say }) {
    return { content: [{ type: "text", text: say }], details: { length: say.length } };
  },
});
const callEcho = [{ toolCalls: [{ name: "echo", arguments: { say: "hi" } }] }, { text: "done" }];
const resultOf = (agent: Agent) => agent.state.messages.find((m) => m.role === "toolResult");

describe("beforeToolCall", () => {
  it("sees the validated args and may block the call", async () => {
    const seen: unknown[] = [];
    const { agent } = makeAgent(callEcho, {
      tools: [echo],
      beforeToolCall: async ({ args, toolCall }, signal) => {
        seen.push(args, toolCall.name, signal instanceof AbortSignal);
        return { block: true, reason: "not allowed here" };
      },
    });
    await agent.prompt("go");
    expect(seen).toEqual([{ say: "hi" }, "echo", true]);
    expect(resultOf(agent)).toMatchObject({ isError: true, content: [{ type: "text", text: "not allowed here" }] });
  });

  it("may answer with a result instead of running the tool", async () => {
    const execute = vi.spyOn(echo, "execute");
    const { agent } = makeAgent(callEcho, {
      tools: [echo],
      beforeToolCall: () => ({ result: { content: [{ type: "text", text: "cached" }] } }),
    });
    await agent.prompt("go");
    expect(execute).not.toHaveBeenCalled();
    expect(resultOf(agent)).toMatchObject({ isError: false, content: [{ type: "text", text: "cached" }] });
    execute.mockRestore();
  });

  it("that throws ends the run with an error message in the transcript", async () => {
    const { agent, faux } = makeAgent(callEcho, {
      tools: [echo],
      beforeToolCall: () => {
        throw new Error("policy service down");
      },
    });
    const message = await agent.prompt("go");
    expect(faux.calls).toHaveLength(1);
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("beforeToolCall hook threw: policy service down");
    expect(agent.state.error).toBe("beforeToolCall hook threw: policy service down");
  });
});

describe("afterToolCall", () => {
  it("replaces the fields it gives and may flag an error", async () => {
    const { agent } = makeAgent(callEcho, {
      tools: [echo],
      afterToolCall: ({ result }) => ({ content: [{ type: "text", text: "redacted" }], isError: true, details: { was: result.details } }),
    });
    await agent.prompt("go");
    expect(resultOf(agent)).toMatchObject({ isError: true, content: [{ type: "text", text: "redacted" }], details: { was: { length: 2 } } });
  });

  it("may terminate the run", async () => {
    const { agent, faux } = makeAgent(callEcho, { tools: [echo], afterToolCall: () => ({ terminate: true }) });
    await agent.prompt("go");
    expect(faux.calls).toHaveLength(1);
  });

  it("that throws ends the run with an error", async () => {
    const { agent } = makeAgent(callEcho, {
      tools: [echo],
      afterToolCall: async () => {
        throw new Error("audit log full");
      },
    });
    expect((await agent.prompt("go")).errorMessage).toBe("afterToolCall hook threw: audit log full");
  });
});

describe("turn hooks", () => {
  it("shouldStopAfterTurn stops the loop, and a throw ends the run with an error", async () => {
    const stop = makeAgent(callEcho, { tools: [echo], shouldStopAfterTurn: ({ toolResults }) => toolResults.length > 0 });
    await stop.agent.prompt("go");
    expect(stop.faux.calls).toHaveLength(1);
    const broken = makeAgent(callEcho, {
      tools: [echo],
      shouldStopAfterTurn: () => {
        throw new Error("nope");
      },
    });
    expect((await broken.agent.prompt("go")).errorMessage).toBe("shouldStopAfterTurn hook threw: nope");
  });

  it("transformContext and convertToLlm shape what the model sees; custom roles are dropped by default", async () => {
    const note = { role: "note", text: "internal" } as unknown as AgentMessage;
    const plain = makeAgent([{ text: "a" }], { messages: [note] });
    await plain.agent.prompt("hi");
    expect(plain.faux.calls[0]?.context.messages.map((m) => m.role)).toEqual(["user"]);
    const shaped = makeAgent([{ text: "a" }], {
      messages: [note],
      transformContext: async (messages, signal) => {
        expect(signal).toBeInstanceOf(AbortSignal);
        return messages.slice(-1);
      },
      convertToLlm: (messages) => messages.map((m) => (m.role === "user" ? { ...m, content: `[${String(m.content)}]` } : m)) as never,
    });
    await shaped.agent.prompt("hi");
    expect(shaped.faux.calls[0]?.context.messages).toMatchObject([{ role: "user", content: "[hi]" }]);
  });

  it("a throwing transformContext ends the run with an error message", async () => {
    const { agent } = makeAgent([{ text: "a" }], {
      transformContext: () => {
        throw new Error("too long");
      },
    });
    const message = await agent.prompt("hi");
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("Model call failed: transformContext hook threw: too long");
  });

  it("getApiKey supplies the key for the model's provider", async () => {
    const { agent, faux } = makeAgent([{ text: "a" }], { getApiKey: (provider) => `key-for-${provider}` });
    await agent.prompt("hi");
    expect(faux.calls[0]?.options?.apiKey).toBe("key-for-faux");
  });
});

describe("failures never hang and leave the agent usable", () => {
  it("a provider error resolves prompt with the error message and sets state.error", async () => {
    const { agent } = makeAgent([{ text: "partial", error: "upstream exploded" }, { text: "fine" }]);
    const message = await agent.prompt("hi");
    expect(message.stopReason).toBe("error");
    expect(message.errorMessage).toBe("upstream exploded");
    expect(agent.state.error).toBe("upstream exploded");
    expect(await agent.promptText("again")).toBe("fine");
    expect(agent.state.error).toBeUndefined();
  });

  it("a StreamFn that throws, errors, or completes without a terminal event", async () => {
    const throwing: StreamFn = () => {
      throw new Error("bad adapter");
    };
    const erroring: StreamFn = () => new Observable((sub) => sub.error(new Error("observable failed")));
    const silent: StreamFn = () => new Observable((sub) => sub.complete());
    for (const [streamFn, expected] of [
      [throwing, "Model call failed: bad adapter"],
      [erroring, "Model call failed: observable failed"],
      [silent, "The provider stream ended without a terminal done/error event."],
    ] as const) {
      const agent = new Agent({ model: fauxModel(), streamFn });
      track(agent);
      const message = await agent.prompt("hi");
      expect(message.errorMessage).toBe(expected);
    }
  });

  it("events after the terminal event are ignored", async () => {
    const faux = createFauxProvider([{ text: "ok" }]);
    const noisy: StreamFn = (model, context, options) =>
      new Observable<AssistantMessageEvent>((sub) => {
        const inner = faux.streamFn(model, context, options).subscribe({
          next: (e) => {
            sub.next(e);
            if (e.type === "done") sub.next({ type: "text_delta", contentIndex: 0, delta: "LATE", partial: e.message });
          },
          complete: () => sub.complete(),
        });
        return () => inner.unsubscribe();
      });
    const agent = new Agent({ model: faux.model, streamFn: noisy });
    track(agent);
    const log = recordEvents(agent);
    expect(await agent.promptText("hi")).toBe("ok");
    expect(
      log.events.some((e) => e.type === "message_update" && e.assistantMessageEvent.type === "text_delta" && e.assistantMessageEvent.delta === "LATE"),
    ).toBe(false);
  });

  it("a throwing listener is reported and skipped; other listeners still run", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const { agent, log } = makeAgent([{ text: "ok" }]);
    agent.subscribe(() => {
      throw new Error("listener bug");
    });
    expect(await agent.promptText("hi")).toBe("ok");
    expect(log.types().at(-1)).toBe("agent_end");
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });
});

describe("inspection", () => {
  it("the inspect option sees idle → streaming → executingTools → turnEnd → streaming → turnEnd → idle", async () => {
    const states: string[] = [];
    const { agent } = makeAgent(callEcho, {
      tools: [echo],
      inspect: (event) => {
        if (event.type !== "@xstate.snapshot" || event.actorRef.sessionId !== event.rootId) return;
        const value = (event.snapshot as { value?: unknown }).value;
        // Top-level state names (executingTools has approval substates).
        const name = typeof value === "string" ? value : Object.keys(value ?? {})[0];
        if (name && states.at(-1) !== name) states.push(name);
      },
    });
    await agent.prompt("go");
    expect(states).toEqual(["idle", "streaming", "executingTools", "turnEnd", "streaming", "turnEnd", "idle"]);
  });
});
