/**
 * The tables of `tinyagent/postgres`, created on first use and versioned:
 * each migration runs once, in order, inside one transaction that holds an
 * advisory lock, so processes starting together never race to create them.
 */
import type pg from "pg";

/** Migrations by version; append new ones, never edit a shipped one. */
const MIGRATIONS: readonly ((schema: string) => string)[] = [
  (schema) => `
    CREATE TABLE ${schema}.sessions (
      session_id text PRIMARY KEY,
      version bigint NOT NULL,
      record jsonb NOT NULL,
      -- From record.expiresAt (ms since the epoch): a finished session's retention.
      expires_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sessions_expires_at ON ${schema}.sessions (expires_at) WHERE expires_at IS NOT NULL;`,
  // Workers (contract §11): commands queued for a session and the events its runs emitted, each numbered
  // densely per session (seq 1, 2, …) so a reader can say "after n" and a worker "applied up to n".
  (schema) => `
    CREATE TABLE ${schema}.commands (
      session_id text NOT NULL,
      seq bigint NOT NULL,
      command jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (session_id, seq)
    );
    CREATE TABLE ${schema}.events (
      session_id text NOT NULL,
      seq bigint NOT NULL,
      event jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (session_id, seq)
    );`,
];

/** The schema version this tinyagent writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A quoted identifier, so any schema name is safe to splice into SQL. */
export function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Brings `schema` up to {@link SCHEMA_VERSION}; refuses a database written by a newer tinyagent. */
export async function migrate(pool: pg.Pool, schemaName: string): Promise<void> {
  const schema = identifier(schemaName);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`tinyagent:${schemaName}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version int NOT NULL)`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${schema}.schema_version`);
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `tinyagent/postgres: schema "${schemaName}" is at version ${current}, newer than this tinyagent's ${SCHEMA_VERSION}: upgrade tinyagent, or use another schema.`,
      );
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!(schema));
      await client.query(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [version]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The quoted names of the tables in `schemaName`, and its notification channel. */
export type Tables = { schemaName: string; sessions: string; commands: string; events: string; channel: string };

/** {@link Tables} of `schemaName`. */
export function tablesOf(schemaName: string): Tables {
  const schema = identifier(schemaName);
  return {
    schemaName,
    sessions: `${schema}.sessions`,
    commands: `${schema}.commands`,
    events: `${schema}.events`,
    channel: `tinyagent:${schemaName}`,
  };
}
