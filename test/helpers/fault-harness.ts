/**
 * The fault matrix's shared pieces: one loopback model server whose next
 * responses a test queues (the fault), then plain "ok" replies; an agent on
 * the real OpenAI-compatible adapter pointed at it; and the checks every
 * fault must pass (defined end state, nothing lost from the transcript,
 * reusable agent, no handle left open).
 */
import { expect } from "vitest";
import { Agent, assistantText, openAICompatibleModel, type AgentMessage, type AgentOptions, type Model } from "../../src/index.js";
import { fastRetryStream, textReply } from "./fault-replies.js";
import { type ScriptedResponse, type SseServer, startSseServer } from "./sse-server.js";
import { expectValidTranscript, recordEvents, until } from "./transcript.js";

export { fastRetryStream, textReply, toolReply } from "./fault-replies.js";
export type { ScriptedCall } from "./fault-replies.js";

/** The model server: queued responses first, then "ok" for every request. */
export type FaultServer = {
  server: SseServer;
  /** A model whose base URL is this server. */
  model: Model;
  /** Queues responses for the next requests, in order. */
  queue(...responses: ScriptedResponse[]): void;
  /** Forgets queued responses (between tests). */
  clear(): void;
  close(): Promise<void>;
};

/** Starts the one server of a fault-matrix file. Every response closes its connection, so no pooled socket outlives a run. */
export async function startFaultServer(): Promise<FaultServer> {
  const queued: ScriptedResponse[] = [];
  const server = await startSseServer(() => withClose(queued.shift() ?? textReply("ok")));
  return {
    server,
    model: openAICompatibleModel({ id: "fault-model", baseUrl: `${server.url}/v1` }),
    queue: (...responses) => queued.push(...responses),
    clear: () => void queued.splice(0),
    close: () => server.close(),
  };
}

function withClose(response: ScriptedResponse): ScriptedResponse {
  return "reset" in response ? response : { ...response, headers: { connection: "close", ...response.headers } };
}

/** An agent on the fault server, with its event log and every message announced by `message_end`. */
export function faultAgent(server: FaultServer, options: AgentOptions = {}) {
  const agent = new Agent({ model: server.model, streamFn: fastRetryStream, ...options });
  const log = recordEvents(agent);
  const announced: AgentMessage[] = [];
  agent.subscribe((event) => {
    if (event.type === "message_end") announced.push(event.message);
  });
  return { agent, log, announced };
}

/** Counts of `process.getActiveResourcesInfo()` by kind. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/**
 * Waits (up to ~2 s) until no kind of resource outnumbers `baseline`; fails with the difference otherwise.
 * Node 20's fetch opens a spare connection after an aborted streaming response; the server's connections
 * with no request in flight are closed first so only what the run holds is counted.
 */
export async function expectResourcesBackTo(baseline: Record<string, number>, server?: FaultServer): Promise<void> {
  const excess = () => {
    server?.server.closeIdleConnections();
    return Object.entries(activeResources()).filter(([kind, count]) => count > (baseline[kind] ?? 0));
  };
  await until(() => excess().length === 0).catch(() => undefined);
  expect(Object.fromEntries(excess()), "resources still open after the run").toEqual({});
}

/** The agent is idle with nothing in flight, and its transcript is exactly what was announced and valid. */
export function expectDefinedEnd(agent: Agent, announced: readonly AgentMessage[]): void {
  expect(agent.actor.getSnapshot().value).toBe("idle");
  // No finished tool-call actor lingers (it would hold the transcript).
  expect(Object.keys(agent.actor.getSnapshot().children)).toEqual([]);
  const state = agent.state;
  expect(state.isStreaming).toBe(false);
  expect(state.streamMessage).toBeNull();
  expect([...state.pendingToolCalls]).toEqual([]);
  // Nothing lost, nothing invented: every announced message is in the transcript, in order, and vice versa.
  expect(state.messages).toEqual(announced);
  expectValidTranscript(state.messages);
}

/** Prompts again (on the working server) and expects a clean "ok" run. */
export async function expectUsableAgain(agent: Agent, server: FaultServer): Promise<void> {
  agent.setModel(server.model);
  const reply = await agent.prompt("again");
  expect(reply.stopReason).toBe("stop");
  expect(assistantText(reply)).toBe("ok");
  expect(agent.state.error).toBeUndefined();
}
