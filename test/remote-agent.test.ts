import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  Agent,
  AgentError,
  defineTool,
  remoteAgent,
  selectIsAwaitingApproval,
  selectIsBusy,
  selectPendingApprovals,
  selectStateName,
  selectTranscript,
  selectUsage,
  type AgentEvent,
  type AgentTool,
  type RemoteAgent,
  type RemoteAgentSnapshot,
} from "../src/index.js";
import { agentRequestHandler, nodeHandler } from "../src/server/index.js";
import { createFauxProvider, type FauxScript } from "../src/testing.js";
import { expectValidTranscript } from "./helpers/transcript.js";

const sum = defineTool({
  name: "sum",
  description: "Adds numbers.",
  parameters: z.object({ numbers: z.array(z.number()) }),
  async execute(_id, { numbers }, _signal, onUpdate) {
    onUpdate({ content: [{ type: "text", text: "adding" }] });
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

const scripts: Record<string, FauxScript> = {
  tool: [
    { thinking: "The user wants a sum.", toolCalls: [{ name: "sum", arguments: { numbers: [2, 3] } }], chunkSize: 3 },
    { text: "The sum of 2 and 3 is 5, as the sum tool says.", chunkSize: 3 },
  ],
  approval: [{ toolCalls: [{ name: "clock", arguments: {} }] }, { text: "It is 12:00." }],
};

const agents = new Map<string, Agent>();
let server: Server;
let url: string;
const remotes: RemoteAgent[] = [];

beforeAll(async () => {
  const handle = agentRequestHandler({
    agent: (sessionId) => {
      const script = scripts[sessionId.split("-")[0]!];
      if (!script) return undefined;
      const faux = createFauxProvider(script);
      const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [sum, clock] as AgentTool[] });
      agents.set(sessionId, agent);
      return agent;
    },
  });
  server = createServer(nodeHandler(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent`;
});
afterAll(async () => {
  for (const remote of remotes) remote.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function connect(sessionId: string): RemoteAgent {
  const remote = remoteAgent({ url, sessionId, reconnectDelayMs: 5 });
  remotes.push(remote);
  return remote;
}

const until = (remote: RemoteAgent, predicate: (snapshot: RemoteAgentSnapshot) => boolean) =>
  new Promise<RemoteAgentSnapshot>((resolve) => {
    const check = (snapshot: RemoteAgentSnapshot) => predicate(snapshot) && (subscription.unsubscribe(), resolve(snapshot));
    const subscription = remote.actor.subscribe(check);
    check(remote.actor.getSnapshot());
  });

/** The mirror shows what the server's own snapshot shows, through the same selectors. */
function expectMirrors(remote: RemoteAgent, agent: Agent) {
  const mine = remote.actor.getSnapshot();
  const theirs = agent.actor.getSnapshot();
  expect(mine.value).toEqual(theirs.value);
  expect(mine.context.messages).toEqual(theirs.context.messages);
  expect(mine.context.streamMessage).toEqual(theirs.context.streamMessage);
  for (const select of [selectTranscript, selectUsage, selectStateName, selectIsBusy, selectIsAwaitingApproval, selectPendingApprovals]) {
    expect(select(mine)).toEqual(select(theirs));
  }
  for (const type of ["agent.prompt", "agent.abort", "agent.approve", "agent.reject", "agent.steer"] as const) {
    expect(mine.can({ type }), type).toBe(theirs.can({ type, messages: [], message: { role: "user", content: "", timestamp: 0 } } as never));
  }
}

describe("remoteAgent against agentRequestHandler (loopback)", () => {
  it("mirrors a tool run: the same events, transcript, state and can(); prompt resolves with the last message", async () => {
    const remote = connect("tool-1");
    await until(remote, (s) => s.context.connection === "open" && s.context.lastEventId !== undefined);
    const seen: AgentEvent[] = [];
    remote.subscribe((event) => seen.push(event));
    const serverEvents: AgentEvent[] = [];
    const last = await remote.prompt("What is 2 + 3?");
    expect(last?.content).toEqual([{ type: "text", text: "The sum of 2 and 3 is 5, as the sum tool says." }]);
    const agent = agents.get("tool-1")!;
    agent.subscribe((event) => serverEvents.push(event));
    await until(remote, (s) => s.value === "idle" && s.can({ type: "agent.prompt" }));
    expectMirrors(remote, agent);
    expectValidTranscript(remote.actor.getSnapshot().context.messages);
    const outline = seen.filter((e) => e.type !== "message_update").map((e) => e.type);
    expect(outline).toEqual([
      "agent_start",
      "turn_start",
      "message_start",
      "message_end",
      "message_start",
      "message_end",
      "tool_execution_start",
      "tool_execution_update",
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
    // Rebuilt events are whole: deltas join to the final text, ends carry their messages.
    const deltas = seen.flatMap((e) => (e.type === "message_update" && e.assistantMessageEvent.type === "text_delta" ? [e.assistantMessageEvent.delta] : []));
    expect(deltas.join("")).toBe("The sum of 2 and 3 is 5, as the sum tool says.");
    const thinkingEnd = seen.find((e) => e.type === "message_update" && e.assistantMessageEvent.type === "thinking_end");
    expect(thinkingEnd).toMatchObject({ assistantMessageEvent: { content: "The user wants a sum." } });
    const ends = seen.filter((e) => e.type === "turn_end" || e.type === "agent_end");
    expect(ends[0]).toMatchObject({ type: "turn_end", toolResults: [{ role: "toolResult", toolName: "sum" }] });
    expect((ends.at(-1) as { messages: unknown[] }).messages).toEqual(agent.state.messages);
  });

  it("waits for approval like the server agent (selectors, can(id)); a prompt while busy rejects with agent-busy", async () => {
    const remote = connect("approval-1");
    const run = remote.prompt("What time is it?");
    const waiting = await until(remote, selectIsAwaitingApproval);
    const agent = agents.get("approval-1")!;
    expectMirrors(remote, agent);
    const [call] = selectPendingApprovals(waiting);
    expect(waiting.can({ type: "agent.approve", toolCallId: call!.toolCallId })).toBe(true);
    expect(waiting.can({ type: "agent.approve", toolCallId: "call_other" })).toBe(false);
    await expect(remote.prompt("And the date?")).rejects.toThrow(
      new AgentError("agent-busy", "Agent is busy with a run: use steer() or followUp(), or await agent.waitForIdle() before prompt()."),
    );
    await remote.approve(call!.toolCallId);
    expect((await run)?.content).toEqual([{ type: "text", text: "It is 12:00." }]);
    await until(remote, (s) => s.value === "idle" && s.can({ type: "agent.prompt" }));
    expectMirrors(remote, agent);
  });

  it("reconnects after the connection drops mid-run and converges on the server's state", async () => {
    const remote = connect("approval-2");
    const run = remote.prompt("What time is it?");
    const waiting = await until(remote, selectIsAwaitingApproval);
    const lastBefore = waiting.context.lastEventId!;
    server.closeAllConnections(); // drops the event stream
    await until(remote, (s) => s.context.connection === "reconnecting");
    await until(remote, (s) => s.context.connection === "open");
    await remote.approve(selectPendingApprovals(waiting)[0]!.toolCallId);
    await run;
    await until(remote, (s) => s.value === "idle" && s.can({ type: "agent.prompt" }));
    expectMirrors(remote, agents.get("approval-2")!);
    expect(remote.actor.getSnapshot().context.lastEventId!.split("-")[0]).toBe(lastBefore.split("-")[0]);
  });

  it("an unknown session closes the stream with the server's reason (no endless retries)", async () => {
    const remote = connect("missing-1");
    const closed = await until(remote, (s) => s.context.connection === "closed");
    expect(closed.context.connectionError).toBe('The agent server answered 404: Unknown session "missing-1": this server has no such session.');
  });
});
