import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  Agent,
  defineTool,
  selectIsAwaitingApproval,
  selectIsBusy,
  selectPendingApprovals,
  selectStateName,
  selectStreamingText,
  selectStreamingThinking,
  selectTranscript,
  selectUsage,
  type AgentActor,
  type AgentMachineEvent,
  type AgentMessage,
} from "../src/index.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { deferred, until } from "./helpers/transcript.js";

const { make, track } = fauxAgents();

const INPUTS = ["agent.prompt", "agent.steer", "agent.followUp", "agent.abort", "agent.approve", "agent.reject"] as const;
const user: AgentMessage = { role: "user", content: "x", timestamp: 0 };

/** `can()` for each UI input; approve/reject ask about `toolCallId`. */
function legal(actor: AgentActor, toolCallId = "none"): string[] {
  const snapshot = actor.getSnapshot();
  const events: Record<(typeof INPUTS)[number], AgentMachineEvent> = {
    "agent.prompt": { type: "agent.prompt", messages: [user] },
    "agent.steer": { type: "agent.steer", message: user },
    "agent.followUp": { type: "agent.followUp", message: user },
    "agent.abort": { type: "agent.abort" },
    "agent.approve": { type: "agent.approve", toolCallId },
    "agent.reject": { type: "agent.reject", toolCallId },
  };
  return INPUTS.filter((type) => snapshot.can(events[type]));
}

const guarded = defineTool({
  name: "delete",
  description: "dangerous",
  parameters: z.object({ path: z.string() }),
  requiresApproval: true,
  async execute(_id, { path }, _signal, onUpdate) {
    onUpdate({ content: [{ type: "text", text: `deleting ${path}` }] });
    return { content: [{ type: "text", text: `deleted ${path}` }] };
  },
});

