import { readFileSync } from "node:fs";
import { Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AssistantMessageBuilder } from "../adapters/assistant-message-builder.js";
import {
  Agent,
  defineTool,
  persistAgent,
  streamOpenAICompatible,
  type AgentOptions,
  type AgentTool,
  type AssistantMessageEvent,
  type StreamFn,
} from "../src/index.js";
import { RecordingError, recordRun, replayRun, traceRun, type RunStep } from "../src/devtools/index.js";
import { decodeRunValue } from "../src/devtools/run-log.js";
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
    expect(header).toMatchObject({ kind: "tinyagent-run", version: 3, value: "idle" });
    expect(replay.steps.map((s) => s.event.type)).toContain("model.events");
    expect(replay.events.map((e) => e.type).at(-1)).toBe("agent_end");
    expect(replay.steps.map((s) => s.value)).toContainEqual({ streaming: "requesting" });
  });

  it("parallel tools with updates, over two turns", async () => {
    const { replay, recording } = await expectReplayMatches(
      recordScenario(
        [
          {
            toolCalls: [
              { name: "add", arguments: { a: 5, b: 1 } },
              { name: "add", arguments: { a: 1, b: 2 } },
              { name: "nope", arguments: {} },
            ],
          },
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
        [
          {
            toolCalls: [
              { name: "slow", arguments: {} },
              { name: "careful", arguments: {} },
            ],
          },
          { text: "steered" },
        ],
        { tools: [slow.tool, careful.tool] },
        async (agent) => {
          const run = agent.prompt("go");
          await until(
            () => agent.state.pendingToolCalls.size === 2 && agent.actor.getSnapshot().context.pendingToolCalls.some((c) => c.status === "awaitingApproval"),
          );
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
        [
          { text: "partial", error: "upstream exploded" },
          {
            toolCalls: [
              { name: "gate", arguments: {} },
              { name: "gate", arguments: {} },
            ],
          },
        ],
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
        [
          {
            toolCalls: [
              { name: "add", arguments: { a: 1, b: 1 } },
              { name: "add", arguments: { a: 2, b: 2 } },
            ],
          },
          { text: "never" },
        ],
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
      authorization: "Bearer sk-auth-1",
      "api-key": "sk-azure-2",
      "x-goog-api-key": "sk-goog-3",
      cookie: "session=sk-cookie-4",
      "proxy-authorization": "Basic sk-proxy-5",
      "x-auth-token": "sk-token-6",
      "x-api-key": "sk-anthropic-7",
      "X-Client-Secret": "sk-secret-8",
    };
    const faux = createFauxProvider([{ text: "ok" }, { text: "again" }]);
    const agent = new Agent({
      model: { ...faux.model, headers: { ...secrets, "x-title": "demo" } },
      streamFn: faux.streamFn,
      streamOptions: { apiKey: "sk-key-9", headers: secrets },
    });
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

/** A stream function that sends `text` in `size`-character deltas, each in its own macrotask (one machine step per delta, as a slow model does). */
function oneDeltaPerStep(text: string, size: number): StreamFn {
  return (model) =>
    new Observable<AssistantMessageEvent>((subscriber) => {
      const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (event) => subscriber.next(event));
      let at = 0;
      const next = () => {
        if (subscriber.closed) return;
        if (at >= text.length) return builder.finish("stop");
        builder.text(text.slice(at, (at += size)));
        setImmediate(next);
      };
      builder.start();
      setImmediate(next);
    });
}

/** `chars` characters of words in a deterministic, non-repeating order. */
function prose(chars: number): string {
  const words = "the agent streams a reply while tools run and the model thinks".split(" ");
  let seed = 7;
  let text = "";
  while (text.length < chars) text += `${words[((seed = (seed * 1103515245 + 12345) % 2 ** 31)) % words.length]} `;
  return text.slice(0, chars);
}

describe("recording size and trace cost", () => {
  it("a 16 KB reply: the recording stays under 100 KB and replays exactly, over HTTP and in-process", async () => {
    const text = prose(16_384);
    const server = await startFauxServer({ script: [{ text }], chunkSize: 4 });
    try {
      for (const options of [{ model: server.model, streamFn: streamOpenAICompatible }, {}]) {
        const { recording } = await expectReplayMatches(recordScenario([{ text, chunkSize: 4 }], options, (agent) => agent.prompt("hi")));
        expect(recording.text().length).toBeLessThan(100_000);
        // No event carries the partial message: only the finished message and the text_end event hold the whole text.
        expect(recording.text().split(text.slice(0, 4_000)).length - 1).toBeLessThanOrEqual(2);
      }
    } finally {
      await server.close();
    }
  });

  it("a 16 KB reply from a slow model (one 4-character delta per step): under 100 KB, replayed exactly", async () => {
    const { recording } = await expectReplayMatches(recordScenario([], { streamFn: oneDeltaPerStep(prose(16_384), 4) }, (agent) => agent.prompt("hi")));
    expect(recording.lines.length).toBeGreaterThan(4_096);
    // Written in full, each batch's envelope made this 670 KB: batches that continue the last one's block are terse lines.
    expect(recording.text().length).toBeLessThan(100_000);
    expect(recording.lines.filter((line) => line.startsWith("[")).length).toBeGreaterThan(4_000);
  });

  it("one step per delta of thinking, text and tool arguments, then a tool turn: terse lines replay exactly", async () => {
    let turn = 0;
    const steps: ((builder: AssistantMessageBuilder) => void)[] = [
      ...["Let ", "me ", "think."].map((delta) => (builder: AssistantMessageBuilder) => builder.thinking(delta)),
      ...["Look", "ing ", "up."].map((delta) => (builder: AssistantMessageBuilder) => builder.text(delta)),
      (builder) => builder.toolCall(0, { id: "call_1", name: "lookup", arguments: '{"q"' }),
      ...[':"te', "rse", '"}'].map((fragment) => (builder: AssistantMessageBuilder) => builder.toolCall(0, { arguments: fragment })),
    ];
    const streamFn: StreamFn = (model) =>
      new Observable<AssistantMessageEvent>((subscriber) => {
        const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (event) => subscriber.next(event));
        const plan = turn++ === 0 ? steps : [(b: AssistantMessageBuilder) => b.text("Found it.")];
        let at = 0;
        const next = () => {
          if (subscriber.closed) return;
          if (at === plan.length) return builder.finish(turn === 1 ? "toolUse" : "stop");
          plan[at++]!(builder);
          setImmediate(next);
        };
        builder.start();
        setImmediate(next);
      });
    const lookup: AgentTool = {
      name: "lookup",
      description: "Looks up.",
      parameters: { type: "object", properties: { q: { type: "string" } } },
      execute: async () => ({ content: [{ type: "text", text: "found" }] }),
    };
    const { recording } = await expectReplayMatches(recordScenario([], { streamFn, tools: [lookup] }, (agent) => agent.prompt("hi")));
    const terse = recording.lines.filter((line) => line.startsWith("["));
    expect(terse.map((line) => JSON.parse(line)[1])).toEqual(expect.arrayContaining(["me ", "think.", "ing ", "up.", "rse", '"}']));
  });

  it("one step per delta: the recording grows linearly with the reply, not with reply × deltas", async () => {
    const sizes: number[] = [];
    for (const chars of [500, 2_000]) {
      const { recording } = await expectReplayMatches(recordScenario([], { streamFn: oneDeltaPerStep(prose(chars), 8) }, (agent) => agent.prompt("hi")));
      sizes.push(recording.text().length);
    }
    // 4× the deltas: about 4× the bytes (a partial per event would make it 16×).
    expect(sizes[1]! / sizes[0]!).toBeLessThan(4.5);
  });

  it("a stream function that hands every event its own copy of the message, and rewrites it, still replays exactly", async () => {
    const copying: StreamFn = (model) =>
      new Observable<AssistantMessageEvent>((subscriber) => {
        const builder = new AssistantMessageBuilder({ api: model.api, provider: model.provider, model: model.id }, (event) => {
          if (!("partial" in event)) return subscriber.next(event);
          const partial = structuredClone(event.partial);
          // Not an append: the provider corrected its text, dropped a field, added a block.
          if (event.type === "text_delta" && event.delta === "o") (partial.content[0] as { text: string }).text = "corrected";
          if (event.type === "text_end") Object.assign(partial, { responseId: "r1", usage: { ...partial.usage, input: 3 } });
          subscriber.next({ ...event, partial } as AssistantMessageEvent);
        });
        builder.start();
        for (const delta of ["Hel", "l", "o", " world"]) builder.text(delta);
        queueMicrotask(() => builder.finish("stop"));
      });
    const { recording } = await expectReplayMatches(recordScenario([], { streamFn: copying }, (agent) => agent.prompt("hi")));
    expect(recording.text()).toContain('"partials":');
  });

  it("steps share the messages that settled in the transcript instead of copying them again", async () => {
    const history = Array.from({ length: 200 }, (_, i) => ({ role: "user" as const, content: `message ${i}`, timestamp: i }));
    const { live } = await recordScenario([{ text: "a reply in several deltas", chunkSize: 2 }], { messages: history }, (agent) => agent.prompt("hi"));
    const first = live[0]!.context.messages as unknown[];
    const last = live.at(-1)!.context.messages as unknown[];
    expect(last.length).toBe(202);
    for (let i = 0; i < first.length; i++) expect(last[i]).toBe(first[i]);
  });

  it("reads format 1 recordings (every event with its partial): a saved one replays to its saved live steps", () => {
    const recording = readFileSync(new URL("./fixtures/run-v1.jsonl", import.meta.url), "utf8");
    // Saved as a recording writes values (non-finite numbers kept), by the tinyagent that wrote format 1.
    const expected = decodeRunValue(readFileSync(new URL("./fixtures/run-v1.steps.json", import.meta.url), "utf8")) as unknown[];
    expect(JSON.parse(recording.split("\n")[0]!).version).toBe(1);
    expect(untimed(replayRun(recording).steps)).toEqual(expected);
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

  it("a terse delta line with nothing to continue, or of the wrong shape, names its line", async () => {
    const lines = [...(await good())];
    expect(() => replayRun([lines[0]!, '[3,"x"]', ...lines.slice(1)])).toThrow(
      "Recording line 2: a delta line continues a stream batch, but no model.events line with a delta comes before it.",
    );
    expect(() => replayRun([lines[0]!, "[3,7]"])).toThrow('Recording line 2: a delta line must be [dt, "delta", …]');
    // The same text as a full entry that is not JSON (one line parser for every form).
    expect(() => replayRun([lines[0]!, "[3,"])).toThrow("Recording line 2: not valid JSON (Unexpected end of JSON input); the file may be truncated: [3,");
  });

  it("an unknown event names its line", async () => {
    const lines = [...(await good())];
    lines.splice(2, 0, JSON.stringify({ kind: "event", t: 1, to: "root", from: null, event: { type: "agent.dance" } }));
    expect(() => replayRun(lines)).toThrow('Recording line 3: unknown event "agent.dance" for actor "root"');
  });

  it("a wrong version or a foreign file names line 1", async () => {
    const lines = [...(await good())];
    lines[0] = lines[0]!.replace('"version":3', '"version":99');
    expect(() => replayRun(lines)).toThrow("Recording line 1: unsupported recording version 99; this tinyagent reads versions 1, 2 and 3.");
    expect(() => replayRun('{"hello":1}\n')).toThrow(/^Recording line 1: expected a header/);
    expect(() => replayRun("")).toThrow("Recording line 1: the recording is empty");
  });

  it("a recording that does not match the machine is caught where it diverges", async () => {
    const lines = (await good()).filter((line) => !line.startsWith('{"kind":"clock"'));
    const withToolDone = [...lines, JSON.stringify({ kind: "event", t: 1, to: "root", from: "tool-1-0", event: { type: "tool.done" } })];
    expect(() => replayRun(withToolDone)).toThrow(`Recording line ${withToolDone.length}: the replay diverged`);
  });
});
