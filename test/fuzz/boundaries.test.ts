/**
 * Fuzz of the boundaries where user code hands the agent data (#13): random tool return values and hook answers,
 * random stream-function event sequences (well-formed, malformed and plain garbage) and random mutations of a
 * snapshot. Every run must end with the process alive (vitest fails on an uncaught error), a valid transcript, a
 * snapshot that restores, and an agent that answers the next prompt. FUZZ_BOUNDARY_RUNS sets the runs per
 * property (50 in npm test, 1,000 in npm run fuzz).
 */
import fc from "fast-check";
import { Observable } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Agent, AgentError, type AgentOptions, type AgentTool, type PersistedAgent, type StreamFn } from "../../src/index.js";
import { checkMessages, checkTranscript } from "../../src/core/message-checks.js";
import { createFauxProvider, type FauxResponse } from "../../src/testing.js";

const RUNS = Number(process.env.FUZZ_BOUNDARY_RUNS ?? 50);
const TIMEOUT = Math.max(30_000, RUNS * 150);

/** The faux model's reply: "again" answers the follow-up prompt; a tool result gets "ok"; anything else calls tool t. */
function reply(context: { messages: { role: string; content?: unknown }[] }): FauxResponse {
  const last = context.messages.at(-1);
  if (last?.role === "user" && last.content === "again") return { text: "again" };
  if (last?.role === "toolResult") return { text: "ok" };
  return { toolCalls: [{ name: "t", arguments: {} }] };
}

const goodTool: AgentTool = {
  name: "t",
  description: "fuzz",
  parameters: { type: "object", properties: {} },
  execute: async () => ({ content: [{ type: "text", text: "fine" }] }),
};

/** The four checks every run ends with; `options` rebuild the agent from its snapshot. */
async function expectSound(agent: Agent, options: AgentOptions): Promise<void> {
  expect(agent.actor.getSnapshot().value).toBe("idle");
  const messages = agent.state.messages;
  expect(checkMessages(messages, "messages") ?? checkTranscript(messages, "messages")).toBeUndefined();
  const restored = Agent.restore(JSON.parse(JSON.stringify(agent.persist())), { ...options, tools: agent.state.tools as AgentTool[] });
  expect(restored.state.messages).toHaveLength(messages.length);
  const again = await agent.prompt("again");
  expect(again.stopReason).toBe("stop");
  // A restored queue may run after the prompt, so the answer to "again" need not be the run's last message.
  expect(
    agent.state.messages.slice(messages.length).some((m) => m.role === "assistant" && JSON.stringify(m.content) === '[{"type":"text","text":"again"}]'),
  ).toBe(true);
  agent.actor.stop();
  restored.actor.stop();
}

/** Any value, including objects without a prototype (whose String() throws), BigInts, boxed values, maps and sets. */
const junk = fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withSparseArray: true });

/** Values a buggy tool or hook might give back: anything, result-shaped objects with odd parts, cycles, traps. */
const odd = fc.oneof(
  junk,
  fc.constant(undefined),
  fc.constant(
    Object.defineProperty({}, "content", {
      enumerable: true,
      get: () => {
        throw new Error("trap");
      },
    }),
  ),
  fc.constant(
    (() => {
      const loop: Record<string, unknown> = { content: [{ type: "text", text: "loop" }] };
      loop.details = loop;
      return loop;
    })(),
  ),
);
const block = fc.oneof(
  fc.record({ type: fc.constant("text"), text: fc.string() }),
  fc.record({ type: fc.constant("image"), data: fc.string(), mimeType: fc.constantFrom("image/png", 7) }),
  fc.record({ type: fc.string(), text: junk }, { requiredKeys: [] }),
  junk,
);
const resultLike = fc.record(
  { content: fc.oneof(fc.string(), fc.array(block, { maxLength: 3 }), junk), details: odd, isError: junk, terminate: fc.oneof(fc.boolean(), junk) },
  { requiredKeys: [] },
);
const answer = fc.oneof(odd, resultLike);

