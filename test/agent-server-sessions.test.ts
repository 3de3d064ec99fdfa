import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFileStore, type AgentMessage, type AgentSessionRecord, type AgentTool, type SessionStore } from "../src/index.js";
import { agentRequestHandler, nodeHandler } from "../src/server/index.js";
import { createFauxProvider } from "../src/testing.js";
import { frameReader } from "./helpers/sse-frames.js";
import { expectValidTranscript } from "./helpers/transcript.js";

const dir = mkdtempSync(join(tmpdir(), "tinyagent-handler-sessions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tool executions across every server, as a real side effect would be recorded. */
const ran: string[] = [];
const clock: AgentTool = {
  name: "clock",
  description: "Reads the clock.",
  parameters: { type: "object", properties: {} },
  requiresApproval: true,
  async execute(id) {
    ran.push(id);
    return { content: [{ type: "text", text: "12:00" }] };
  },
};

/** Resolves once the session's record in `store` satisfies `test` (checkpoints land asynchronously). */
async function saved(store: SessionStore, test: (record: AgentSessionRecord) => boolean): Promise<void> {
  for (;;) {
    const stored = await store.load("user-1");
    if (stored && test(stored.record as AgentSessionRecord)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One server process: a handler on `store`, listening on loopback. */
async function startServer(store: SessionStore) {
  // Each server has its own model and tools, as a new process would: only the store is shared.
  const faux = createFauxProvider((context) =>
    context.messages.at(-1)?.role === "user" ? { toolCalls: [{ name: "clock", arguments: {} }] } : { text: "It is 12:00." },
  );
  const handle = agentRequestHandler({
    store,
    agent: (sessionId) => (sessionId.startsWith("missing") ? undefined : { model: faux.model, streamFn: faux.streamFn, tools: [clock] }),
    heartbeatMs: 1000,
  });
  const server: Server = createServer(nodeHandler(handle));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent/sessions`;
  return {
    post: (path: string, body: unknown) =>
      fetch(`${base}/${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    snapshot: async (sessionId: string) => (await (await fetch(`${base}/${sessionId}`)).json()) as { value: unknown; tags: string[]; messages: AgentMessage[] },
    events: async (sessionId: string) => frameReader(await fetch(`${base}/${sessionId}/events`)),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("agentRequestHandler with a SessionStore", () => {
  it("keeps a session across a handler restart: a call waiting for approval still waits, and approve on the new handler finishes the run", async () => {
    const store = createFileStore(dir);
    const first = await startServer(store);
    const stream = await first.events("user-1");
    expect((await first.post("user-1/prompt", { content: "What time is it?" })).status).toBe(202);
    await stream.until((frame) => frame.event === "status" && frame.data.tags.includes("awaitingApproval"));
    await stream.close();
    // The checkpoint of the wait reaches the store (asynchronously) before this process goes.
    await saved(store, (record) => record.run?.batch?.statuses.includes("awaitingApproval") === true);
    await first.stop();

    // A new handler (a redeploy) on the same store directory.
    const second = await startServer(createFileStore(dir));
    const waiting = await second.snapshot("user-1");
    expect(waiting.tags).toContain("awaitingApproval");
    expect(waiting.messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    const resumed = await second.events("user-1");
    expect((await second.post("user-1/approve", { toolCallId: "call_1" })).status).toBe(202);
    const frames = await resumed.until((frame) => frame.event === "agent" && frame.data.type === "agent_end");
    expect(frames.some((frame) => frame.event === "agent" && frame.data.type === "tool_execution_end")).toBe(true);
    await resumed.close();
    const done = await second.snapshot("user-1");
    expect(done.value).toBe("idle");
    expect(done.messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "It is 12:00." }] });
    expectValidTranscript(done.messages);
    expect(ran).toEqual(["call_1"]);

    // And once more after another restart: the finished session is there, idle.
    await saved(store, (record) => record.run === undefined);
    await second.stop();
    const third = await startServer(createFileStore(dir));
    expect((await third.snapshot("user-1")).messages).toEqual(done.messages);
    expect((await third.post("missing-1/prompt", { content: "Hi" })).status).toBe(404);
    await third.stop();
  });
});
