/**
 * Session stores for agent tests: the three real backends (memory, a file
 * store in a temporary folder, Postgres in a fresh schema), and a view of a
 * store through which a process can "die": once dead, a save is never
 * acknowledged and nothing more is written — what a SIGKILL leaves — so a
 * test can stop an agent at an exact durable point and reopen the session
 * from the same store in the same process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { createFileStore, createMemoryStore, type AgentSessionRecord, type SessionRecord, type SessionStore } from "../../src/index.js";
import { createPostgresStore, type PostgresStore } from "../../src/postgres/index.js";
import { usePostgres } from "./postgres.js";
import { deferred } from "./transcript.js";

/** The three backends by name, each making a fresh empty store; Postgres starts once for the calling test file. */
export function sessionBackends(): Array<[string, () => SessionStore]> {
  const dirs: string[] = [];
  const pgStores: PostgresStore[] = [];
  const postgres = usePostgres();
  let schemas = 0;
  afterAll(async () => {
    await Promise.all(pgStores.map((store) => store.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return [
    ["memory", () => createMemoryStore()],
    [
      "file",
      () => {
        const dir = mkdtempSync(join(tmpdir(), "tinyagent-sessions-"));
        dirs.push(dir);
        return createFileStore(dir);
      },
    ],
    [
      "postgres",
      () => {
        const store = createPostgresStore({ connectionString: postgres.connectionString, schema: `sessions_${++schemas}` });
        pgStores.push(store);
        return store;
      },
    ],
  ];
}

/** A store seen through a process that can die; `records` are the saves that reached the store, in order. */
export type MortalStore = {
  store: SessionStore;
  records: AgentSessionRecord[];
  /** Dies now: saves from now on never reach the store and never settle. */
  die(): void;
  /** Resolves once dead. */
  dead: Promise<void>;
};

/**
 * `base` seen by a process that dies right after the save whose record
 * `dieAfter` accepts (it reaches the store, its acknowledgement never comes back), or at `die()`.
 */
export function mortalStore(base: SessionStore, dieAfter: (record: AgentSessionRecord) => boolean = () => false): MortalStore {
  const records: AgentSessionRecord[] = [];
  const death = deferred();
  let alive = true;
  const die = () => {
    alive = false;
    death.resolve();
  };
  const never = new Promise<never>(() => {});
  const store: SessionStore = {
    load: (sessionId) => (alive ? base.load(sessionId) : never),
    delete: (sessionId) => (alive ? base.delete(sessionId) : never),
    async save(sessionId: string, record: SessionRecord, expectedVersion: number | null) {
      if (!alive) return never;
      const version = await base.save(sessionId, record, expectedVersion);
      records.push(record as AgentSessionRecord);
      if (dieAfter(record as AgentSessionRecord)) die();
      return alive ? version : never;
    },
  };
  return { store, records, die, dead: death.promise };
}
