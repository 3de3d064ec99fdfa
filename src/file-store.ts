/**
 * The embedded default session store (contract §10): one JSON file per
 * session in a directory, written atomically (temp file, fsync, rename,
 * fsync of the directory), so a crash mid-write leaves the old or the new
 * record, never a torn one.
 *
 * node:fs is loaded lazily, by a dynamic import inside the store, so the
 * main entry stays browser-safe: a browser bundle never evaluates it unless
 * createFileStore is called, and the web chat never calls it.
 */
import { isExpired, keyedQueue, recordJson, sessionConflict, type SessionRecord, type SessionStore } from "./session-store.js";

type Fs = typeof import("node:fs/promises");

/** What one session file holds. */
type SessionFile = { version: number; record: SessionRecord };

/**
 * A store keeping each session in `dir/<encoded id>.json`. Compare-and-set is
 * exact within one process; across processes, give each session one writer
 * (the Postgres store fences writers across machines).
 */
export function createFileStore(dir: string): SessionStore {
  let fs: Promise<Fs> | undefined;
  const loadFs = () =>
    (fs ??= import("node:fs/promises").then(async (mod) => {
      await mod.mkdir(dir, { recursive: true });
      return mod;
    }));
  const queue = keyedQueue();
  const fileOf = (sessionId: string) => `${dir}/${encodeURIComponent(sessionId)}.json`;

  const read = async (sessionId: string): Promise<SessionFile | undefined> => {
    const { readFile } = await loadFs();
    try {
      return JSON.parse(await readFile(fileOf(sessionId), "utf8")) as SessionFile;
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  };

  const writeAtomically = async (path: string, text: string) => {
    const { open, rename } = await loadFs();
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const file = await open(temp, "w");
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    const directory = await open(dir, "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  };

  return {
    load: async (sessionId) => {
      const stored = await read(sessionId);
      return stored && !isExpired(stored.record) ? { record: stored.record, version: stored.version } : undefined;
    },
    save: (sessionId, record, expectedVersion) =>
      queue(sessionId, async () => {
        const stored = await read(sessionId);
        const actual = stored && !isExpired(stored.record) ? stored.version : null;
        if (actual !== expectedVersion) throw sessionConflict(sessionId, expectedVersion, actual);
        // Versions keep counting over an expired record, so a writer holding its old version stays fenced.
        const version = (stored?.version ?? 0) + 1;
        // JSON.stringify({ version, record } satisfies SessionFile), the record's text as recordJson has it.
        await writeAtomically(fileOf(sessionId), `{"version":${version},"record":${recordJson(record)}}`);
        return version;
      }),
    delete: (sessionId) =>
      queue(sessionId, async () => {
        const { rm } = await loadFs();
        await rm(fileOf(sessionId), { force: true });
      }),
  };
}
