/**
 * Retention of worker sessions (issue #15), on a real Postgres: with
 * `ttl`, an expired finished session leaves nothing behind (record,
 * commands, event history), whether the store's sweep or a worker's
 * removes it; a prompt for a session that expired starts afresh (its old
 * commands are not applied again, its old events are gone); and what a
 * session keeps does not grow with the number of checkpoints. Time passing
 * is simulated by moving `expires_at` into the past: no test waits on a clock.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../src/index.js";
import { type AgentWorker, createPostgresStore, type SessionClient, sessionClient, startAgentWorker } from "../src/postgres/index.js";
import { usePostgres } from "./helpers/postgres.js";
import { expectValidTranscript } from "./helpers/transcript.js";
import { createToolRuns, planPrompt, workerAgentOptions } from "./helpers/worker-sessions.js";

const postgres = usePostgres();
// The file's worker sweeps once a minute: after the tests have ended (the sweeping test starts a worker of its own).
const TUNING = { pollIntervalMs: 100, maintenanceIntervalSeconds: 60, claimTimeoutSeconds: 60 };
const DAY = 24 * 3600_000;
let pool: pg.Pool;
let worker: AgentWorker;
let client: SessionClient;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: postgres.connectionString });
  await createToolRuns(pool);
  worker = await startAgentWorker({
    connectionString: postgres.connectionString,
    ...TUNING,
    ttl: DAY,
    agent: workerAgentOptions(pool, "keeper", { slowMs: 20 }),
  });
  client = sessionClient({ connectionString: postgres.connectionString, ...TUNING });
});
afterAll(async () => {
  await client?.close();
  await worker?.close();
  await pool?.end();
});

/** Rows kept for the session in each table. */
async function kept(sessionId: string): Promise<{ sessions: number; commands: number; events: number }> {
  const count = async (table: string) =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tinyagent.${table} WHERE session_id = $1`, [sessionId])).rows[0]!.n;
  return { sessions: await count("sessions"), commands: await count("commands"), events: await count("events") };
}

/** "Time passes": the session's retention ends now. */
async function expire(sessionId: string): Promise<void> {
  const { rowCount } = await pool.query(
    "UPDATE tinyagent.sessions SET expires_at = now() - interval '1 second' WHERE session_id = $1 AND expires_at IS NOT NULL",
    [sessionId],
  );
  expect(rowCount, `${sessionId} has an expiry`).toBe(1);
}

async function runToEnd(sessionId: string, prompt: string): Promise<void> {
  await client.prompt(sessionId, prompt);
  await client.waitForIdle(sessionId);
}

async function eventsUntilEnd(sessionId: string): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of client.events(sessionId)) {
    events.push(event);
    if (event.type === "agent_end") break;
  }
  return events;
}

describe("worker sessions with ttl", () => {
  it("an expired finished session leaves nothing behind: record, commands and event history", async () => {
    await runToEnd("gone", planPrompt([["fast"]]));
    await client.steer("gone", "a steer that arrives after the run: applied, then kept as a command row");
    await client.waitForIdle("gone");
    const before = await kept("gone");
    expect(before.sessions).toBe(1);
    expect(before.commands).toBe(2);
    expect(before.events).toBeGreaterThan(10);
    await expire("gone");
    // The session reads as absent at once; the sweep removes every row of it.
    expect(await client.messages("gone")).toEqual([]);
    await client.waitForIdle("gone"); // expired: idle, nothing pending
    const store = createPostgresStore({ connectionString: postgres.connectionString });
    try {
      expect(await store.sweepExpired()).toBe(1);
    } finally {
      await store.close();
    }
    expect(await kept("gone")).toEqual({ sessions: 0, commands: 0, events: 0 });
  });

  it("deleting a session from the store deletes its commands and event history too", async () => {
    await runToEnd("deleted", planPrompt([["fast"]]));
    expect((await kept("deleted")).events).toBeGreaterThan(0);
    const store = createPostgresStore({ connectionString: postgres.connectionString });
    try {
      await store.delete("deleted");
    } finally {
      await store.close();
    }
    expect(await kept("deleted")).toEqual({ sessions: 0, commands: 0, events: 0 });
  });

  it("a worker sweeps expired sessions itself, every maintenance interval", async () => {
    await runToEnd("swept", planPrompt([["fast"]]));
    await expire("swept");
    const sweeper = await startAgentWorker({ connectionString: postgres.connectionString, ...TUNING, maintenanceIntervalSeconds: 1, agent: () => ({}) });
    try {
      let left = await kept("swept");
      for (let i = 0; i < 600 && (left.sessions || left.commands || left.events); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = await kept("swept");
      }
      expect(left).toEqual({ sessions: 0, commands: 0, events: 0 });
    } finally {
      await sweeper.close();
    }
  });

  it("a prompt for an expired session not swept yet starts it afresh: old commands not applied again, old events gone", async () => {
    await runToEnd("again", planPrompt([["fast"], ["fast"]]));
    await expire("again");
    await runToEnd("again", planPrompt([["slow"]]));
    const messages = await client.messages("again");
    expectValidTranscript(messages);
    expect(messages.filter((message) => message.role === "user").map((message) => message.content)).toEqual([planPrompt([["slow"]])]);
    expect(messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "All 1 steps done." }] });
    // The history is the new session's alone: one run, from event 1.
    const events = await eventsUntilEnd("again");
    expect(events.filter((event) => event.type === "agent_start")).toHaveLength(1);
    expect(events.filter((event) => event.type === "tool_execution_end").map((event) => (event as { toolName: string }).toolName)).toEqual(["slow"]);
    expect((await kept("again")).commands).toBe(1);
  });

  it("what a session keeps does not grow with the number of checkpoints", async () => {
    await runToEnd("short", planPrompt([["fast"]]));
    await runToEnd("long", planPrompt(Array.from({ length: 12 }, () => ["fast"])));
    const { rows } = await pool.query<{ session_id: string; version: string; rows: number; overhead: number }>(
      `SELECT session_id, version, (SELECT count(*)::int FROM tinyagent.sessions t WHERE t.session_id = s.session_id) AS rows,
              octet_length(record::text) - octet_length((record->'agent'->'messages')::text) AS overhead
       FROM tinyagent.sessions s WHERE session_id IN ('short', 'long') ORDER BY session_id`,
    );
    const [long, short] = rows as [(typeof rows)[0], (typeof rows)[0]];
    // The long run checkpointed many times more, into the one row it always had ...
    expect(Number(long.version)).toBeGreaterThan(3 * Number(short.version));
    expect([long.rows, short.rows]).toEqual([1, 1]);
    // ... and beyond its transcript the record holds what the short one holds (a few digits more of usage).
    expect(Math.abs(long.overhead - short.overhead)).toBeLessThan(64);
    // One command row per command, not per checkpoint.
    expect((await kept("long")).commands).toBe(1);
  });
});
