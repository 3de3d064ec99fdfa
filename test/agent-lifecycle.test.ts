/**
 * A run's own abort signal (`prompt(input, { signal })`) and the end of an
 * agent's life (`dispose()`, `await using`).
 */
import { describe, expect, it } from "vitest";
import { Agent, AgentError, type AgentEvent } from "../src/index.js";
import { fauxModel } from "../src/testing.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { gatedTool, until } from "./helpers/transcript.js";

const { make } = fauxAgents();

function rejection(call: () => unknown): AgentError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error("expected an AgentError");
}

describe("prompt(input, { signal })", () => {
  it("aborting the signal mid-tool aborts that run: the tool's signal fires, prompt resolves aborted, the agent is reusable", async () => {
    const { tool, signals } = gatedTool();
    const { agent } = make([{ toolCalls: [{ name: "gate", arguments: {} }] }, { text: "after" }, { text: "again" }], { tools: [tool] });
    const controller = new AbortController();
    const run = agent.prompt("go", { signal: controller.signal });
    await until(() => signals.length === 1);
    controller.abort();
    const message = await run;
    expect(signals[0]!.aborted).toBe(true);
    expect(message.stopReason).toBe("aborted");
    expect(message.errorMessage).toBe("Aborted by the user.");
    expect(agent.state.messages.at(-2)).toMatchObject({ role: "toolResult", isError: true });
    expect(await agent.promptText("next")).toBe("after");
  });

  it("a signal fired after its run ended leaves the next run alone", async () => {
    const { tool, signals, gate } = gatedTool();
    const { agent } = make([{ text: "first" }, { toolCalls: [{ name: "gate", arguments: {} }] }, { text: "second" }], { tools: [tool] });
    const controller = new AbortController();
    expect(await agent.promptText("one", { signal: controller.signal })).toBe("first");
    const next = agent.prompt("two");
    await until(() => signals.length === 1);
    controller.abort();
    expect(signals[0]!.aborted).toBe(false);
    gate.resolve();
    const message = await next;
    expect(message.stopReason).toBe("stop");
    expect(message.content).toEqual([{ type: "text", text: "second" }]);
  });

  it("an already-aborted signal is refused before anything runs, saying why", async () => {
    const { agent, log } = make([{ text: "never" }]);
    const signal = AbortSignal.abort(new Error("user left"));
    await expect(agent.prompt("hi", { signal })).rejects.toThrow(
      "prompt() got an AbortSignal that is already aborted (user left): pass a fresh signal to start a run.",
    );
    await expect(agent.prompt("hi", { signal })).rejects.toMatchObject({ code: "invalid-input" });
    expect(agent.state.messages).toEqual([]);
    expect(log.types()).toEqual([]);
    agent.appendMessage({ role: "user", content: "hi", timestamp: 0 });
    await expect(agent.continue({ signal })).rejects.toThrow("continue() got an AbortSignal that is already aborted");
    expect(log.types()).not.toContain("agent_start");
    expect((await agent.continue()).content).toEqual([{ type: "text", text: "never" }]);
  });

  it("images still go as the second argument, or as options.images", async () => {
    const { agent, faux } = make([{ text: "a cat" }, { text: "a dog" }]);
    const image = { type: "image" as const, data: "aGk=", mimeType: "image/png" };
    await agent.prompt("what is this?", [image]);
    await agent.prompt("and this?", { images: [image], signal: new AbortController().signal });
    const users = agent.state.messages.filter((m) => m.role === "user");
    expect(users.map((m) => m.content)).toEqual([
      [{ type: "text", text: "what is this?" }, image],
      [{ type: "text", text: "and this?" }, image],
    ]);
    expect(faux.calls).toHaveLength(2);
  });
});

describe("dispose()", () => {
  it("mid-tool: aborts the run (prompt resolves aborted), stops the actor, completes events$, drops listeners", async () => {
    const { tool, signals } = gatedTool();
    const { agent } = make([{ toolCalls: [{ name: "gate", arguments: {} }] }, { text: "never" }], { tools: [tool] });
    const seen: AgentEvent["type"][] = [];
    let completed = false;
    agent.events$.subscribe({ next: (event) => seen.push(event.type), complete: () => (completed = true) });
    let listened = 0;
    agent.subscribe(() => listened++);
    const run = agent.prompt("go");
    await until(() => signals.length === 1);
    agent.dispose();
    const message = await run;
    expect(message.stopReason).toBe("aborted");
    expect(signals[0]!.aborted).toBe(true);
    expect(seen.at(-1)).toBe("agent_end");
    expect(completed).toBe(true);
    expect(agent.actor.getSnapshot().status).toBe("stopped");
    const heard = listened;
    agent.dispose();
    agent.abort();
    await agent.waitForIdle();
    expect(listened).toBe(heard);
    expect(agent.state.messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "assistant"]);
  });

  it("later calls get AgentError 'disposed' naming the call and what to do", async () => {
    const { agent } = make([{ text: "hi" }]);
    await agent[Symbol.asyncDispose]();
    await expect(agent.prompt("hi")).rejects.toThrow(
      "This agent was disposed: prompt() is not possible. Create a new Agent (or Agent.restore(agent.persist())) to go on.",
    );
    await expect(agent.continue()).rejects.toMatchObject({ code: "disposed" });
    await expect(agent.promptObject("hi", { type: "object" })).rejects.toMatchObject({ code: "disposed" });
    expect(rejection(() => agent.setModel(fauxModel())).message).toContain("setModel() is not possible");
    expect(rejection(() => (agent.sessionId = "s")).message).toContain("setting sessionId is not possible");
    expect(rejection(() => agent.steer("x")).code).toBe("disposed");
    expect(rejection(() => agent.subscribe(() => {})).code).toBe("disposed");
    expect(rejection(() => agent.reset()).code).toBe("disposed");
    expect(rejection(() => agent.appendMessage({ role: "user", content: "x", timestamp: 0 })).code).toBe("disposed");
    expect(agent.state.isStreaming).toBe(false);
  });

  it("an idle agent disposes at once; a new agent from its persisted state goes on", async () => {
    const { agent } = make([{ text: "hi" }]);
    await agent.promptText("hello");
    agent.dispose();
    const model = fauxModel();
    const again = Agent.restore(JSON.parse(JSON.stringify(agent.persist())), { model, streamFn: make([{ text: "back" }]).faux.streamFn });
    expect(await again.promptText("more")).toBe("back");
    expect(again.state.messages).toHaveLength(4);
    again.dispose();
  });
});

describe("signal reasons", () => {
  it("an already-aborted signal whose reason has no prototype is still refused with an AgentError", async () => {
    const { agent } = make([{ text: "hi" }]);
    const controller = new AbortController();
    controller.abort(Object.create(null));
    const error = await agent.prompt("hello", { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe("invalid-input");
    agent.dispose();
  });
});
