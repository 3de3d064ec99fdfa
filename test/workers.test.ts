/**
 * sessionClient and startAgentWorker in one process, on a real Postgres:
 * commands queued from the client, events followed from the history (also
 * after a reconnect), approvals that wait, the transcript.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../src/index.js";
import { type AgentWorker, type SessionClient, sessionClient, startAgentWorker } from "../src/postgres/index.js";
import { usePostgres } from "./helpers/postgres.js";
import { expectValidTranscript } from "./helpers/transcript.js";
import { createToolRuns, planPrompt, toolCallId, untilWaiting, workerAgentOptions } from "./helpers/worker-sessions.js";

const postgres = usePostgres();
const TUNING = { pollIntervalMs: 100, maintenanceIntervalSeconds: 1, claimTimeoutSeconds: 60 };
let pool: pg.Pool;
let worker: AgentWorker;
let client: SessionClient;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: postgres.connectionString });
  await createToolRuns(pool);
  worker = await startAgentWorker({ connectionString: postgres.connectionString, ...TUNING, agent: workerAgentOptions(pool, "solo", { slowMs: 50 }) });
  client = sessionClient({ connectionString: postgres.connectionString, ...TUNING });
});
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await pool?.end();
});

async function eventsUntil(sessionId: string, after: number, last: (event: AgentEvent) => boolean): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of client.events(sessionId, { after })) {
    events.push(event);
    if (last(event)) break;
  }
  return events;
}

describe("sessionClient with a worker", () => {
  it("a prompt runs on the worker: events stream from the history, the transcript is the session's", async () => {
    await client.prompt("one", planPrompt([["fast", "slow"]]));
    const events = await eventsUntil("one", 0, (event) => event.type === "agent_end");
    expect(events.filter((event) => event.type !== "message_update").map((event) => event.type)).toEqual([
      "agent_start",
      "turn_start",
      "message_start",
      "message_end",
      "message_start",
      "message_end",
      "tool_execution_start",
      "tool_execution_start",
      "tool_execution_end",
      "message_start",
      "message_end",
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
    await client.waitForIdle("one");
    const messages = await client.messages("one");
    expectValidTranscript(messages);
    expect(messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "All 1 steps done." }] });
    // A reader that saw the first 7 events gets the rest, deltas rebuilt into whole messages.
    const rest = await eventsUntil("one", 7, (event) => event.type === "agent_end");
    expect(rest).toEqual(events.slice(7));
  });

  it("an approval waits with no job held, and applies when given", async () => {
    await client.prompt("two", planPrompt([["gated"]]));
    expect(await untilWaiting(pool, "two")).toBe(true);
    // Waiting for a person holds no job (and no worker): the job ended when the call started to wait.
    const { rows } = await pool.query("SELECT count(*)::int AS jobs FROM tinyagent_jobs.job WHERE singletonkey = 'two' AND state < 'completed'");
    expect(rows[0].jobs).toBe(0);
    await client.approve("two", toolCallId(0, 0, "gated"));
    await client.waitForIdle("two");
    const messages = await client.messages("two");
    expectValidTranscript(messages);
    expect(messages.find((message) => message.role === "toolResult")).toMatchObject({ isError: false, content: [{ type: "text", text: "gated ran on solo" }] });
  });
});
