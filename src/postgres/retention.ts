/**
 * Retention (contract §10, issue #15): a finished session with a `ttl`
 * expires, and with it everything kept for it — its record, its applied
 * commands and its event history. Commands queued after it expired are
 * kept: they start the session afresh.
 */
import type pg from "pg";
import type { Tables } from "./schema.js";

/** The worker's "applied up to n" of a row, in SQL (0 for a record no worker wrote). */
const APPLIED = "COALESCE((record->'worker'->>'appliedSeq')::bigint, 0)";

/**
 * Deletes every expired session (`sessionId`: only that one) with its
 * applied commands and its events, in one statement; resolves to how many
 * sessions went. A row rewritten meanwhile (no longer expired) is kept.
 */
export async function sweepExpiredSessions(pool: pg.Pool, tables: Tables, sessionId?: string): Promise<number> {
  const { rows } = await pool.query<{ swept: number }>(
    `WITH gone AS (
       DELETE FROM ${tables.sessions} WHERE expires_at <= now() AND ($1::text IS NULL OR session_id = $1)
       RETURNING session_id, ${APPLIED} AS applied),
     commands AS (DELETE FROM ${tables.commands} c USING gone WHERE c.session_id = gone.session_id AND c.seq <= gone.applied),
     events AS (DELETE FROM ${tables.events} e USING gone WHERE e.session_id = gone.session_id)
     SELECT count(*)::int AS swept FROM gone`,
    [sessionId ?? null],
  );
  return rows[0]?.swept ?? 0;
}

/** What a session has done, expired or not: the commands its record includes, and whether a run is in flight (never in an expired one). */
export async function sessionProgress(pool: pg.Pool, tables: Tables, sessionId: string): Promise<{ appliedSeq: number; runInFlight: boolean }> {
  const { rows } = await pool.query<{ applied: string; run: boolean }>(
    `SELECT ${APPLIED} AS applied, (record ? 'run') AND (expires_at IS NULL OR expires_at > now()) AS run
     FROM ${tables.sessions} WHERE session_id = $1`,
    [sessionId],
  );
  return { appliedSeq: Number(rows[0]?.applied ?? 0), runInFlight: rows[0]?.run ?? false };
}
