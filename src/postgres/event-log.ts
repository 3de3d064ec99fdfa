/**
 * A session's event history in Postgres (contract §11): every AgentEvent a
 * worker's run emits, numbered 1, 2, … per session. Deltas are stored
 * without their partial message (agent-wire's compact form: a long reply
 * stays linear), and a reader rebuilds the events as `remoteAgent` does.
 * Appends are fenced by the session's version: a worker that lost its
 * claim cannot add to the history.
 */
import type pg from "pg";
import { toWireEvent, WireEventDecoder, type WireAgentEvent } from "../agent-wire.js";
import type { AgentEvent } from "../core/types.js";
import { noticePayload } from "./notifications.js";
import type { Tables } from "./schema.js";

/** An event as stored: `message_update` compact, everything else whole. */
type StoredEvent = AgentEvent | Extract<WireAgentEvent, { type: "message_update" }>;

function stored(event: AgentEvent): StoredEvent {
  return event.type === "message_update" ? (toWireEvent(event) as StoredEvent) : event;
}

/** The number of the session's last event (0 when it has none). */
export async function lastEventSeq(pool: pg.Pool, tables: Tables, sessionId: string): Promise<number> {
  const { rows } = await pool.query<{ seq: string | null }>(`SELECT max(seq) AS seq FROM ${tables.events} WHERE session_id = $1`, [sessionId]);
  return Number(rows[0]?.seq ?? 0);
}

/**
 * Appends `events` as numbers `firstSeq`, `firstSeq + 1`, … while the
 * session is at `version` (locking its row, so a claim taken meanwhile
 * waits for this append or refuses it); resolves to false when refused.
 */
export async function appendEvents(
  pool: pg.Pool,
  tables: Tables,
  sessionId: string,
  firstSeq: number,
  events: readonly AgentEvent[],
  version: number,
): Promise<boolean> {
  const { rows } = await pool.query<{ added: number }>(
    `WITH fence AS (SELECT 1 FROM ${tables.sessions} WHERE session_id = $1 AND version = $2 FOR SHARE),
     added AS (
       INSERT INTO ${tables.events} (session_id, seq, event)
       SELECT $1, $3::bigint + ordinality - 1, event FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(event, ordinality)
       WHERE EXISTS (SELECT 1 FROM fence)
       RETURNING 1),
     told AS (SELECT pg_notify($5, $6) FROM (SELECT 1 FROM added LIMIT 1) AS any_added)
     SELECT (SELECT count(*) FROM added)::int AS added, (SELECT count(*) FROM told) AS told`,
    [sessionId, version, firstSeq, JSON.stringify(events.map(stored)), tables.channel, noticePayload({ kind: "events", sessionId })],
  );
  return (rows[0]?.added ?? 0) > 0;
}

/** Up to `limit` stored events numbered above `after`, in order. */
async function eventsAfter(pool: pg.Pool, tables: Tables, sessionId: string, after: number, limit: number) {
  const { rows } = await pool.query<{ seq: string; event: StoredEvent }>(
    `SELECT seq, event FROM ${tables.events} WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [sessionId, after, limit],
  );
  return rows.map((row) => ({ seq: Number(row.seq), event: row.event }));
}

/** Turns stored events back into AgentEvents, rebuilding the streaming message from its deltas. */
export class StoredEventDecoder {
  private readonly wire = new WireEventDecoder();

  decode(event: StoredEvent): AgentEvent {
    // turn_end and agent_end are stored whole; the wire decoder would read them as its compact forms.
    if (event.type === "turn_end" || event.type === "agent_end") return event as AgentEvent;
    this.wire.beginBatch();
    return this.wire.decode(event as WireAgentEvent, []);
  }

  /**
   * Brings the decoder to the state it has after event `after`: from the
   * assistant `message_start` at or before it (deltas need their message).
   */
  async prime(pool: pg.Pool, tables: Tables, sessionId: string, after: number): Promise<void> {
    if (after <= 0) return;
    const { rows } = await pool.query<{ seq: string | null }>(
      `SELECT max(seq) AS seq FROM ${tables.events}
       WHERE session_id = $1 AND seq <= $2 AND event->>'type' = 'message_start' AND event->'message'->>'role' = 'assistant'`,
      [sessionId, after],
    );
    const from = rows[0]?.seq;
    if (from === null || from === undefined) return;
    let seq = Number(from) - 1;
    while (seq < after) {
      const batch = await eventsAfter(pool, tables, sessionId, seq, Math.min(500, after - seq));
      if (batch.length === 0) return;
      for (const row of batch) this.decode(row.event);
      seq = batch[batch.length - 1]!.seq;
    }
  }
}

/** Something to wait on for "look again": `arm()` before reading, then `wait()` resolves if anything came since (false: stop). */
export type Wakeup = { arm(): void; wait(): Promise<boolean> };

/** Reads the session's events above `after` in pages, waiting on `wakeup` when there are no more yet. */
export async function* followEvents(pool: pg.Pool, tables: Tables, sessionId: string, after: number, wakeup: Wakeup): AsyncGenerator<AgentEvent> {
  const decoder = new StoredEventDecoder();
  await decoder.prime(pool, tables, sessionId, after);
  let seq = after;
  for (;;) {
    wakeup.arm();
    const page = await eventsAfter(pool, tables, sessionId, seq, 500);
    for (const row of page) {
      seq = row.seq;
      yield decoder.decode(row.event);
    }
    if (page.length < 500 && !(await wakeup.wait())) return;
  }
}

/** What the writer needs of the claim it writes under. */
type Fence = {
  readonly version: number | null | undefined;
  readonly lost: string | undefined;
  serial<T>(work: () => Promise<T>): Promise<T>;
  lose(reason: string): void;
};

/**
 * Appends a running agent's events to the history, batched: events that
 * arrive while a write is under way go in the next one. Writes take their
 * turn among the claim's checkpoints, so each is fenced by the version the
 * claim last wrote.
 */
export class EventWriter {
  private buffer: AgentEvent[] = [];
  private nextSeq: number | undefined;
  private scheduled = false;
  private fence: Fence | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: Tables,
    private readonly sessionId: string,
  ) {}

  attach(fence: Fence): void {
    this.fence = fence;
  }

  push(event: AgentEvent): void {
    this.buffer.push(event);
    if (this.scheduled || !this.fence) return;
    this.scheduled = true;
    const fence = this.fence;
    setImmediate(() => {
      this.scheduled = false;
      fence.serial(() => this.flush(fence)).catch(() => undefined);
    });
  }

  /** Writes the buffered events; call inside the claim's write order. A session not saved yet keeps them for later. */
  async flush(fence: Fence): Promise<void> {
    if (this.buffer.length === 0 || fence.lost || typeof fence.version !== "number") return;
    this.nextSeq ??= (await lastEventSeq(this.pool, this.tables, this.sessionId)) + 1;
    const events = this.buffer;
    this.buffer = [];
    if (!(await appendEvents(this.pool, this.tables, this.sessionId, this.nextSeq, events, fence.version))) {
      fence.lose("its events were refused: another worker has the session");
      return;
    }
    this.nextSeq += events.length;
  }
}
