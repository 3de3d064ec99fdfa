/**
 * The soak: many agent runs in one process against a loopback model server,
 * each with a random fault (provider errors, retries, resets, broken streams,
 * stalls, aborts, failing tools, approvals, a throwing hook). It checks every
 * run's end state and transcript, samples the heap after GC and counts open
 * handles, and reports the heap slope. Plain TypeScript, no vitest, so both
 * `npm run soak` (10,000 runs) and `test/soak.test.ts` (300) use it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Agent, openAICompatibleModel, type AgentMessage, type AgentTool } from "../../src/index.js";
import { fastRetryStream, textReply, toolReply } from "./fault-replies.js";
import { chunk, sse } from "./openai-chunks.js";
import { type ScriptedResponse, startSseServer } from "./sse-server.js";

/** What a soak found. */
export type SoakReport = {
  runs: number;
  seconds: number;
  /** Runs whose end state or transcript was wrong, with why (at most 20 kept). */
  failures: string[];
  /** [run, heapUsed bytes after GC] samples. */
  heap: [number, number][];
  /** Least-squares slope of heap after GC over the second half of the samples, in bytes per run. */
  heapSlopeBytesPerRun: number;
  /** Resource kinds that outnumber the baseline at the end (empty when nothing leaked). */
  handleExcess: Record<string, number>;
  faults: Record<string, number>;
};

type Fault = { name: string; weight: number; replies: ScriptedResponse[]; during?: "abortStreaming" | "abortTools" | "approve" | "reject" | "abortApproval" };

const call = (id: string, name: string, args = '{"n":1}') => ({ id, name, args });
const hang: ScriptedResponse = { chunks: [sse(chunk({ role: "assistant", content: "Par" }))], end: "hang" };

const FAULTS: Fault[] = [
  { name: "ok", weight: 6, replies: [textReply("ok")] },
  { name: "tool ok", weight: 4, replies: [toolReply(call("a", "work"), call("b", "work"))] },
  { name: "tool throws", weight: 2, replies: [toolReply(call("a", "boom"))] },
  { name: "tool timeout", weight: 1, replies: [toolReply(call("a", "stuck"))] },
  { name: "unknown tool", weight: 1, replies: [toolReply(call("a", "nope"))] },
  { name: "invalid args", weight: 1, replies: [toolReply(call("a", "work", '{"n":"x"}'))] },
  { name: "hook throws", weight: 1, replies: [toolReply(call("a", "work", '{"n":-1}'))] },
  { name: "500 then ok", weight: 2, replies: [{ status: 500, chunks: ["boom"] }, textReply("ok")] },
  { name: "429 then ok", weight: 2, replies: [{ status: 429, headers: { "retry-after": "0" }, chunks: ["slow"] }, textReply("ok")] },
  { name: "401", weight: 1, replies: [{ status: 401, chunks: ['{"error":{"message":"bad key"}}'] }] },
  { name: "reset x3", weight: 1, replies: [{ reset: true }, { reset: true }, { reset: true }] },
  { name: "error chunk", weight: 1, replies: [{ chunks: [sse(chunk({ content: "Half" }), { error: { message: "overloaded" } })] }] },
  { name: "malformed", weight: 1, replies: [{ chunks: [sse(chunk({ content: "x" })), "data: {oops\n\n"] }] },
  { name: "truncated", weight: 1, replies: [{ chunks: [sse(chunk({ content: "Trunc" }))] }] },
  { name: "stalled", weight: 1, replies: [hang] },
  { name: "abort streaming", weight: 2, replies: [hang], during: "abortStreaming" },
  { name: "abort tools", weight: 2, replies: [toolReply(call("a", "slow"), call("b", "slow"))], during: "abortTools" },
  { name: "approve", weight: 1, replies: [toolReply(call("a", "guarded"))], during: "approve" },
  { name: "reject", weight: 1, replies: [toolReply(call("a", "guarded"))], during: "reject" },
  { name: "abort approval", weight: 1, replies: [toolReply(call("a", "guarded"))], during: "abortApproval" },
];

const params = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };
const done = { content: [{ type: "text" as const, text: "done" }] };
const waitForAbort = (signal: AbortSignal | undefined) =>
  new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
const TOOLS: AgentTool[] = [
  { name: "work", description: "works", parameters: params, execute: async () => done },
  { name: "boom", description: "throws", parameters: params, execute: async () => Promise.reject(new Error("tool failed")) },
  { name: "stuck", description: "never ends", parameters: params, timeoutMs: 5, execute: () => new Promise(() => {}) },
  { name: "slow", description: "ends on abort", parameters: params, execute: (_id, _args, signal) => waitForAbort(signal) },
  { name: "guarded", description: "needs approval", parameters: params, requiresApproval: true, execute: async () => done },
];

