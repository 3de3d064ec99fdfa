import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, defineTool, persistAgent, streamOpenAICompatible, type AgentOptions } from "../src/index.js";
import { RecordingError, recordRun, replayRun, traceRun, type RunStep } from "../src/devtools/index.js";
import { createFauxProvider, startFauxServer, type FauxScript } from "../src/testing.js";
import { deferred, expectValidTranscript, gatedTool, until } from "./helpers/transcript.js";

const add = defineTool({
  name: "add",
  description: "Adds two numbers.",
  parameters: z.object({ a: z.number(), b: z.number() }),
  async execute(_id, { a, b }, _signal, onUpdate) {
    onUpdate({ content: [{ type: "text", text: "adding…" }] });
    await new Promise((resolve) => setTimeout(resolve, a));
    return { content: [{ type: "text", text: String(a + b) }], details: { sum: a + b } };
  },
});

/** Runs `drive` on a fresh faux agent while recording it and tracing its live steps. */
async function recordScenario(script: FauxScript, options: AgentOptions, drive: (agent: Agent) => Promise<unknown>) {
  const faux = createFauxProvider(script);
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, ...options });
  agent.setSystemPrompt("Be brief.");
  const live: RunStep[] = [];
  const recording = recordRun(agent);
  const stopTrace = traceRun(agent.actor, (step) => live.push(step));
  await drive(agent);
  await agent.waitForIdle();
  stopTrace();
  recording.stop();
  expectValidTranscript(agent.state.messages);
  return { agent, live, recording };
}

/** Everything of a step but its time (a replay reports recorded times). */
const untimed = (steps: RunStep[]) => steps.map(({ t: _t, ...step }) => step);

async function expectReplayMatches(scenario: ReturnType<typeof recordScenario>) {
  const { live, recording, agent } = await scenario;
  const replay = replayRun(recording.text());
  expect(replay.steps.length).toBe(live.length);
  for (let i = 0; i < live.length; i++) expect(untimed([replay.steps[i]!]), `step ${i}`).toEqual(untimed([live[i]!]));
  // The replayed transcript is the live one, timestamps included.
  expect(replay.steps.at(-1)!.context.messages).toEqual(JSON.parse(JSON.stringify(agent.state.messages)));
  return { replay, live, recording };
}

