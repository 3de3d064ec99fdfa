/**
 * Commands queued for a session (contract §11): what `sessionClient` asks
 * and the worker running the session applies, in order. Each session's
 * commands are numbered 1, 2, … (dense, in commit order), so the session
 * record can say "applied up to n" and a worker that dies before its next
 * checkpoint leaves the rest to the next worker.
 */
import type pg from "pg";
import type { AgentMessage } from "../core/types.js";
import { noticePayload } from "./notifications.js";
import type { Tables } from "./schema.js";

/** One command for a session, as stored. */
export type SessionCommand =
  | { type: "prompt"; messages: AgentMessage[] }
  | { type: "steer" | "followUp"; message: AgentMessage }
  | { type: "abort" }
  | { type: "approve"; toolCallId: string }
  | { type: "reject"; toolCallId: string; reason?: string };

/** A stored command and its number within the session. */
export type NumberedCommand = { seq: number; command: SessionCommand };

const UNIQUE_VIOLATION = "23505";

/**
 * Appends `command` to the session's commands and notifies listeners (at
 * commit); resolves to its number. Two clients appending at once race for
 * the same number: the loser takes the next one.
 */
export async function queueCommand(pool: pg.Pool, tables: Tables, sessionId: string, command: SessionCommand): Promise<number> {
  const table = tables.commands;
  for (;;) {
    try {
      const { rows } = await pool.query<{ seq: string }>(
        `WITH added AS (
           INSERT INTO ${table} (session_id, seq, command)
           SELECT $1, COALESCE(max(seq), 0) + 1, $2::jsonb FROM ${table} WHERE session_id = $1
           RETURNING seq)
         SELECT seq, pg_notify($3, $4) FROM added`,
        [sessionId, JSON.stringify(command), tables.channel, noticePayload({ kind: "commands", sessionId })],
      );
      return Number(rows[0]!.seq);
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
  }
}

/** The session's commands numbered above `after`, in order. */
export async function commandsAfter(pool: pg.Pool, tables: Tables, sessionId: string, after: number): Promise<NumberedCommand[]> {
  const { rows } = await pool.query<{ seq: string; command: SessionCommand }>(
    `SELECT seq, command FROM ${tables.commands} WHERE session_id = $1 AND seq > $2 ORDER BY seq`,
    [sessionId, after],
  );
  return rows.map((row) => ({ seq: Number(row.seq), command: row.command }));
}

/** The number of the session's last command (0 when it has none). */
export async function lastCommandSeq(pool: pg.Pool, tables: Tables, sessionId: string): Promise<number> {
  const { rows } = await pool.query<{ seq: string | null }>(`SELECT max(seq) AS seq FROM ${tables.commands} WHERE session_id = $1`, [sessionId]);
  return Number(rows[0]?.seq ?? 0);
}
