/**
 * The pieces under the workers, on a real Postgres: a session claim fences
 * the worker that held the session before (its checkpoints and its events
 * are refused), and the event history is numbered, compact and rebuilt
 * into the AgentEvents that were written, from any point.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent, AssistantMessage } from "../src/index.js";
import { appendEvents, followEvents, type Wakeup } from "../src/postgres/event-log.js";
import { createPostgresStore } from "../src/postgres/index.js";
import { migrate, tablesOf } from "../src/postgres/schema.js";
import { SessionClaim } from "../src/postgres/session-claim.js";
import { queueCommand, commandsAfter } from "../src/postgres/session-commands.js";
import { usePostgres } from "./helpers/postgres.js";

const postgres = usePostgres();
const tables = tablesOf("fence");
let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: postgres.connectionString });
  await migrate(pool, "fence");
});
afterAll(() => pool?.end());

const noHooks = (lost: string[]) => ({ onLost: (reason: string) => lost.push(reason) });
const once: Wakeup = { arm() {}, wait: async () => false };

async function collect(sessionId: string, after: number): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of followEvents(pool, tables, sessionId, after, once)) events.push(event);
  return events;
}

describe("session claims", () => {
  it("the new holder's first write claims the session: the previous holder's next checkpoint and events are refused, and it knows", async () => {
    const store = createPostgresStore({ pool, schema: "fence" });
    const lostA: string[] = [];
    const a = new SessionClaim(store, "s1", noHooks(lostA));
    expect(await a.load("s1")).toBeUndefined();
    await a.save("s1", { step: 1 }, null);
    expect(await appendEvents(pool, tables, "s1", 1, [{ type: "agent_start" }], a.version!)).toBe(true);

    const b = new SessionClaim(store, "s1", noHooks([]));
    expect((await b.load("s1"))?.record).toEqual({ step: 1 });
    await b.save("s1", { step: 1 }, null); // Agent.open's first write: the claim
    expect(await appendEvents(pool, tables, "s1", 2, [{ type: "turn_start" }], a.version!)).toBe(false);
    await expect(a.save("s1", { step: 2 }, 1)).rejects.toMatchObject({ code: "session-conflict" });
    expect(lostA).toEqual(["another worker has the session now"]);
    // Lost for good: later writes are refused without asking the database.
    await expect(a.save("s1", { step: 3 }, 1)).rejects.toThrow(/lost its claim \(another worker has the session now\)/);

    await b.save("s1", { step: 2 }, null);
    expect((await store.load("s1"))?.record).toMatchObject({ step: 2, worker: { appliedSeq: 0 } });
    expect(await appendEvents(pool, tables, "s1", 2, [{ type: "turn_start" }], b.version!)).toBe(true);
    expect((await collect("s1", 0)).map((event) => event.type)).toEqual(["agent_start", "turn_start"]);
  });

  it("commands are numbered 1, 2, … per session, also when clients race", async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => queueCommand(pool, tables, "s2", { type: "steer", message: { role: "user", content: `m${i}`, timestamp: 0 } })),
    );
    const commands = await commandsAfter(pool, tables, "s2", 0);
    expect(commands.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await commandsAfter(pool, tables, "s2", 6)).map((c) => c.seq)).toEqual([7, 8]);
  });
});

describe("event history", () => {
  const partial = (text: string): AssistantMessage => ({
    role: "assistant",
    content: [{ type: "text", text }],
    api: "faux",
    provider: "faux",
    model: "faux-1",
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
    stopReason: "stop",
    timestamp: 1,
  });
  const empty = { ...partial(""), content: [] };
  const events: AgentEvent[] = [
    { type: "agent_start" },
    { type: "message_start", message: empty },
    { type: "message_update", message: empty, assistantMessageEvent: { type: "start", partial: empty } },
    { type: "message_update", message: partial(""), assistantMessageEvent: { type: "text_start", contentIndex: 0, partial: partial("") } },
    { type: "message_update", message: partial("Hel"), assistantMessageEvent: { type: "text_delta", contentIndex: 0, delta: "Hel", partial: partial("Hel") } },
    {
      type: "message_update",
      message: partial("Hello"),
      assistantMessageEvent: { type: "text_delta", contentIndex: 0, delta: "lo", partial: partial("Hello") },
    },
    { type: "message_end", message: partial("Hello") },
    { type: "agent_end", messages: [partial("Hello")] },
  ];

  it("stores deltas without the partial message and gives back the events written, from the start or after any of them", async () => {
    const store = createPostgresStore({ pool, schema: "fence" });
    const claim = new SessionClaim(store, "s3", noHooks([]));
    await claim.load("s3");
    await claim.save("s3", {}, null);
    expect(await appendEvents(pool, tables, "s3", 1, events, claim.version!)).toBe(true);
    const { rows } = await pool.query("SELECT event FROM fence.events WHERE session_id = 's3' AND seq = 5");
    expect(rows[0].event).toEqual({ type: "message_update", update: { type: "text_delta", contentIndex: 0, delta: "Hel" } });

    expect(await collect("s3", 0)).toEqual(events);
    // A reader that saw five events (mid-message) gets the rest, the partial message rebuilt.
    expect(await collect("s3", 5)).toEqual(events.slice(5));
    expect(await collect("s3", 8)).toEqual([]);
  });
});