/** A small seeded PRNG (mulberry32), so a soak is repeatable. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Node's gc(), exposed on demand. */
function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Why a finished run is wrong, or undefined. */
function problemOf(agent: Agent, announced: AgentMessage[]): string | undefined {
  const snapshot = agent.actor.getSnapshot();
  if (snapshot.value !== "idle") return `not idle: ${JSON.stringify(snapshot.value)}`;
  if (Object.keys(snapshot.children).length > 0) return `children left: ${Object.keys(snapshot.children).join(",")}`;
  const { messages, streamMessage, pendingToolCalls } = agent.state;
  if (streamMessage || pendingToolCalls.size > 0) return "stream message or pending tool calls left";
  if (messages.length !== announced.length || messages.some((m, i) => m !== announced[i])) return "transcript differs from the announced messages";
  let expected: string[] = [];
  for (const message of messages) {
    if (message.role === "assistant") {
      if (expected.length) return `unanswered tool calls ${expected.join(",")}`;
      expected = message.content.flatMap((b) => (b.type === "toolCall" ? [b.id] : []));
    } else if (message.role === "toolResult") {
      if (message.toolCallId !== expected.shift()) return `tool result ${message.toolCallId} out of order`;
    }
  }
  return expected.length ? `unanswered tool calls ${expected.join(",")}` : undefined;
}

const until = async (predicate: () => boolean) => {
  for (let i = 0; i < 5000 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
};

/** Runs `runs` agent runs over `agents` long-lived agents, `samples` heap samples along the way. */
export async function runSoak(options: { runs: number; agents?: number; samples?: number; seed?: number; only?: string[] }): Promise<SoakReport> {
  const { runs, agents = 4, samples = 20, seed = 1, only } = options;
  const gc = gcFunction();
  const next = random(seed);
  const drawn = only ? FAULTS.filter((f) => only.includes(f.name)) : FAULTS;
  const totalWeight = drawn.reduce((sum, f) => sum + f.weight, 0);
  const pick = () => {
    let r = next() * totalWeight;
    return drawn.find((f) => (r -= f.weight) < 0) ?? drawn[0]!;
  };
  const queues: ScriptedResponse[][] = Array.from({ length: agents }, () => []);
  const server = await startSseServer((request) => {
    const lane = Number(/^\/lane\/(\d+)\//.exec(request.url)?.[1] ?? 0);
    const reply = queues[lane]!.shift() ?? textReply("ok");
    return "reset" in reply ? reply : { ...reply, headers: { connection: "close", ...reply.headers } };
  });
  const baseline = resourceCounts();
  const started = performance.now();
  const failures: string[] = [];
  const heap: [number, number][] = [];
  const faults: Record<string, number> = {};
  let completed = 0;
  const sampleEvery = Math.max(1, Math.floor(runs / samples));

  const lane = async (index: number, count: number) => {
    const agent = new Agent({
      model: openAICompatibleModel({ id: "soak", baseUrl: `${server.url}/lane/${index}/v1` }),
      streamFn: fastRetryStream,
      tools: TOOLS,
      streamOptions: { idleTimeoutMs: 250 },
      beforeToolCall: ({ args }) => {
        if ((args as { n?: number }).n === -1) throw new Error("hook failed");
      },
    });
    let announced: AgentMessage[] = [];
    agent.subscribe((event) => event.type === "message_end" && announced.push(event.message));
    for (let i = 0; i < count; i++) {
      const fault = pick();
      faults[fault.name] = (faults[fault.name] ?? 0) + 1;
      queues[index]!.push(...fault.replies);
      const run = agent.prompt("go");
      const awaiting = () => agent.actor.getSnapshot().context.pendingToolCalls.find((c) => c.status === "awaitingApproval");
      if (fault.during === "abortStreaming") await until(() => (agent.state.streamMessage?.content.length ?? 0) > 0);
      if (fault.during === "abortTools")
        await until(() => agent.actor.getSnapshot().context.pendingToolCalls.filter((c) => c.status === "running").length === 2);
      if (fault.during === "approve" || fault.during === "reject" || fault.during === "abortApproval") await until(() => awaiting() !== undefined);
      if (fault.during === "abortStreaming" || fault.during === "abortTools" || fault.during === "abortApproval") agent.abort();
      // Under heavy load the idle timeout may end a run before its approval: then there is nothing to answer.
      const waiting = awaiting();
      if (waiting && fault.during === "approve") agent.approve(waiting.toolCallId);
      if (waiting && fault.during === "reject") agent.reject(waiting.toolCallId, "no");
      await run;
      const problem = problemOf(agent, announced);
      if (problem && failures.length < 20) failures.push(`${fault.name}: ${problem}`);
      queues[index]!.length = 0;
      // The test server records requests; forget them so only the runtime's memory is measured.
      server.requests.length = 0;
      agent.clearMessages();
      announced = [];
      if (++completed % sampleEvery === 0) {
        gc();
        heap.push([completed, process.memoryUsage().heapUsed]);
      }
    }
    agent.actor.stop();
  };
  await Promise.all(Array.from({ length: agents }, (_, i) => lane(i, Math.floor(runs / agents) + (i < runs % agents ? 1 : 0))));

  // Handles: what the runs left behind (spare fetch connections on the server side are not theirs).
  let handleExcess: Record<string, number> = {};
  const excess = () => {
    server.closeIdleConnections();
    handleExcess = Object.fromEntries(Object.entries(resourceCounts()).filter(([kind, count]) => count > (baseline[kind] ?? 0)));
    return Object.keys(handleExcess).length === 0;
  };
  await until(excess);
  await server.close();
  return {
    runs: completed,
    seconds: (performance.now() - started) / 1000,
    failures,
    heap,
    heapSlopeBytesPerRun: slope(heap.slice(Math.floor(heap.length / 2))),
    handleExcess,
    faults,
  };
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
