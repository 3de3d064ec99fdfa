import { describe, expect, it } from "vitest";
import {
  Agent,
  AgentError,
  createMemoryStore,
  type AgentSessionRecord,
  INTERRUPTED_TOOL_RESULT,
  type AgentMessage,
  type AgentTool,
  type SessionStore,
} from "../src/index.js";
import { createFauxProvider, type FauxResponse } from "../src/testing.js";
import { mortalStore, sessionBackends, type MortalStore } from "./helpers/session-stores.js";
import { deferred, expectValidTranscript, recordEvents, until } from "./helpers/transcript.js";

/** One "process": its own tools and model, sharing `ran`, the log of executions kept outside every process. */
function world(ran: string[], options: { holdTools?: boolean; holdModel?: boolean; calls?: string[] } = {}) {
  const gate = deferred();
  const tool = (name: string, extra: Partial<AgentTool> = {}): AgentTool => ({
    name,
    description: `the ${name} tool`,
    parameters: { type: "object", properties: { n: { type: "number" } } },
    async execute(id) {
      ran.push(`${name}:${id}`);
      if (options.holdTools && name !== "quick") await gate.promise;
      return { content: [{ type: "text", text: `${name} ok` }] };
    },
    ...extra,
  });
  const tools = [tool("safe", { replay: "safe" }), tool("once"), tool("quick"), tool("guarded", { requiresApproval: true })];
  const calls = options.calls ?? ["safe", "once"];
  // The same reply in every process: tool calls to a prompt, a summary once the results are in.
  const faux = createFauxProvider((context) => {
    const last = context.messages.at(-1);
    if (options.holdModel) return { text: "an answer that never ends", hold: new Promise(() => {}) } satisfies FauxResponse;
    if (last?.role === "user") return { toolCalls: calls.map((name, n) => ({ name, arguments: { n } })) };
    return { text: "All done." };
  });
  return { tools, faux, gate, options: { tools, model: faux.model, streamFn: faux.streamFn } };
}

function texts(messages: readonly AgentMessage[]): string[] {
  return messages.map((message) => {
    const content = (message as { content: unknown }).content;
    if (typeof content === "string") return `${message.role}:${content}`;
    const parts = (content as { type: string; text?: string; name?: string }[]).map((block) => block.text ?? block.name ?? block.type);
    return `${message.role}:${parts.join("|")}`;
  });
}

/** Opens `sessionId` in a first process on `mortal`, prompts, and waits for it to die there. */
async function firstProcess(sessionId: string, mortal: MortalStore, process: ReturnType<typeof world>) {
  const agent = await Agent.open(sessionId, { store: mortal.store, ...process.options });
  void agent.prompt("go").catch(() => {});
  await mortal.dead;
  return agent;
}

