/**
 * Session stores (contract §10): where a durable session's record lives,
 * with compare-and-set versions so two writers never both win.
 */
import { AgentError } from "./core/errors.js";

/**
 * A session's state as the store keeps it: plain JSON, no functions, no
 * credentials. A numeric `expiresAt` (ms since the epoch) in the past makes
 * the record expired: every store then treats the session as absent.
 */
export type SessionRecord = { readonly expiresAt?: number; readonly [key: string]: unknown };

/** A loaded record and the version to pass back to {@link SessionStore.save}. */
export type StoredSession = { record: SessionRecord; version: number };

/** One backend for durable sessions; every backend passes the same conformance suite. */
export interface SessionStore {
  /** The session's record and version, or `undefined` when there is none. */
  load(sessionId: string): Promise<StoredSession | undefined>;
  /**
   * Compare-and-set: writes when the stored version equals `expectedVersion`
   * (`null`: the session must not exist yet) and resolves to the new version.
   * A stale `expectedVersion` rejects with AgentError `"session-conflict"`.
   */
  save(sessionId: string, record: SessionRecord, expectedVersion: number | null): Promise<number>;
  /** Removes the session; deleting a missing session is not an error. */
  delete(sessionId: string): Promise<void>;
}

/** The AgentError a stale compare-and-set rejects with. */
export function sessionConflict(sessionId: string, expected: number | null, actual: number | null): AgentError {
  return new AgentError(
    "session-conflict",
    `session "${sessionId}" is at version ${actual ?? "none"}, not ${expected ?? "none"}: another writer saved it first; load it again`,
  );
}

/** Records whose JSON their maker gave along (see {@link recordJson}). */
const recordTexts = new WeakMap<SessionRecord, string>();

/**
 * `JSON.stringify(record)`. A record `Agent.open` made comes with its text,
 * built from the JSON of its settled messages, each written once (see
 * src/session-record.ts): the same bytes, without serialising the whole
 * transcript at every checkpoint. Stores call this instead of `JSON.stringify`.
 */
export function recordJson(record: SessionRecord): string {
  return recordTexts.get(record) ?? JSON.stringify(record);
}

/** Gives `record` its JSON text, for {@link recordJson}; `text` must be `JSON.stringify(record)`, and the record not change after. */
export function keepRecordJson(record: SessionRecord, text: string): void {
  recordTexts.set(record, text);
}

/** True when `record` has an `expiresAt` that has passed (see {@link SessionRecord}). */
export function isExpired(record: SessionRecord, now = Date.now()): boolean {
  return typeof record.expiresAt === "number" && record.expiresAt <= now;
}

/**
 * Runs `work` after every earlier task for the same key, so a check-then-write
 * on one session never interleaves with another in this process.
 */
export function keyedQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, work) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}

/**
 * A store in this process's memory: for tests and for sessions that need no
 * survival. Records are copied through JSON on save and load, like a real backend.
 */
export function createMemoryStore(): SessionStore {
  const sessions = new Map<string, { json: string; version: number; expired: () => boolean }>();
  const live = (sessionId: string) => {
    const stored = sessions.get(sessionId);
    return stored && !stored.expired() ? stored : undefined;
  };
  return {
    async load(sessionId) {
      const stored = live(sessionId);
      return stored && { record: JSON.parse(stored.json) as SessionRecord, version: stored.version };
    },
    async save(sessionId, record, expectedVersion) {
      const actual = live(sessionId)?.version ?? null;
      if (actual !== expectedVersion) throw sessionConflict(sessionId, expectedVersion, actual);
      // Versions keep counting over an expired record, so a writer holding its old version stays fenced.
      const version = (sessions.get(sessionId)?.version ?? 0) + 1;
      sessions.set(sessionId, { json: recordJson(record), version, expired: () => isExpired(record) });
      return version;
    },
    async delete(sessionId) {
      sessions.delete(sessionId);
    },
  };
}