describe("snapshots drive a UI: can(), tags, selectors", () => {
  it("can() tells which inputs are legal in each state, and tags say busy / awaitingApproval", async () => {
    const noModel = track(new Agent());
    expect(legal(noModel.actor)).toEqual(["agent.steer", "agent.followUp"]); // queued for the next run; no prompt without a model

    const hold = deferred();
    const turnGate = deferred<boolean>();
    const { agent } = make(
      [{ thinking: "hmm", text: "Deleting.", toolCalls: [{ name: "delete", arguments: { path: "/x" } }], hold: hold.promise }, { text: "Done." }],
      { tools: [guarded], shouldStopAfterTurn: async ({ message }) => (message.stopReason === "stop" ? turnGate.promise : false) },
    );
    const snap = () => agent.actor.getSnapshot();
    expect(selectStateName(snap())).toBe("idle");
    expect(legal(agent.actor)).toEqual(["agent.prompt", "agent.steer", "agent.followUp"]);
    expect(selectIsBusy(snap())).toBe(false);

    const run = agent.prompt("go");
    await until(() => snap().context.streamMessage !== null);
    expect(selectStateName(snap())).toBe("streaming");
    expect(legal(agent.actor)).toEqual(["agent.steer", "agent.followUp", "agent.abort"]);
    expect([selectIsBusy(snap()), selectIsAwaitingApproval(snap())]).toEqual([true, false]);

    hold.resolve();
    await until(() => selectIsAwaitingApproval(snap()));
    const [waiting] = selectPendingApprovals(snap());
    expect(waiting).toMatchObject({ toolName: "delete", status: "awaitingApproval" });
    expect(snap().value).toEqual({ executingTools: "awaitingApproval" });
    expect(selectStateName(snap())).toBe("executingTools");
    expect(legal(agent.actor, waiting!.toolCallId)).toEqual(["agent.steer", "agent.followUp", "agent.abort", "agent.approve", "agent.reject"]);
    expect(legal(agent.actor, "other")).toEqual(["agent.steer", "agent.followUp", "agent.abort"]);
    // Without an id, approve/reject ask "is any call waiting?" and act on the first one.
    expect(snap().can({ type: "agent.approve" })).toBe(true);
    expect(snap().can({ type: "agent.reject" })).toBe(true);

    agent.approve(waiting!.toolCallId);
    expect(selectIsAwaitingApproval(snap())).toBe(false);
    expect(selectPendingApprovals(snap())).toEqual([]);
    await until(() => selectStateName(snap()) === "turnEnd" && snap().context.turn === 2);
    expect(legal(agent.actor)).toEqual(["agent.steer", "agent.followUp", "agent.abort"]);
    expect(selectIsBusy(snap())).toBe(true);
    turnGate.resolve(true);
    await run;
    expect(legal(agent.actor)).toEqual(["agent.prompt", "agent.steer", "agent.followUp"]);
    const toolResult = agent.state.messages.find((m) => m.role === "toolResult");
    expect(toolResult).toMatchObject({ isError: false });
  });

  it("tool progress is in the snapshot: pendingToolCalls[i].partialResult", async () => {
    const gate = deferred();
    const progress = defineTool({
      name: "count",
      description: "counts",
      parameters: z.object({}),
      async execute(_id, _args, _signal, onUpdate) {
        onUpdate({ content: [{ type: "text", text: "1 of 2" }] });
        await gate.promise;
        return { content: [{ type: "text", text: "2 of 2" }] };
      },
    });
    const { agent } = make([{ toolCalls: [{ name: "count", arguments: {} }] }, { text: "ok" }], { tools: [progress] });
    const run = agent.prompt("go");
    await until(() => agent.actor.getSnapshot().context.pendingToolCalls[0]?.partialResult !== undefined);
    expect(agent.actor.getSnapshot().context.pendingToolCalls[0]).toMatchObject({
      status: "running",
      partialResult: { content: [{ type: "text", text: "1 of 2" }] },
    });
    gate.resolve();
    await run;
  });

  it("the transcript array is new per appended message, never per delta, and never changes under its reader", async () => {
    const long = "The quick brown fox jumps over the lazy dog. ".repeat(8);
    const { agent } = make([{ text: "first" }, { thinking: "let me think", text: long, chunkSize: 6, chunkDelayMs: 1 }]);
    await agent.prompt("one");
    const transcript = agent.actor.getSnapshot().context.messages;
    const viewBefore = selectTranscript(agent.actor.getSnapshot());
    const usageBefore = selectUsage(agent.actor.getSnapshot());
    expect(selectUsage(agent.actor.getSnapshot())).toBe(usageBefore);

    const seen: { messages: AgentMessage[]; view: readonly AgentMessage[]; text: string; thinking: string; length: number }[] = [];
    const subscription = agent.actor.subscribe((snapshot) => {
      if (!snapshot.context.streamMessage) return;
      seen.push({
        messages: snapshot.context.messages,
        view: selectTranscript(snapshot),
        text: selectStreamingText(snapshot),
        thinking: selectStreamingThinking(snapshot),
        length: snapshot.context.messages.length,
      });
    });
    await agent.prompt("two");
    subscription.unsubscribe();

    expect(seen.length).toBeGreaterThan(20); // one snapshot per streamed batch of deltas
    // While the reply streams (no message appended), every snapshot holds one and the same array…
    const streamingArrays = new Set(seen.filter((s) => s.length === 3).map((s) => s.messages));
    expect(streamingArrays.size).toBe(1);
    // …a new one since the user message was appended, and the array handed out before never changed.
    expect(streamingArrays.has(transcript)).toBe(false);
    expect(transcript).toHaveLength(2);
    expect(agent.actor.getSnapshot().context.messages).toHaveLength(4);
    // While the reply streams, the transcript view keeps its identity (a memoized UI list does not re-render)…
    const streamingViews = new Set(seen.filter((s) => s.length === 3).map((s) => s.view));
    expect(streamingViews.size).toBe(1);
    // …and it changed identity when the user message was appended.
    expect(streamingViews.has(viewBefore)).toBe(false);
    expect(seen.at(-1)?.thinking).toBe("let me think");
    expect(seen.some((s) => s.text.length > 0 && s.text.length < long.length)).toBe(true);
    expect(selectTranscript(agent.actor.getSnapshot())).toHaveLength(4);
    expect(selectUsage(agent.actor.getSnapshot())).not.toBe(usageBefore);
    expect(selectUsage(agent.actor.getSnapshot()).totalTokens).toBeGreaterThan(usageBefore.totalTokens);
  });
});

describe("a finished run-once actor", () => {
  it("takes no more input: can() is false for every UI input", async () => {
    const { createActor, toPromise } = await import("xstate");
    const { agentMachine } = await import("../src/index.js");
    const { createFauxProvider } = await import("../src/testing.js");
    const faux = createFauxProvider([{ text: "done" }]);
    const actor = createActor(agentMachine, { input: { model: faux.model, streamFn: faux.streamFn, prompt: [user] } }).start();
    await toPromise(actor);
    expect(legal(actor)).toEqual([]);
  });
});