describe.each(sessionBackends())("Agent.open on the %s store", (_name, make) => {
  /** Every record that reached the store holds a valid transcript. */
  const checkRecords = (mortal: MortalStore) => {
    for (const record of mortal.records) expectValidTranscript(record.agent.messages);
  };

  it("creates a session, and a reopened one has its transcript, usage and settings", async () => {
    const store = make();
    const ran: string[] = [];
    const a = await Agent.open("s", { store, ...world(ran, { calls: ["quick"] }).options, systemPrompt: "Be brief." });
    await a.prompt("go");
    const b = await Agent.open("s", { store, ...world(ran).options });
    expect(texts(b.state.messages)).toEqual(["user:go", "assistant:quick", "toolResult:quick ok", "assistant:All done."]);
    expect(b.state.systemPrompt).toBe("Be brief.");
    expect(b.sessionId).toBe("s");
    expect(b.actor.getSnapshot().value).toBe("idle");
    expect(ran).toEqual(["quick:call_1"]);
  });

  it("at the run's input (the model call cut off mid-stream): the call is made again", async () => {
    const base = make();
    const mortal = mortalStore(base);
    const ran: string[] = [];
    const first = world(ran, { holdModel: true });
    const a = await Agent.open("s", { store: mortal.store, ...first.options });
    void a.prompt("go");
    // Mid-stream, once the run's input is in the store (the model call does not wait for it).
    await until(() => a.state.streamMessage !== null && mortal.records.some((record) => record.run?.state === "streaming"));
    mortal.die();
    const second = world(ran, { calls: ["quick"] });
    const b = await Agent.open("s", { store: base, ...second.options });
    await b.waitForIdle();
    expect(texts(b.state.messages)).toEqual(["user:go", "assistant:quick", "toolResult:quick ok", "assistant:All done."]);
    expect(second.faux.calls).toHaveLength(2);
    expectValidTranscript(b.state.messages);
    checkRecords(mortal);
  });

  it("at a finished assistant message: in-flight calls rerun when replay is safe, else are answered as interrupted", async () => {
    const base = make();
    const mortal = mortalStore(base);
    const ran: string[] = [];
    const first = world(ran, { holdTools: true });
    const a = await Agent.open("s", { store: mortal.store, ...first.options });
    void a.prompt("go");
    await until(() => ran.length === 2); // both tools started in the first process, neither finished
    mortal.die();
    const b = await Agent.open("s", { store: base, ...world(ran).options });
    await b.waitForIdle();
    expect(ran).toEqual(["safe:call_1", "once:call_2", "safe:call_1"]);
    const results = b.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => [r.toolName, r.isError])).toEqual([
      ["safe", false],
      ["once", true],
    ]);
    expect(texts([results[1]!])).toEqual([`toolResult:${INTERRUPTED_TOOL_RESULT}`]);
    expect(texts(b.state.messages).at(-1)).toBe("assistant:All done.");
    expectValidTranscript(b.state.messages);
    checkRecords(mortal);
  });

  it("at a checkpointed assistant message: a tool that is not replay-safe never ran before its call was saved", async () => {
    const base = make();
    const ran: string[] = [];
    // Dies right after the assistant message is saved, before the save is acknowledged:
    // "once" waits for that acknowledgement, so it never ran here; "safe" need not wait.
    const mortal = mortalStore(base, (record) => record.run?.state === "executingTools");
    await firstProcess("s", mortal, world(ran));
    expect(ran.filter((entry) => entry.startsWith("once"))).toEqual([]);
    const b = await Agent.open("s", { store: base, ...world(ran).options });
    await b.waitForIdle();
    expect(ran.filter((entry) => entry.startsWith("once"))).toEqual([]);
    expect(ran.at(-1)).toBe("safe:call_1");
    expect(b.state.messages.filter((m) => m.role === "toolResult").map((r) => r.isError)).toEqual([false, true]);
    checkRecords(mortal);
  });

  it("at a tool result: finished results are kept and never rerun", async () => {
    const base = make();
    const ran: string[] = [];
    const mortal = mortalStore(base, (record) => record.run?.batch?.results.some((result) => result !== null) === true);
    const first = world(ran, { holdTools: true, calls: ["quick", "once", "safe"] });
    await firstProcess("s", mortal, first);
    expect(ran.toSorted()).toEqual(["once:call_2", "quick:call_1", "safe:call_3"]);
    const second = world(ran, { calls: ["quick", "once", "safe"] });
    const b = await Agent.open("s", { store: base, ...second.options });
    const log = recordEvents(b);
    await b.waitForIdle();
    expect(ran.toSorted()).toEqual(["once:call_2", "quick:call_1", "safe:call_3", "safe:call_3"]);
    const results = b.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => [r.toolName, r.isError])).toEqual([
      ["quick", false],
      ["once", true],
      ["safe", false],
    ]);
    // Subscribed after open: every result of the reopened run is seen entering the transcript, then the next turn.
    const ended = log.events.filter((event) => event.type === "message_end").map((event) => texts([event.message])[0]);
    expect(ended).toEqual([`toolResult:${INTERRUPTED_TOOL_RESULT}`, "toolResult:safe ok", "assistant:All done."]);
    expect(log.outline().at(-1)).toBe("agent_end");
    expect(second.faux.calls).toHaveLength(1);
    expectValidTranscript(b.state.messages);
    checkRecords(mortal);
  });

  it("waiting for approval: still waiting after reopening, holding no timer, and approve applies", async () => {
    const base = make();
    const ran: string[] = [];
    const mortal = mortalStore(base, (record) => record.run?.batch?.statuses.includes("awaitingApproval") === true);
    await firstProcess("s", mortal, world(ran, { calls: ["guarded"] }));
    const b = await Agent.open("s", { store: base, ...world(ran).options });
    expect(b.actor.getSnapshot().hasTag("awaitingApproval")).toBe(true);
    expect([...b.state.pendingToolCalls]).toEqual(["call_1"]);
    expect(b.actor.getSnapshot().can({ type: "agent.approve", toolCallId: "call_1" })).toBe(true);
    // Reopen once more, as after a second restart days later: still waiting.
    const c = await Agent.open("s", { store: base, ...world(ran).options });
    expect(c.actor.getSnapshot().hasTag("awaitingApproval")).toBe(true);
    c.approve("call_1");
    await c.waitForIdle();
    expect(ran).toEqual(["guarded:call_1"]);
    expect(texts(c.state.messages)).toEqual(["user:go", "assistant:guarded", "toolResult:guarded ok", "assistant:All done."]);
    checkRecords(mortal);
  });

  it("waiting for approval: reject after reopening gives the model the reason", async () => {
    const base = make();
    const ran: string[] = [];
    const mortal = mortalStore(base, (record) => record.run?.batch?.statuses.includes("awaitingApproval") === true);
    await firstProcess("s", mortal, world(ran, { calls: ["guarded", "quick"] }));
    const b = await Agent.open("s", { store: base, ...world(ran).options });
    b.reject("call_1", "not today");
    await b.waitForIdle();
    // "quick" was waiting for the checkpoint that showed the approval when the first process died: answered as interrupted.
    expect(ran).toEqual([]);
    const results = b.state.messages.filter((m) => m.role === "toolResult");
    expect(texts(results)).toEqual([expect.stringContaining("not today"), `toolResult:${INTERRUPTED_TOOL_RESULT}`]);
    expectValidTranscript(b.state.messages);
  });

  it("at the run's end: the session is idle and takes the next prompt", async () => {
    const base = make();
    const ran: string[] = [];
    const mortal = mortalStore(base, (record) => record.run === undefined && record.agent.messages.length > 0);
    await firstProcess("s", mortal, world(ran, { calls: ["quick"] }));
    const b = await Agent.open("s", { store: base, ...world(ran, { calls: ["quick"] }).options });
    expect(b.actor.getSnapshot().value).toBe("idle");
    await b.prompt("again");
    expect(texts(b.state.messages)).toHaveLength(8);
    expect(ran).toEqual(["quick:call_1", "quick:call_1"]);
    expectValidTranscript(b.state.messages);
  });

  it("fences a stale writer: once another process opened the session, the old agent's next save is refused and its run stops", async () => {
    const store = make();
    const ran: string[] = [];
    const first = world(ran, { holdTools: true, calls: ["once"] });
    const lost: AgentError[] = [];
    const a = await Agent.open("s", { store, ...first.options, onLost: (error) => lost.push(error) });
    const running = a.prompt("go");
    await until(() => ran.length === 1);
    const b = await Agent.open("s", { store, ...world(ran).options });
    await b.waitForIdle();
    first.gate.resolve(); // the old process's tool finishes; its result must not reach the store
    await expect(running).rejects.toMatchObject({ code: "session-conflict" });
    expect(lost.map((error) => error.code)).toEqual(["session-conflict"]);
    expect(() => a.steer("more")).toThrow(/was saved by another writer/);
    await expect(a.prompt("more")).rejects.toBeInstanceOf(AgentError);
    const reopened = await Agent.open("s", { store, ...world(ran).options });
    expect(texts(reopened.state.messages)).toEqual(texts(b.state.messages));
    expect(texts(reopened.state.messages)).toContain(`toolResult:${INTERRUPTED_TOOL_RESULT}`);
  });
});

