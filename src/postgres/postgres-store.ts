/**
 * The Postgres session store (contract §10): one row per session, written
 * with compare-and-set in one statement, so writers on many machines are
 * fenced by the version alone (a worker that lost its claim has a stale
 * version, and its next save is refused).
 */
import pg from "pg";
import { recordJson, sessionConflict, type SessionRecord, type SessionStore } from "../session-store.js";
import { sweepExpiredSessions } from "./retention.js";
import { migrate, tablesOf } from "./schema.js";

/** Where the store connects. */
export type PostgresStoreOptions = {
  /** A libpq connection string: `postgres://user@host:5432/db`. */
  connectionString?: string;
  /** An existing pool to use instead (the caller ends it). */
  pool?: pg.Pool;
  /** The Postgres schema holding tinyagent's tables; default "tinyagent". */
  schema?: string;
};

/** A {@link SessionStore} on Postgres; `close()` ends the pool it made. */
export type PostgresStore = SessionStore & {
  /**
   * Deletes sessions whose `expiresAt` has passed, with their applied worker commands and their
   * event history; resolves to how many sessions. Loads already treat them as absent.
   */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
};

/**
 * A store keeping each session as a row of `<schema>.sessions`; the tables
 * are created on first use.
 * @example
 * const store = createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const agent = await Agent.open("user-42", { store, model, tools });
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  if (!options.pool && !options.connectionString) {
    throw new TypeError("createPostgresStore needs { connectionString } (postgres://user@host:5432/db) or { pool }.");
  }
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
  const schemaName = options.schema ?? "tinyagent";
  const tables = tablesOf(schemaName);
  const sessions = tables.sessions;
  let ready: Promise<void> | undefined;
  const migrated = () =>
    (ready ??= migrate(pool, schemaName).catch((error) => {
      ready = undefined; // let the next call try again (the database may have been down)
      throw error;
    }));
  const query = async <TRow extends pg.QueryResultRow>(text: string, values: unknown[]) => {
    await migrated();
    return pool.query<TRow>(text, values);
  };
  const live = "(expires_at IS NULL OR expires_at > now())";
  const expiresAt = "to_timestamp($3::double precision / 1000)";
  // The statements of every checkpoint, named so that each connection has Postgres parse and plan them once.
  const statement = (text: string) => ({ name: statementName(text), text });
  const loadSession = statement(`SELECT record, version FROM ${sessions} WHERE session_id = $1 AND ${live}`);
  // Versions keep counting over an expired row, so a writer holding its old version stays fenced.
  const createSession = statement(
    `INSERT INTO ${sessions} AS s (session_id, version, record, expires_at) VALUES ($1, 1, $2::jsonb, ${expiresAt})
     ON CONFLICT (session_id) DO UPDATE SET version = s.version + 1, record = EXCLUDED.record,
       expires_at = EXCLUDED.expires_at, updated_at = now()
     WHERE s.expires_at IS NOT NULL AND s.expires_at <= now()
     RETURNING version`,
  );
  const updateSession = statement(
    `UPDATE ${sessions} SET version = version + 1, record = $2::jsonb, expires_at = ${expiresAt}, updated_at = now()
     WHERE session_id = $1 AND version = $4 AND ${live}
     RETURNING version`,
  );
  const prepared = async <TRow extends pg.QueryResultRow>(query: { name: string; text: string }, values: unknown[]) => {
    await migrated();
    return pool.query<TRow>({ ...query, values });
  };

  return {
    async load(sessionId) {
      const { rows } = await prepared<{ record: SessionRecord; version: string }>(loadSession, [sessionId]);
      const row = rows[0];
      return row && { record: row.record, version: Number(row.version) };
    },
    async save(sessionId, record, expectedVersion) {
      const json = recordJson(record);
      const expires = typeof record.expiresAt === "number" ? record.expiresAt : null;
      const { rows } =
        expectedVersion === null
          ? await prepared<{ version: string }>(createSession, [sessionId, json, expires])
          : await prepared<{ version: string }>(updateSession, [sessionId, json, expires, expectedVersion]);
      if (rows[0]) return Number(rows[0].version);
      const actual = await this.load(sessionId);
      throw sessionConflict(sessionId, expectedVersion, actual?.version ?? null);
    },
    async delete(sessionId) {
      // A worker session's commands and event history go with it.
      await query(
        `WITH s AS (DELETE FROM ${tables.sessions} WHERE session_id = $1), c AS (DELETE FROM ${tables.commands} WHERE session_id = $1)
         DELETE FROM ${tables.events} WHERE session_id = $1`,
        [sessionId],
      );
    },
    async sweepExpired() {
      await migrated();
      return sweepExpiredSessions(pool, tables);
    },
    async close() {
      if (!options.pool) await pool.end();
    },
  };
}

/** A prepared statement's name, from its text (one per text: the pool's connections may serve stores of several schemas). */
function statementName(text: string): string {
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return `tinyagent_${(hash >>> 0).toString(36)}_${text.length}`;
}
