import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, defineTool, type AgentMessage, type AgentTool } from "../src/index.js";
import { agentRequestHandler, nodeHandler, type AgentRequestHandler } from "../src/server/index.js";
import { createFauxProvider, type FauxScript } from "../src/testing.js";
import { frameReader, isAgentEvent } from "./helpers/sse-frames.js";
import { deferred, expectValidTranscript } from "./helpers/transcript.js";

const sum = defineTool({
  name: "sum",
  description: "Adds numbers.",
  parameters: z.object({ numbers: z.array(z.number()) }),
  async execute(_id, { numbers }) {
    return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] };
  },
});
const clock = defineTool({
  name: "clock",
  description: "Reads the clock.",
  parameters: z.object({}),
  requiresApproval: true,
  async execute() {
    return { content: [{ type: "text", text: "12:00" }] };
  },
});

const toolRun: FauxScript = [{ toolCalls: [{ name: "sum", arguments: { numbers: [2, 3] } }] }, { text: "The sum is 5." }];
const approvalRun: FauxScript = [{ toolCalls: [{ name: "clock", arguments: {} }] }, { text: "It is 12:00." }];

/** Scripts by session id prefix; "missing-…" sessions do not exist. */
const scripts: Record<string, () => FauxScript> = {
  tool: () => toolRun,
  approval: () => approvalRun,
  long: () => [{ text: "x".repeat(200_000), chunkSize: 4 }],
};

const agents = new Map<string, Agent>();
function makeAgent(sessionId: string): Agent | undefined {
  const script = scripts[sessionId.split("-")[0]!];
  if (!script) return undefined;
  const faux = createFauxProvider(script());
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [sum, clock] as AgentTool[] });
  agents.set(sessionId, agent);
  return agent;
}

let server: Server;
let base: string;
let handle: AgentRequestHandler;

