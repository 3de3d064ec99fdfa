import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, remoteAgent, type AgentEvent, type RemoteAgent } from "../src/index.js";
import { useAgent, type AgentLike } from "../src/react/index.js";
import { agentRequestHandler, nodeHandler } from "../src/server/index.js";
import { createFauxProvider } from "../src/testing.js";

const REPLY = "A reply long enough to stream in many small deltas, batched per network read.";
const agents = new Map<string, Agent>();
let server: Server;
let url: string;
let remote: RemoteAgent;

beforeAll(async () => {
  const handle = agentRequestHandler({
    agent: (sessionId) => {
      const faux = createFauxProvider(() => ({ text: REPLY, chunkSize: 2 }));
      const agent = new Agent({ model: faux.model, streamFn: faux.streamFn });
      agents.set(sessionId, agent);
      return agent;
    },
  });
  server = createServer(nodeHandler(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  remote?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function Chat({ agent }: { agent: AgentLike }) {
  const { transcript, state, can } = useAgent(agent);
  return createElement(
    "p",
    null,
    `${state} · ${transcript.length} messages · send ${can({ type: "agent.prompt" }) ? "on" : "off"} · stop ${can({ type: "agent.abort" }) ? "on" : "off"}`,
  );
}

describe("useAgent (tinyagent/react)", () => {
  it("renders the same UI for a local Agent and a remoteAgent of the same server agent", async () => {
    remote = remoteAgent({ url, sessionId: "chat-1" });
    await remote.prompt("Hi");
    await remote.waitForIdle();
    const local = agents.get("chat-1")!;
    const mine = renderToString(createElement(Chat, { agent: remote }));
    const theirs = renderToString(createElement(Chat, { agent: local }));
    expect(mine).toBe("<p>idle · 2 messages · send on · stop off</p>");
    expect(mine).toBe(theirs);
  });

  it("the remote actor makes one snapshot per network read, not one per delta (what useAgent renders on)", async () => {
    let snapshots = 0;
    const deltas: AgentEvent[] = [];
    const subscription = remote.actor.subscribe(() => snapshots++);
    remote.subscribe((event) => event.type === "message_update" && deltas.push(event));
    await remote.prompt("Again");
    subscription.unsubscribe();
    expect(deltas.length).toBeGreaterThan(REPLY.length / 2 - 1);
    expect(snapshots).toBeLessThan(deltas.length / 2);
  });
});
