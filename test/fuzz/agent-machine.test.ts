/**
 * Model-based fuzz of the agent machine: random interleavings of prompts,
 * steering, follow-ups, aborts, approvals and rejections, stream events
 * (well-formed or not) and tool completions. After every step the agent
 * must not have thrown (except the documented misuse errors), the
 * transcript must be a valid prefix (tool results in call order, never
 * twice) and, when idle, fully valid; once everything is released the agent
 * must reach idle with every prompt resolved — no deadlock.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Agent, AgentError, type AgentMessage, type AssistantMessage } from "../../src/index.js";
import { fauxModel } from "../../src/testing.js";
import { expectValidTranscript } from "../helpers/transcript.js";
import { fuzzWorld, type StreamStep } from "./agent-driver.js";

const RUNS = Number(process.env.FUZZ_AGENT_RUNS ?? 300);

type Command =
  | { type: "prompt" | "steer" | "followUp" | "abort" | "tick" }
  | { type: "approve" | "reject"; index: number }
  | { type: "stream"; step: StreamStep }
  | { type: "tool"; index: number; outcome: "ok" | "throw" | "terminate" };

const streamStep: fc.Arbitrary<StreamStep> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<StreamStep>({ kind: "text" }, { kind: "thinking" }) },
  { weight: 6, arbitrary: fc.constantFrom("work", "work", "guarded", "unknown", "invalid").map((tool): StreamStep => ({ kind: "toolCall", tool })) },
  { weight: 4, arbitrary: fc.constant<StreamStep>({ kind: "done" }) },
  { weight: 2, arbitrary: fc.constantFrom<StreamStep>({ kind: "error" }, { kind: "completeEarly" }, { kind: "throw" }, { kind: "afterTerminal" }) },
);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Command>({ type: "prompt" }) },
  { weight: 2, arbitrary: fc.constantFrom<Command>({ type: "steer" }, { type: "followUp" }) },
  { weight: 1, arbitrary: fc.constant<Command>({ type: "abort" }) },
  { weight: 1, arbitrary: fc.constant<Command>({ type: "tick" }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constantFrom("approve" as const, "reject" as const), index: fc.nat(3) }) },
  { weight: 10, arbitrary: streamStep.map((step): Command => ({ type: "stream", step })) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant("tool" as const),
      index: fc.nat(3),
      outcome: fc.constantFrom("ok" as const, "throw" as const, "terminate" as const),
    }),
  },
);

const settings = fc.record({
  toolExecution: fc.constantFrom("parallel" as const, "sequential" as const),
  steeringMode: fc.constantFrom("one-at-a-time" as const, "all" as const),
  followUpMode: fc.constantFrom("one-at-a-time" as const, "all" as const),
  maxTurns: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

/** Lets the machine, its child actors and promise actors catch up. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Tool results follow their assistant message in call order, each once; an assistant message comes only after all are in. */
function expectValidPrefix(messages: readonly AgentMessage[], idle: boolean): void {
  if (idle) return expectValidTranscript(messages);
  const open = messages.findLastIndex((m) => m.role === "assistant");
  // Everything before the last assistant message must already be complete.
  expectValidTranscript(messages.slice(0, open === -1 ? messages.length : open));
  if (open === -1) return;
  const calls = (messages[open] as AssistantMessage).content.filter((b) => b.type === "toolCall").map((b) => b.id);
  const answered = messages
    .slice(open + 1)
    .filter((m) => m.role === "toolResult")
    .map((m) => (m as { toolCallId: string }).toolCallId);
  expect(answered).toEqual(calls.slice(0, answered.length));
}

afterEach(() => vi.restoreAllMocks());

describe("agent machine fuzz", () => {
  it(
    `${RUNS} random interleavings never break the invariant, never throw, never deadlock`,
    async () => {
      const reported = vi.spyOn(console, "error").mockImplementation(() => {});
      await fc.assert(
        fc.asyncProperty(settings, fc.array(command, { maxLength: 50 }), async (options, rest) => {
          const commands: Command[] = [{ type: "prompt" }, ...rest];
          const world = fuzzWorld();
          const agent = new Agent({ model: fauxModel(), streamFn: world.streamFn, tools: world.tools, ...options });
          const announced: AgentMessage[] = [];
          agent.subscribe((event) => event.type === "message_end" && announced.push(event.message));
          const prompts: Promise<AssistantMessage>[] = [];
          const isIdle = () => agent.actor.getSnapshot().value === "idle";
          const awaiting = () => [...agent.actor.getSnapshot().context.pendingToolCalls].filter((c) => c.status === "awaitingApproval");

          for (const cmd of commands) {
            switch (cmd.type) {
              case "prompt":
                if (isIdle()) prompts.push(agent.prompt("go"));
                else await expect(agent.prompt("go")).rejects.toThrow(AgentError);
                break;
              case "steer":
                agent.steer("steer");
                break;
              case "followUp":
                agent.followUp("follow up");
                break;
              case "abort":
                agent.abort();
                break;
              case "tick":
                await new Promise((resolve) => setTimeout(resolve, 0));
                break;
              case "approve":
              case "reject": {
                const call = awaiting()[cmd.index % Math.max(1, awaiting().length)];
                if (!call) expect(() => agent.approve("no-such-call")).toThrow(AgentError);
                else if (cmd.type === "approve") agent.approve(call.toolCallId);
                else agent.reject(call.toolCallId, "fuzzer says no");
                break;
              }
              case "stream":
                world.step(cmd.step);
                break;
              case "tool":
                world.finishTool(cmd.index, cmd.outcome);
                break;
            }
            await settle();
            expectValidPrefix(agent.state.messages, isIdle());
          }

          // Release everything: the agent must come to rest.
          for (let round = 0; round < 200 && !isIdle(); round++) {
            for (const call of awaiting()) agent.approve(call.toolCallId);
            world.releaseAll();
            await settle();
          }
          expect(isIdle(), `no idle after release; state ${JSON.stringify(agent.actor.getSnapshot().value)}`).toBe(true);
          const results = await Promise.all(prompts);
          for (const result of results) expect(result.role).toBe("assistant");
          expectValidTranscript(agent.state.messages);
          expect(agent.state.messages).toEqual(announced);
          expect(agent.state.streamMessage).toBeNull();
          expect(agent.state.pendingToolCalls.size).toBe(0);
          // Every stream the agent opened was closed by it (no subscription left behind).
          expect(world.streams.filter((s) => !s.closed && !s.finished)).toEqual([]);
          // No listener threw and the runtime logged no error.
          expect(reported).not.toHaveBeenCalled();
          agent.actor.stop();
        }),
        { numRuns: RUNS },
      );
    },
    Math.max(60_000, RUNS * 40),
  );
});