beforeAll(async () => {
  handle = agentRequestHandler({
    agent: (sessionId) => makeAgent(sessionId),
    authorize: (request) => request.headers.get("authorization") !== "Bearer wrong",
    heartbeatMs: 25,
    replay: { maxFrames: 200 },
  });
  server = createServer(nodeHandler(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/sessions/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const events = (sessionId: string, lastEventId?: string, signal?: AbortSignal) =>
  fetch(`${base}/sessions/${sessionId}/events`, { headers: lastEventId ? { "Last-Event-ID": lastEventId } : {}, signal });

describe("agentRequestHandler over node:http (loopback)", () => {
  it("streams a snapshot, then every event of a tool run, and converges on the server's transcript", async () => {
    const stream = frameReader(await events("tool-1"));
    const [first] = await stream.until((f) => f.event !== undefined);
    expect(first!.event).toBe("snapshot");
    expect(first!.data).toMatchObject({ value: "idle", messages: [], streamMessage: null, can: { prompt: true, abort: false } });
    const accepted = await post("tool-1/prompt", { content: "What is 2 + 3?" });
    expect(accepted.status).toBe(202);
    const frames = await stream.until(isAgentEvent("agent_end"));
    const outline = frames.filter((f) => f.event === "agent" && f.data.type !== "message_update").map((f) => f.data.type);
    expect(outline).toEqual([
      "agent_start",
      "turn_start",
      "message_start",
      "message_end",
      "message_start",
      "message_end",
      "tool_execution_start",
      "tool_execution_end",
      "message_start",
      "message_end",
      "turn_end",
      "turn_start",
      "message_start",
      "message_end",
      "turn_end",
      "agent_end",
    ]);
    // Ids are consecutive: nothing skipped, nothing twice.
    const seqs = [first, ...frames].map((f) => Number(f!.id!.split("-")[1]));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    // What the client already has is not sent again: agent_end names how many messages the run added.
    expect(frames.at(-1)!.data).toEqual({ type: "agent_end", messages: 4 });
    const ends = frames.filter(isAgentEvent("message_end")).map((f) => f.data.message);
    expect(ends).toEqual(agents.get("tool-1")!.state.messages);
    // The snapshot after the run (status frames included) says idle again.
    const status = await stream.until((f) => f.event === "status" && f.data.value === "idle");
    expect(status.at(-1)!.data.can).toMatchObject({ prompt: true, abort: false });
    await stream.close();
    const snapshot = (await (await fetch(`${base}/sessions/tool-1`)).json()) as { messages: AgentMessage[] };
    expect(snapshot.messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "The sum is 5." }] });
    expectValidTranscript(snapshot.messages);
  });

  it("one run per session: a prompt while busy gets 409 saying what to do; approve lets the waiting call run", async () => {
    const stream = frameReader(await events("approval-1"));
    await post("approval-1/prompt", { content: "What time is it?" });
    const frames = await stream.until((f) => f.event === "status" && f.data.tags.includes("awaitingApproval"));
    const waiting = frames.at(-1)!.data;
    expect(waiting.can).toMatchObject({ prompt: false, approve: true, reject: true, abort: true, steer: true });
    const busy = await post("approval-1/prompt", { content: "Hello?" });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toEqual({
      code: "agent-busy",
      error: "Agent is busy with a run: use steer() or followUp(), or await agent.waitForIdle() before prompt().",
    });
    const wrongCall = await post("approval-1/approve", { toolCallId: "call_nope" });
    expect(wrongCall.status).toBe(409);
    expect(((await wrongCall.json()) as { error: string }).error).toContain('No tool call "call_nope" is waiting for approval (waiting: call_1)');
    expect((await post("approval-1/approve", { toolCallId: "call_1" })).status).toBe(202);
    const rest = await stream.until(isAgentEvent("agent_end"));
    expect(rest.filter(isAgentEvent("message_end")).at(-1)!.data.message.content[0].text).toBe("It is 12:00.");
    await stream.close();
  });

  it("Last-Event-ID resumes without loss or duplicates; an id no longer in the ring gets a fresh snapshot", async () => {
    const gone = new AbortController();
    const stream = frameReader(await events("approval-2", undefined, gone.signal));
    await post("approval-2/prompt", { content: "What time is it?" });
    const before = await stream.until((f) => f.event === "status" && f.data.tags.includes("awaitingApproval"));
    const lastId = before.at(-1)!.id!;
    gone.abort(); // the client drops off mid-run …
    await post("approval-2/approve", { toolCallId: "call_1" });
    await agents.get("approval-2")!.waitForIdle(); // … and the run finishes without it
    const resumed = frameReader(await events("approval-2", lastId));
    const after = await resumed.until(isAgentEvent("agent_end"));
    const [epoch, seq] = lastId.split("-");
    expect(after.map((f) => f.id)).toEqual(after.map((_, i) => `${epoch}-${Number(seq) + 1 + i}`));
    expect(after[0]!.event).not.toBe("snapshot");
    const all = [...before, ...after].filter((f) => f.event === "agent" && f.data.type === "message_end");
    expect(all.map((f) => f.data.message.role)).toEqual(["user", "assistant", "toolResult", "assistant"]);
    await resumed.close();
    // An id of another epoch (a restarted server) or out of the ring: start over from a snapshot.
    const stale = frameReader(await events("approval-2", "oldepoch-3"));
    const [snapshot] = await stale.until((f) => f.event !== undefined);
    expect(snapshot!.event).toBe("snapshot");
    expect(snapshot!.data.messages).toHaveLength(4);
    const [snapshotEpoch, snapshotSeq] = snapshot!.id!.split("-");
    expect(snapshotEpoch).toBe(epoch);
    expect(Number(snapshotSeq)).toBeGreaterThanOrEqual(Number(after.at(-1)!.id!.split("-")[1]));
    await stale.close();
  });

  it("sends heartbeats on an idle stream", async () => {
    const stream = frameReader(await events("tool-heartbeat"));
    const frames = await stream.until((f) => f.comment === "ping");
    expect(frames.at(-1)!.comment).toBe("ping");
    await stream.close();
  });

  it("answers bad requests with clear 4xx", async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [fetch(`${base}/sessions/missing-1/events`), 404, /Unknown session "missing-1"/],
      [fetch(`${base}/nowhere`), 404, /No route for \/api\/agent\/nowhere/],
      [post("tool-2/explode", {}), 404, /Unknown command "explode": use one of prompt, steer, followUp, abort, approve, reject/],
      [fetch(`${base}/sessions/tool-2/prompt`), 405, /GET is not allowed .*: use POST/],
      [fetch(`${base}/sessions/tool-2/events`, { method: "POST" }), 405, /POST is not allowed .*: use GET/],
      [post("tool-2/prompt", "{not json"), 400, /Request body is not JSON/],
      [post("tool-2/prompt", { text: "hi" }), 400, /Invalid prompt body: .*content[\s\S]*Expected e.g. \{"content":"Hello"\}/],
      [post("tool-2/approve", {}), 400, /Invalid approve body/],
      [post("tool-2/prompt", { content: "x".repeat(2 * 1024 * 1024) }), 413, /limit is 1048576/],
      [post("bad%20id/prompt", { content: "hi" }), 400, /Invalid session id "bad id"/],
      [post("tool-2/prompt", { content: "hi" }, { Authorization: "Bearer wrong" }), 401, /Not authorized/],
    ];
    for (const [response, status, error] of cases) {
      const res = await response;
      expect(res.status, error.source).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(error);
    }
    const wrongMethod = await fetch(`${base}/sessions/tool-2/abort`);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });
});

describe("agentRequestHandler with a slow client (the handler called directly: nobody reads the body)", () => {
  it("never stalls the agent: deltas wait merged, and the client still rebuilds the same text", async () => {
    const response = await handle(new Request("http://local/sessions/long-1/events"));
    await handle(new Request("http://local/sessions/long-1/prompt", { method: "POST", body: JSON.stringify({ content: "go" }) }));
    const agent = agents.get("long-1")!;
    await agent.waitForIdle(); // 50,000 deltas, none read yet
    const stream = frameReader(response);
    const frames = await stream.until(isAgentEvent("agent_end"));
    const deltas = frames.filter((f) => f.event === "agent" && f.data.update?.type === "text_delta");
    expect(deltas.length).toBeLessThan(2_000); // of 50,000
    const text = deltas.map((f) => f.data.update.delta).join("");
    expect(text).toBe("x".repeat(200_000));
    await stream.close();
  });

  it("ends a stream whose client fell too far behind (it resumes by id), and the run still finishes", async () => {
    const small = agentRequestHandler({ agent: (sessionId) => makeAgent(sessionId), maxBufferedBytes: 10_000 });
    const response = await small(new Request("http://local/sessions/long-2/events"));
    await small(new Request("http://local/sessions/long-2/prompt", { method: "POST", body: JSON.stringify({ content: "go" }) }));
    await agents.get("long-2")!.waitForIdle();
    const stream = frameReader(response);
    const done = deferred<boolean>();
    void (async () => {
      for (;;) {
        const frame = await stream.next();
        if (!frame) return done.resolve(true);
        if (frame.event === "agent" && frame.data.type === "agent_end") return done.resolve(false);
      }
    })();
    expect(await done.promise).toBe(true); // ended before agent_end: the client reconnects with its last id
  });
});