describe("boundary fuzz", () => {
  afterEach(() => vi.restoreAllMocks());

  it(
    `${RUNS} random tool return values and hook answers: sound transcript, restorable, reusable`,
    async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      await fc.assert(
        fc.asyncProperty(
          answer,
          fc.constantFrom("resolve", "return", "throw"),
          fc.option(fc.oneof(answer, fc.record({ result: answer, block: junk, reason: junk, isError: junk }, { requiredKeys: [] }))),
          fc.option(fc.oneof(answer, fc.record({ content: junk, details: odd, isError: junk, terminate: junk }, { requiredKeys: [] }))),
          async (value, how, before, after) => {
            const tool: AgentTool = {
              ...goodTool,
              execute: (() => {
                if (how === "throw") throw value;
                return how === "resolve" ? Promise.resolve(value) : value;
              }) as never,
            };
            const faux = createFauxProvider(reply);
            const options: AgentOptions = {
              model: faux.model,
              streamFn: faux.streamFn,
              tools: [tool],
              ...(before === null ? {} : { beforeToolCall: () => before as never }),
              ...(after === null ? {} : { afterToolCall: () => after as never }),
            };
            const agent = new Agent(options);
            const message = await agent.prompt("go");
            expect(message.role).toBe("assistant");
            await expectSound(agent, options);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  // Stream events: right-looking ones with random fields, and garbage.
  const partial = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record(
        {
          role: fc.constant("assistant"),
          content: fc.array(
            fc.oneof(
              block,
              fc.record({
                type: fc.constant("toolCall"),
                id: fc.constantFrom("c1", "c2"),
                name: fc.constantFrom("t", "nope"),
                arguments: fc.oneof(fc.constant({}), junk),
              }),
            ),
            { maxLength: 3 },
          ),
          usage: junk,
          stopReason: junk,
          timestamp: junk,
        },
        { requiredKeys: ["role", "content"] },
      ),
    },
    junk,
  );
  const streamEvent = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          type: fc.constantFrom("start", "text_start", "text_delta", "text_end", "thinking_delta", "toolcall_start", "toolcall_delta", "toolcall_end"),
          contentIndex: fc.oneof(fc.nat(3), junk),
          delta: fc.oneof(fc.string(), junk),
          partial,
        },
        { requiredKeys: ["type"] },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        { type: fc.constant("done"), reason: fc.oneof(fc.constantFrom("stop", "toolUse", "length"), junk), message: partial },
        { requiredKeys: ["type"] },
      ),
    },
    fc.record({ type: fc.constant("error"), reason: fc.oneof(fc.constantFrom("error", "aborted"), junk), error: partial }, { requiredKeys: ["type"] }),
    fc.record({ type: fc.constant("retry"), attempt: junk, delayMs: junk, reason: junk }, { requiredKeys: ["type"] }),
    junk,
  );

  it(
    `${RUNS} random stream-function event sequences: sound transcript, restorable, reusable`,
    async () => {
      vi.spyOn(console, "error").mockImplementation(() => {});
      await fc.assert(
        fc.asyncProperty(fc.array(streamEvent, { maxLength: 8 }), fc.constantFrom("complete", "error", "throw"), async (events, end) => {
          const faux = createFauxProvider(reply);
          let calls = 0;
          const streamFn: StreamFn = (model, context, options) => {
            if (calls++ > 0) return faux.streamFn(model, context, options);
            if (end === "throw") throw new Error("the stream function threw");
            return new Observable((subscriber) => {
              for (const event of events) subscriber.next(event as never);
              if (end === "complete") subscriber.complete();
              else subscriber.error(events[0]);
            });
          };
          const options: AgentOptions = { model: faux.model, streamFn, tools: [goodTool] };
          const agent = new Agent(options);
          const message = await agent.prompt("go");
          expect(message.role).toBe("assistant");
          expect(Number.isFinite(agent.actor.getSnapshot().context.usage.totalTokens)).toBe(true);
          await expectSound(agent, { ...options, streamFn: faux.streamFn });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  /** Every [container, key] of a JSON value, to pick one to change. */
  function slots(value: unknown, out: [Record<string, unknown>, string][] = []): typeof out {
    if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        out.push([value as Record<string, unknown>, key]);
        slots(child, out);
      }
    }
    return out;
  }

  it(
    `${RUNS} random snapshot mutations: an AgentError naming the problem, or a sound agent`,
    async () => {
      const faux = createFauxProvider(reply);
      const source = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [goodTool] });
      await source.prompt("go");
      source.followUp("later");
      const snapshot = JSON.stringify(source.persist());
      const mutation = fc.record({ pick: fc.nat(), kind: fc.constantFrom("replace", "delete"), value: fc.jsonValue({ maxDepth: 2 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
          const saved = JSON.parse(snapshot) as PersistedAgent;
          for (const { pick, kind, value } of mutations) {
            const all = slots(saved);
            const [container, key] = all[pick % all.length]!;
            if (kind === "delete") delete container[key];
            else container[key] = value;
          }
          const options: AgentOptions = { model: faux.model, streamFn: faux.streamFn, tools: [goodTool] };
          let agent: Agent;
          try {
            agent = Agent.restore(saved, options);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
            expect((error as AgentError).message).toMatch(/^Cannot restore (an|the) agent/);
            return;
          }
          await agent.waitForIdle();
          await expectSound(agent, options);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
