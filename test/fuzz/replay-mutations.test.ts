/**
 * Malformed recordings (#13 item 11): a recording is a file someone hands the viewer or `tinyagent view`. Before,
 * 10 of 1,500 random mutations made replayRun throw something other than RecordingError (a TypeError from deep in
 * the machine). Property: whatever the mutation (a line dropped, duplicated, swapped or cut; a value anywhere
 * replaced by random JSON; an event's type changed), replayRun returns or throws a RecordingError naming a line.
 * 200 mutations in npm test (the first failure used to show within 30), 1,500 in npm run fuzz.
 */
import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Agent, type AgentTool } from "../../src/index.js";
import { RecordingError, recordRun, replayRun } from "../../src/devtools/index.js";
import { createFauxProvider, type FauxScript } from "../../src/testing.js";

const RUNS = Number(process.env.FUZZ_REPLAY_MUTATIONS ?? 200);

const tools: AgentTool[] = [
  {
    name: "add",
    description: "adds",
    parameters: { type: "object", properties: { a: { type: "number" } } },
    execute: async (_id, _args, _signal, onUpdate) => {
      onUpdate({ content: [{ type: "text", text: "working" }] });
      return { content: [{ type: "text", text: "3" }], details: { sum: 3 } };
    },
  },
  {
    name: "ask",
    description: "needs approval",
    parameters: { type: "object", properties: {} },
    requiresApproval: true,
    execute: async () => ({ content: [{ type: "text", text: "ran" }] }),
  },
];

async function record(script: FauxScript, drive: (agent: Agent) => Promise<unknown>): Promise<string[]> {
  const faux = createFauxProvider(script);
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools });
  const recording = recordRun(agent);
  await drive(agent);
  await agent.waitForIdle();
  recording.stop();
  return [...recording.lines];
}

let recordings: string[][] = [];
beforeAll(async () => {
  recordings = [
    await record([{ thinking: "hmm", text: "Hello there" }], (agent) => agent.prompt("hi")),
    await record(
      [
        {
          toolCalls: [
            { name: "add", arguments: { a: 1 } },
            { name: "missing", arguments: {} },
          ],
        },
        { text: "3" },
      ],
      (agent) => agent.prompt("add"),
    ),
    await record([{ toolCalls: [{ name: "ask", arguments: {} }] }, { text: "done" }], async (agent) => {
      const run = agent.prompt("ask");
      await new Promise((resolve) => setTimeout(resolve, 5));
      agent.steer("quick");
      agent.reject(agent.actor.getSnapshot().context.pendingToolCalls[0]!.toolCallId, "no");
      return run;
    }),
    await record([{ text: "a long reply that is cut", chunkDelayMs: 2 }], async (agent) => {
      const run = agent.prompt("go");
      setTimeout(() => agent.abort(), 3);
      return run;
    }),
  ];
  for (const lines of recordings) expect(() => replayRun(lines)).not.toThrow();
});
afterEach(() => vi.restoreAllMocks());

type Mutation =
  | { kind: "drop" | "duplicate" | "cut"; line: number; at: number }
  | { kind: "swap"; line: number; other: number }
  /** `path[0]` picks one of the line's values (any depth) to replace. */
  | { kind: "replace"; line: number; path: [number]; value: unknown }
  | { kind: "retype"; line: number; type: string };

/** Every [container, key] of a parsed line, in a fixed order, to pick one by index. */
function slots(value: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      out.push([value as Record<string, unknown>, Array.isArray(value) ? Number(key) : key]);
      slots(child, out);
    }
  }
  return out;
}

/** A line as JSON, or undefined when an earlier mutation cut it. */
function parsed(line: string): any {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function mutate(lines: string[], mutation: Mutation): string[] {
  const result = [...lines];
  const index = mutation.line % result.length;
  const line = result[index]!;
  switch (mutation.kind) {
    case "drop":
      result.splice(index, 1);
      break;
    case "duplicate":
      result.splice(index, 0, line);
      break;
    case "cut":
      result[index] = line.slice(0, mutation.at % Math.max(1, line.length));
      break;
    case "swap": {
      const other = mutation.other % result.length;
      [result[index], result[other]] = [result[other]!, line];
      break;
    }
    case "replace": {
      const value = parsed(line);
      const all = slots(value);
      if (all.length === 0) return result;
      const [container, key] = all[mutation.path[0]! % all.length]!;
      (container as Record<string | number, unknown>)[key] = mutation.value;
      result[index] = JSON.stringify(value);
      break;
    }
    case "retype": {
      const value = parsed(line);
      if (!value?.event || typeof value.event !== "object") return result;
      value.event.type = mutation.type;
      result[index] = JSON.stringify(value);
      break;
    }
  }
  return result;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("drop" as const, "duplicate" as const, "cut" as const), line: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat(), other: fc.nat() }),
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("replace" as const), line: fc.nat(), path: fc.tuple(fc.nat()), value: fc.jsonValue({ maxDepth: 2 }) }),
  },
  fc.record({
    kind: fc.constant("retype" as const),
    line: fc.nat(),
    type: fc.constantFrom(
      "agent.prompt",
      "agent.abort",
      "model.events",
      "tool.done",
      "tool.update",
      "agent.approve",
      "xstate.done.actor.model",
      "approve",
      "abort",
      "agent.reset",
    ),
  }),
);

describe("replay of malformed recordings", () => {
  it(
    `${RUNS} random mutations: a replay or a RecordingError naming a line, nothing else`,
    () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      fc.assert(
        fc.property(fc.nat(recordings.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
          const lines = mutations.reduce(mutate, recordings[which]!);
          try {
            replayRun(lines);
          } catch (error) {
            if (!(error instanceof RecordingError)) throw new Error(`replayRun threw ${String(error)} (not a RecordingError) for ${JSON.stringify(mutations)}`);
            expect(error.message).toMatch(/^Recording line \d+: /);
          }
        }),
        { numRuns: RUNS },
      );
    },
    Math.max(15_000, RUNS * 40),
  );
});
