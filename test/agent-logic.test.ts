import { Observable } from "rxjs";
import { assign, createActor, sendTo, setup, toPromise, type AnyActorRef } from "xstate";
import { describe, expect, it } from "vitest";
import { agentLogic, type AgentEvent, type AgentMessage, type AssistantMessageEvent, type StreamFn } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { expectValidTranscript, gatedTool, until } from "./helpers/transcript.js";

function messagesOf(child: AnyActorRef): AgentMessage[] {
  return (child.getSnapshot() as { context: { messages: AgentMessage[] } }).context.messages;
}

describe("agentLogic: an agent run as a child actor", () => {
  it("invoke: flat agent options and a prompt in, the run's new messages out", async () => {
    const faux = createFauxProvider([{ text: "child answer" }]);
    const parent = setup({
      types: { context: {} as { answer: AgentMessage[] } },
      actors: { agent: agentLogic },
    }).createMachine({
      context: { answer: [] },
      initial: "asking",
      states: {
        asking: {
          invoke: {
            src: "agent",
            input: { model: faux.model, streamFn: faux.streamFn, systemPrompt: "Be brief.", prompt: "hi" },
            onDone: { target: "answered", actions: assign({ answer: ({ event }) => event.output }) },
          },
        },
        answered: { type: "final" },
      },
      output: ({ context }) => context.answer,
    });
    const output = (await toPromise(createActor(parent).start())) as AgentMessage[];
    expect(output.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(faux.calls[0]?.context.systemPrompt).toBe("Be brief.");
  });

  it("spawn and sendTo: the parent steers the child; a listener added at spawn sees every section-5 event", async () => {
    const { tool, gate, signals } = gatedTool();
    const faux = createFauxProvider([{ toolCalls: [{ name: "gate", arguments: {} }] }, { text: "saw the steer" }]);
    const events: AgentEvent["type"][] = [];
    const parent = setup({
      types: {
        events: {} as { type: "nudge"; text: string } | { type: "xstate.done.actor.worker"; output: AgentMessage[] },
        context: {} as { output: AgentMessage[] | null; worker?: AnyActorRef },
      },
      actors: { agent: agentLogic },
    }).createMachine({
      context: { output: null },
      // A child spawned in `assign` is not started yet: a listener added here sees its first events too.
      entry: assign({
        worker: ({ spawn }) => {
          const worker = spawn("agent", { id: "worker", input: { model: faux.model, streamFn: faux.streamFn, tools: [tool], prompt: "go" } });
          worker.on("*", (event: AgentEvent) => events.push(event.type));
          return worker;
        },
      }),
      on: {
        nudge: {
          actions: sendTo("worker", ({ event }) => ({
            type: "agent.steer" as const,
            message: { role: "user" as const, content: event.text, timestamp: 1 },
          })),
        },
        "xstate.done.actor.worker": { actions: assign({ output: ({ event }) => event.output }) },
      },
    });
    const actor = createActor(parent).start();
    await until(() => signals.length === 1);
    actor.send({ type: "nudge", text: "also this" });
    gate.resolve();
    await until(() => actor.getSnapshot().context.output !== null);
    const output = actor.getSnapshot().context.output!;
    expect(output.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "user", "assistant"]);
    expect(faux.calls[1]?.context.messages.at(-1)).toMatchObject({ role: "user", content: "also this" });
    expect(events.filter((t) => t !== "message_update")).toEqual([
      "agent_start",
      "turn_start",
      "message_start",
      "message_end",
      "message_start",
      "message_end",
      "tool_execution_start",
      "tool_execution_end",
      "message_start",
      "message_end",
      "turn_end",
      "turn_start",
      "message_start",
      "message_end",
      "message_start",
      "message_end",
      "turn_end",
      "agent_end",
    ]);
    expectValidTranscript(output);
    actor.stop();
  });

  it("stopping the parent mid-stream cancels the stream and closes the child's transcript", async () => {
    let unsubscribed = false;
    let signal: AbortSignal | undefined;
    const faux = createFauxProvider([{ text: "never finished" }]);
    const streamFn: StreamFn = (model, context, options) =>
      new Observable<AssistantMessageEvent>((subscriber) => {
        signal = options?.signal;
        // Stream a few deltas of the faux reply, then hang until unsubscribed.
        let seen = 0;
        const inner = faux.streamFn(model, context, options).subscribe((event) => {
          if (event.type === "done") return;
          if (seen++ < 3) subscriber.next(event);
        });
        return () => {
          unsubscribed = true;
          inner.unsubscribe();
        };
      });
    const parent = setup({ actors: { agent: agentLogic } }).createMachine({
      invoke: { id: "writer", src: "agent", input: { model: faux.model, streamFn, prompt: "write" } },
    });
    const actor = createActor(parent).start();
    const child = actor.getSnapshot().children.writer!;
    const events: AgentEvent["type"][] = [];
    child.on("*", (event: AgentEvent) => events.push(event.type));
    await until(() => (child.getSnapshot() as { context: { streamMessage: unknown } }).context.streamMessage !== null);
    actor.stop();
    expect(unsubscribed).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(child.getSnapshot().status).toBe("stopped");
    const messages = messagesOf(child);
    expectValidTranscript(messages);
    expect(messages.at(-1)).toMatchObject({ role: "assistant", stopReason: "aborted", errorMessage: expect.stringMatching(/^Stopped/) });
    expect(events.slice(-2)).toEqual(["message_end", "agent_end"]);
  });

  it("stopping the parent mid-tools aborts the tools' signals and answers every call", async () => {
    const { tool, signals } = gatedTool();
    const faux = createFauxProvider([
      {
        toolCalls: [
          { name: "gate", arguments: {} },
          { name: "gate", arguments: {} },
        ],
      },
    ]);
    const parent = setup({ actors: { agent: agentLogic } }).createMachine({
      invoke: { id: "worker", src: "agent", input: { model: faux.model, streamFn: faux.streamFn, tools: [tool], prompt: "go" } },
    });
    const actor = createActor(parent).start();
    const child = actor.getSnapshot().children.worker!;
    await until(() => signals.length === 2);
    actor.stop();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    const messages = messagesOf(child);
    expectValidTranscript(messages);
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "toolResult", "toolResult", "assistant"]);
    expect(messages[2]).toMatchObject({ isError: true, content: [{ type: "text", text: "Tool execution was stopped with the run." }] });
    expect(messages.at(-1)).toMatchObject({ stopReason: "aborted" });
  });

  it("a child without a model ends at once with no messages; provide() keeps the flat input", async () => {
    const child = createActor(agentLogic, { input: { prompt: "hi" } }).start();
    expect(await toPromise(child)).toEqual([]);
    expect(child.getSnapshot().context.error).toMatch(/No model set/);
    const faux = createFauxProvider([{ text: "provided" }]);
    const provided = agentLogic.provide({});
    const output = await toPromise(createActor(provided, { input: { model: faux.model, streamFn: faux.streamFn, prompt: "x" } }).start());
    expect(output.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "provided" }] });
  });
});
