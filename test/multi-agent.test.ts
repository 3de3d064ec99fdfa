import { Observable } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createActor, toPromise, type AnyActorRef } from "xstate";
import { createCoordinator, teamModel } from "../examples/multi-agent.js";
import type { AgentMessage, AgentTool, StreamFn } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { expectValidTranscript } from "./helpers/transcript.js";

afterEach(() => {
  vi.useRealTimers();
});

function agentTranscripts(actors: AnyActorRef[]): AgentMessage[][] {
  return actors
    .map((actor) => (actor.getSnapshot() as { context?: { messages?: AgentMessage[]; streamMessage?: unknown } }).context)
    .filter((context) => context !== undefined && "streamMessage" in context) // agent actors, not tool calls
    .map((context) => context!.messages!);
}

describe("examples/multi-agent.ts: a coordinator of agent child actors", () => {
  it("fans out to two agents in parallel and merges their answers", async () => {
    const actors: AnyActorRef[] = [];
    const coordinator = createActor(createCoordinator({ model: teamModel.model, streamFn: teamModel.streamFn }), {
      input: { question: "Rust?" },
      inspect: (event) => event.type === "@xstate.actor" && actors.push(event.actorRef as AnyActorRef),
    });
    const before = teamModel.calls.length;
    const answer = await toPromise(coordinator.start());
    expect(answer).toMatch(/^Rewrite the parsing module first/);
    const calls = teamModel.calls.slice(before);
    expect(calls).toHaveLength(3);
    const editorPrompt = String(calls[2]?.context.messages[0]?.content);
    expect(editorPrompt).toContain("For: Rewriting it in Rust");
    expect(editorPrompt).toContain("Against: A rewrite stalls");
    expect(actors.filter((actor) => actor.getSnapshot().status === "active")).toEqual([]);
    for (const transcript of agentTranscripts(actors)) expectValidTranscript(transcript);
  });

  it("stopping it mid-run leaves no running actor, stream or timer, and valid transcripts", async () => {
    vi.useFakeTimers();
    const toolSignals: AbortSignal[] = [];
    const check: AgentTool = {
      name: "check_facts",
      description: "Checks a claim (slowly)",
      parameters: { type: "object", properties: {} },
      timeoutMs: 60_000, // an XState timer while it runs
      execute: (_id, _args, signal) =>
        new Promise((resolve, reject) => {
          toolSignals.push(signal!);
          const timer = setTimeout(() => resolve({ content: [{ type: "text", text: "checked" }] }), 30_000);
          signal!.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new Error("aborted"));
          });
        }),
    };
    const faux = createFauxProvider((context) =>
      context.systemPrompt?.includes("skeptic") && context.messages.length === 1
        ? { toolCalls: [{ name: "check_facts", arguments: {} }] }
        : { text: "A long considered answer that streams slowly. ".repeat(5), chunkDelayMs: 10 },
    );
    let openStreams = 0;
    const counted: StreamFn = (model, context, options) =>
      new Observable((subscriber) => {
        openStreams++;
        const subscription = faux.streamFn(model, context, options).subscribe(subscriber);
        return () => {
          openStreams--;
          subscription.unsubscribe();
        };
      });
    const actors: AnyActorRef[] = [];
    const coordinator = createActor(createCoordinator({ model: faux.model, streamFn: counted, tools: [check] }), {
      input: { question: "Rust?" },
      inspect: (event) => event.type === "@xstate.actor" && actors.push(event.actorRef as AnyActorRef),
    }).start();

    await vi.advanceTimersByTimeAsync(35);
    // The optimist is mid-stream, the skeptic mid-tool.
    expect(openStreams).toBe(1);
    expect(toolSignals).toHaveLength(1);
    expect(coordinator.getSnapshot().value).toEqual({ consulting: { optimist: "working", skeptic: "working" } });
    expect(vi.getTimerCount()).toBeGreaterThanOrEqual(3); // stream delay, tool's own timer, tool timeout

    coordinator.stop();
    expect(openStreams).toBe(0);
    expect(toolSignals[0]?.aborted).toBe(true);
    expect(faux.calls.every((call) => call.options?.signal?.aborted)).toBe(true);
    expect(actors.length).toBeGreaterThanOrEqual(6); // coordinator, 2 agents, a stream, a tool call, its execution
    expect(actors.filter((actor) => actor.getSnapshot().status === "active")).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    const transcripts = agentTranscripts(actors);
    expect(transcripts).toHaveLength(2);
    for (const transcript of transcripts) {
      expectValidTranscript(transcript);
      expect(transcript.at(-1)).toMatchObject({ role: "assistant", stopReason: "aborted" });
    }
  });
});