describe("Agent.open checkpoints", () => {
  /** A memory store that counts saves and checks each record. */
  function countingStore() {
    const base = createMemoryStore();
    const saved: string[] = [];
    const store: SessionStore = {
      ...base,
      save: (id, record, version) => {
        saved.push(JSON.stringify(record));
        return base.save(id, record, version);
      },
    };
    return { store, saved };
  }

  it("never writes per delta: a 5000-delta answer costs the same writes as a 5-delta one", async () => {
    const counts: number[] = [];
    for (const length of [20, 20_000]) {
      const { store, saved } = countingStore();
      const faux = createFauxProvider([{ text: "x".repeat(length), chunkSize: 4 }]);
      const agent = await Agent.open("long", { store, model: faux.model, streamFn: faux.streamFn });
      const log = recordEvents(agent);
      await agent.prompt("write");
      expect(log.types().filter((type) => type === "message_update").length).toBeGreaterThanOrEqual(length / 4);
      counts.push(saved.length);
    }
    // Open, the run's input with the finished answer (the faux stream ends in the macrotask it began: one write), the run's end.
    expect(counts).toEqual([3, 3]);
  });

  it("coalesces durable points that fall due in one macrotask: eight parallel results settling together cost one write", async () => {
    const { store, saved } = countingStore();
    const faux = createFauxProvider((context) =>
      context.messages.at(-1)?.role === "user" ? { toolCalls: Array.from({ length: 8 }, (_, n) => ({ name: "io", arguments: { n } })) } : { text: "done" },
    );
    const io: AgentTool = {
      name: "io",
      description: "settles on the next I/O turn, with the others",
      parameters: { type: "object", properties: { n: { type: "number" } } },
      execute: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return { content: [{ type: "text", text: "ok" }] };
      },
    };
    const agent = await Agent.open("parallel", { store, model: faux.model, streamFn: faux.streamFn, tools: [io] });
    await agent.prompt("go");
    const records = saved.map((text) => JSON.parse(text) as AgentSessionRecord);
    const withResults = records.filter((record) => record.run?.batch?.results.some((result) => result !== null));
    expect(withResults.map((record) => record.run!.batch!.results.filter((result) => result !== null).length)).toEqual([8]);
    expectValidTranscript(records.at(-1)!.agent.messages);
    expect(records.at(-1)!.agent.messages).toHaveLength(11);
  });

  it("keeps one record whose size does not grow with the checkpoints taken", async () => {
    const { store, saved } = countingStore();
    const ran: string[] = [];
    const agent = await Agent.open("grow", { store, ...world(ran, { calls: ["quick"] }).options });
    const overheads = new Set<number>();
    for (let run = 0; run < 10; run++) {
      await agent.prompt("go");
      const record = JSON.parse(saved.at(-1)!) as AgentSessionRecord;
      expect(record.agent.messages).toEqual(agent.state.messages);
      // Everything but the transcript and the usage totals (whose digits vary): the same bytes after 4 checkpoints or 40.
      overheads.add(JSON.stringify({ ...record, agent: { ...record.agent, messages: [], usage: null } }).length);
    }
    expect(saved.length).toBeGreaterThan(30);
    expect([...overheads]).toHaveLength(1);
  });

  it("resumes a sequential batch: the finished call is kept, the one in flight is answered, the queued one runs", async () => {
    const base = createMemoryStore();
    const ran: string[] = [];
    const first = world(ran, { holdTools: true, calls: ["quick", "once", "quick"] });
    const mortal = mortalStore(base);
    const a = await Agent.open("seq", { store: mortal.store, ...first.options, toolExecution: "sequential" });
    void a.prompt("go");
    await until(() => ran.length === 2 && mortal.records.some((record) => record.run?.batch?.results[0] != null));
    mortal.die();
    const b = await Agent.open("seq", { store: base, ...world(ran, { calls: ["quick", "once", "quick"] }).options, toolExecution: "sequential" });
    await b.waitForIdle();
    expect(ran).toEqual(["quick:call_1", "once:call_2", "quick:call_3"]);
    const results = b.state.messages.filter((m) => m.role === "toolResult");
    expect(results.map((r) => [r.toolCallId, r.isError])).toEqual([
      ["call_1", false],
      ["call_2", true],
      ["call_3", false],
    ]);
    expectValidTranscript(b.state.messages);
  });

  it("holds no timer for a call waiting for approval after reopening", async () => {
    const store = createMemoryStore();
    const ran: string[] = [];
    const mortal = mortalStore(store, (record) => record.run?.batch?.statuses.includes("awaitingApproval") === true);
    await firstProcess("wait", mortal, world(ran, { calls: ["guarded"] }));
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = timers();
    const agent = await Agent.open("wait", { store, ...world(ran).options });
    expect(agent.actor.getSnapshot().hasTag("awaitingApproval")).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the hand-over
    // At most as many as before: timers of other files sharing this worker may end meanwhile, none may be added.
    expect(timers()).toBeLessThanOrEqual(before);
    agent.approve("call_1");
    await agent.waitForIdle();
    expect(ran).toEqual(["guarded:call_1"]);
  });

  it("sets expiresAt (ttl) only when no run is in flight, so a finished session expires and a waiting one never does", async () => {
    const { store, saved } = countingStore();
    const ran: string[] = [];
    const agent = await Agent.open("ttl", { store, ...world(ran, { calls: ["guarded"] }).options, ttl: 60_000 });
    void agent.prompt("go");
    await until(() => agent.actor.getSnapshot().hasTag("awaitingApproval"));
    await until(() => (JSON.parse(saved.at(-1)!) as { run?: unknown }).run !== undefined && saved.length >= 2);
    const waiting = JSON.parse(saved.at(-1)!) as { expiresAt?: number };
    expect(waiting.expiresAt).toBeUndefined();
    const before = Date.now();
    agent.approve("call_1");
    await agent.waitForIdle();
    const after = Date.now();
    const ended = JSON.parse(saved.at(-1)!) as { expiresAt?: number };
    expect(ended.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(ended.expiresAt).toBeLessThanOrEqual(after + 60_000);
  });

  it("refuses bad options and foreign records with errors that say what to do", async () => {
    const store = createMemoryStore();
    await expect(Agent.open("x", {} as never)).rejects.toThrow(/needs \{ store \}/);
    await expect(Agent.open("", { store })).rejects.toThrow(/non-empty session id/);
    await expect(Agent.open("x", { store, ttl: -1 })).rejects.toThrow(/positive number of milliseconds/);
    await store.save("foreign", { hello: "world" }, null);
    await expect(Agent.open("foreign", { store })).rejects.toThrow(/not a tinyagent\.session\.v1 record/);
    await expect(
      Agent.open("x", {
        store,
        tools: [{ name: "t", description: "", parameters: { type: "object" }, execute: async () => ({ content: [] }), replay: "maybe" } as never],
      }),
    ).rejects.toThrow(/replay "maybe": use "safe"/);
  });
});
