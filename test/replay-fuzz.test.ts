/**
 * Property: whatever a run does (text, thinking, parallel or sequential tools
 * that finish, throw, time out or report progress, provider errors, turn
 * limits, steering, an abort at a random moment), replaying its recording
 * rebuilds every snapshot the live run went through.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Agent, type AgentTool } from "../src/index.js";
import { recordRun, replayRun, traceRun, type RunStep } from "../src/devtools/index.js";
import { createFauxProvider, type FauxResponse } from "../src/testing.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const tools: AgentTool[] = [
  {
    name: "add",
    description: "adds",
    parameters: { type: "object", properties: { a: { type: "number" } }, required: ["a"] },
    async execute(_id, args, _signal, onUpdate) {
      onUpdate({ content: [{ type: "text", text: "working" }] });
      await sleep((args as { a: number }).a % 3);
      return { content: [{ type: "text", text: String(args) }] };
    },
  },
  {
    name: "fail",
    description: "throws",
    parameters: { type: "object", properties: {} },
    async execute() {
      throw new Error("tool broke");
    },
  },
  {
    name: "slow",
    description: "times out",
    parameters: { type: "object", properties: {} },
    timeoutMs: 2,
    async execute(_id, _args, signal) {
      await new Promise((resolve) => signal?.addEventListener("abort", resolve));
      return { content: [{ type: "text", text: "late" }] };
    },
  },
];

const response: fc.Arbitrary<FauxResponse> = fc.record(
  {
    thinking: fc.string({ maxLength: 12 }),
    text: fc.string({ maxLength: 20 }),
    toolCalls: fc.array(fc.record({ name: fc.constantFrom("add", "fail", "slow", "missing"), arguments: fc.record({ a: fc.integer({ min: 0, max: 9 }) }) }), {
      maxLength: 3,
    }),
    error: fc.constant("provider fell over"),
    chunkSize: fc.integer({ min: 1, max: 8 }),
  },
  { requiredKeys: ["chunkSize"] },
);

const scenario = fc.record({
  responses: fc.array(response, { minLength: 1, maxLength: 4 }),
  toolExecution: fc.constantFrom("parallel" as const, "sequential" as const),
  maxTurns: fc.integer({ min: 1, max: 5 }),
  steerAfterMs: fc.option(fc.integer({ min: 0, max: 4 })),
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 6 })),
});

const untimed = (steps: RunStep[]) => steps.map(({ t: _t, ...step }) => step);

describe("replay property", () => {
  it("every replayed run deep-equals its live run, step by step", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ responses, toolExecution, maxTurns, steerAfterMs, abortAfterMs }) => {
        const faux = createFauxProvider((_context, call) => responses[call] ?? { text: "done" });
        const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools, toolExecution, maxTurns });
        const live: RunStep[] = [];
        const recording = recordRun(agent);
        const stop = traceRun(agent.actor, (step) => live.push(step));
        const run = agent.prompt("go");
        const timers = [
          steerAfterMs !== null && setTimeout(() => agent.steer("steer"), steerAfterMs),
          abortAfterMs !== null && setTimeout(() => agent.abort(), abortAfterMs),
        ];
        await run;
        await sleep(7); // let the timers fire: a steer or abort after the run is recorded too
        for (const timer of timers) if (timer) clearTimeout(timer);
        await agent.waitForIdle();
        stop();
        recording.stop();
        const replay = replayRun(recording.lines);
        expect(untimed(replay.steps)).toEqual(untimed(live));
      }),
      { numRuns: 30 },
    );
  });
});