describe("record and replay", () => {
  it("a text run: every replayed snapshot deep-equals the live one", async () => {
    const { replay, recording } = await expectReplayMatches(
      recordScenario([{ thinking: "hmm", text: "Hello there, how are you?" }], {}, (agent) => agent.prompt("hi")),
    );
    const header = JSON.parse(recording.lines[0]!);
    expect(header).toMatchObject({ kind: "tinyagent-run", version: 1, value: "idle" });
    expect(replay.steps.map((s) => s.event.type)).toContain("model.events");
    expect(replay.events.map((e) => e.type).at(-1)).toBe("agent_end");
    expect(replay.steps.map((s) => s.value)).toContainEqual({ streaming: "requesting" });
  });

  it("parallel tools with updates, over two turns", async () => {
    const { replay, recording } = await expectReplayMatches(
      recordScenario(
        [
          { toolCalls: [{ name: "add", arguments: { a: 5, b: 1 } }, { name: "add", arguments: { a: 1, b: 2 } }, { name: "nope", arguments: {} }] },
          { text: "6 and 3" },
        ],
        { tools: [add] },
        (agent) => agent.prompt("add"),
      ),
    );
    const types = replay.steps.map((s) => `${s.actor}:${s.event.type}`);
    expect(types).toContain("tool-1-0:update");
    expect(types).toContain("root:tool.done");
    expect(Object.keys(replay.steps.at(-1)!.toolCalls)).toEqual(["tool-1-0", "tool-1-1", "tool-1-2"]);
    expect(replay.steps.at(-1)!.toolCalls["tool-1-0"]).toEqual({ value: "done", status: "done" });
    // Tool results were recorded, not executed again: the replay has no tool to run.
    expect(recording.text()).not.toContain("execute");
  });

  it("steering, approval and a tool timeout (a timer firing)", async () => {
    const slow = gatedTool("slow", { timeoutMs: 5 });
    const careful = gatedTool("careful", { requiresApproval: true });
    const { recording } = await expectReplayMatches(
      recordScenario(
        [{ toolCalls: [{ name: "slow", arguments: {} }, { name: "careful", arguments: {} }] }, { text: "steered" }],
        { tools: [slow.tool, careful.tool] },
        async (agent) => {
          const run = agent.prompt("go");
          await until(() => agent.state.pendingToolCalls.size === 2 && agent.actor.getSnapshot().context.pendingToolCalls.some((c) => c.status === "awaitingApproval"));
          agent.steer("also this");
          const waiting = agent.actor.getSnapshot().context.pendingToolCalls.find((c) => c.status === "awaitingApproval")!;
          agent.approve(waiting.toolCallId);
          careful.gate.resolve();
          return run;
        },
      ),
    );
    expect(recording.text()).toContain('"type":"xstate.after.');
    expect(recording.text()).toContain('"type":"agent.approve"');
    expect(recording.text()).toContain('"type":"agent.steer"');
  });

  it("a provider error and an abort mid-batch", async () => {
    const { tool } = gatedTool();
    const { replay } = await expectReplayMatches(
      recordScenario(
        [{ text: "partial", error: "upstream exploded" }, { toolCalls: [{ name: "gate", arguments: {} }, { name: "gate", arguments: {} }] }],
        { tools: [tool], toolExecution: "sequential", maxTurns: Number.POSITIVE_INFINITY },
        async (agent) => {
          await agent.prompt("first");
          const run = agent.prompt("second");
          await until(() => agent.state.pendingToolCalls.size > 0);
          agent.abort();
          return run;
        },
      ),
    );
    const last = replay.steps.at(-1)!.context as { error: string; maxTurns: number };
    expect(last.error).toBe("Aborted by the user.");
    expect(last.maxTurns).toBe(Number.POSITIVE_INFINITY);
  });

  it("an abort while streaming", async () => {
    const hold = deferred();
    await expectReplayMatches(
      recordScenario([{ text: "never finished", hold: hold.promise }], {}, async (agent) => {
        const run = agent.prompt("hi");
        await until(() => agent.state.streamMessage !== null);
        agent.abort();
        return run;
      }),
    );
  });

  it("hooks: a blocked call, a patched result, and a shouldStopAfterTurn hook that throws", async () => {
    const { replay } = await expectReplayMatches(
      recordScenario(
        [{ toolCalls: [{ name: "add", arguments: { a: 1, b: 1 } }, { name: "add", arguments: { a: 2, b: 2 } }] }, { text: "never" }],
        {
          tools: [add],
          beforeToolCall: ({ args }) => ((args as { a: number }).a === 1 ? { block: true, reason: "no ones" } : undefined),
          afterToolCall: () => ({ details: { patched: true } }),
          shouldStopAfterTurn: () => {
            throw new Error("stop hook broke");
          },
        },
        (agent) => agent.prompt("add"),
      ),
    );
    expect(replay.steps.map((s) => s.event.type)).toContain("xstate.error.actor.decision");
    expect(replay.steps.at(-1)!.context.error).toBe("shouldStopAfterTurn hook threw: stop hook broke");
  });

  it("over real HTTP: the OpenAI-compatible adapter against the faux server, two tool turns", async () => {
    const server = await startFauxServer({ chunkDelayMs: 1 });
    try {
      const { replay } = await expectReplayMatches(
        recordScenario([], { model: server.model, streamFn: streamOpenAICompatible, tools: [add] }, (agent) => agent.prompt("What is 2 + 3?")),
      );
      expect(replay.events.filter((e) => e.type === "tool_execution_end").length).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it("redacts API keys and refuses to start mid-run", async () => {
    const hold = deferred();
    const faux = createFauxProvider([{ text: "x", hold: hold.promise }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, streamOptions: { apiKey: "sk-secret" } });
    const recording = recordRun(agent);
    expect(recording.lines[0]).not.toContain("sk-secret");
    const run = agent.prompt("hi");
    expect(() => recordRun(agent)).toThrow(/start recording while it is idle/);
    agent.abort();
    await run;
    recording.stop();
  });

  it("redacts every credential header, in the header and in configure events, by the rule persist uses", async () => {
    const secrets = {
      authorization: "Bearer sk-auth-1", "api-key": "sk-azure-2", "x-goog-api-key": "sk-goog-3", cookie: "session=sk-cookie-4",
      "proxy-authorization": "Basic sk-proxy-5", "x-auth-token": "sk-token-6", "x-api-key": "sk-anthropic-7", "X-Client-Secret": "sk-secret-8",
    };
    const faux = createFauxProvider([{ text: "ok" }, { text: "again" }]);
    const agent = new Agent({ model: { ...faux.model, headers: { ...secrets, "x-title": "demo" } }, streamFn: faux.streamFn, streamOptions: { apiKey: "sk-key-9", headers: secrets } });
    const recording = recordRun(agent);
    await agent.prompt("hi");
    agent.setModel({ ...faux.model, headers: secrets });
    await agent.prompt("again");
    recording.stop();
    const text = recording.text();
    for (const value of [...Object.values(secrets), "sk-key-9"]) expect(text, value).not.toContain(value);
    // Header names and harmless values stay readable; the run still replays.
    expect(text).toContain('"x-goog-api-key":"[redacted]"');
    expect(text).toContain('"x-title":"demo"');
    expect(replayRun(text).events.at(-1)?.type).toBe("agent_end");
    // A snapshot drops the same headers.
    const snapshot = JSON.stringify(persistAgent(agent));
    for (const value of Object.values(secrets)) expect(snapshot, value).not.toContain(value);
  });
});

describe("bad recordings", () => {
  const good = async () => (await recordScenario([{ text: "ok" }], {}, (agent) => agent.prompt("hi"))).recording.lines;

  it("a truncated file names its last line", async () => {
    const lines = await good();
    const text = lines.join("\n").slice(0, -10);
    expect(() => replayRun(text)).toThrow(RecordingError);
    expect(() => replayRun(text)).toThrow(new RegExp(`^Recording line ${lines.length}: not valid JSON .*truncated`));
  });

  it("an unknown event names its line", async () => {
    const lines = [...(await good())];
    lines.splice(2, 0, JSON.stringify({ kind: "event", t: 1, to: "root", from: null, event: { type: "agent.dance" } }));
    expect(() => replayRun(lines)).toThrow('Recording line 3: unknown event "agent.dance" for actor "root"');
  });

  it("a wrong version or a foreign file names line 1", async () => {
    const lines = [...(await good())];
    lines[0] = lines[0]!.replace('"version":1', '"version":99');
    expect(() => replayRun(lines)).toThrow("Recording line 1: unsupported recording version 99; this tinyagent reads version 1.");
    expect(() => replayRun('{"hello":1}\n')).toThrow(/^Recording line 1: expected a header/);
    expect(() => replayRun("")).toThrow("Recording line 1: the recording is empty");
  });

  it("a recording that does not match the machine is caught where it diverges", async () => {
    const lines = (await good()).filter((line) => !line.startsWith('{"kind":"clock"'));
    const withToolDone = [...lines, JSON.stringify({ kind: "event", t: 1, to: "root", from: "tool-1-0", event: { type: "tool.done" } })];
    expect(() => replayRun(withToolDone)).toThrow(`Recording line ${withToolDone.length}: the replay diverged`);
  });
});
