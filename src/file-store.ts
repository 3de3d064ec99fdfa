/**
 * The embedded default session store (contract §10): one JSON file per
 * session in a directory, written atomically (temp file, fsync, rename,
 * fsync of the directory), so a crash mid-write leaves the old or the new
 * record, never a torn one.
 *
 * A save checks the stored version without reading the file back when the
 * file is still the one this store last wrote: one `stat`, whose inode,
 * size and nanosecond mtime match what the write left (another writer's save
 * replaces the file by a rename, so a new inode; an inode number comes back
 * only after that file was replaced in turn, and then size and mtime must
 * match too). Otherwise it reads the file, as it always did.
 *
 * node:fs is loaded lazily, by a dynamic import inside the store, so the
 * main entry stays browser-safe: a browser bundle never evaluates it unless
 * createFileStore is called, and the web chat never calls it.
 */
import { isExpired, keyedQueue, recordJson, sessionConflict, type SessionRecord, type SessionStore } from "./session-store.js";

type Fs = typeof import("node:fs/promises");

/** What one session file holds. */
type SessionFile = { version: number; record: SessionRecord };

/** How many sessions' files a store remembers (a session saved longer ago is read back at its next save). */
const WRITTEN_KEPT = 1024;

/** A session file as this store wrote it: its version and expiry, and the stat fields that tell it from any other file. */
type Written = { version: number; expiresAt?: number; ino: bigint; size: bigint; mtimeNs: bigint };

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
  const written = new Map<string, Written>(); // the last WRITTEN_KEPT sessions saved, oldest first

  const read = async (sessionId: string): Promise<SessionFile | undefined> => {
    const { readFile } = await loadFs();
    try {
      return JSON.parse(await readFile(fileOf(sessionId), "utf8")) as SessionFile;
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  };

  /** The stored version and expiry: from `written` when the file is still the one this store wrote, else read. */
  const stored = async (sessionId: string): Promise<{ version: number; expiresAt?: number } | undefined> => {
    const mine = written.get(sessionId);
    if (mine) {
      const { stat } = await loadFs();
      const now = await stat(fileOf(sessionId), { bigint: true }).catch(() => undefined);
      if (now?.ino === mine.ino && now.size === mine.size && now.mtimeNs === mine.mtimeNs) return mine;
      written.delete(sessionId);
    }
    const file = await read(sessionId);
    return file && { version: file.version, expiresAt: file.record.expiresAt };
  };

  /** Writes `text` to `path` through a temp file; resolves to the new file's stat. */
  const writeAtomically = async (path: string, text: string) => {
    const { open, rename } = await loadFs();
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const file = await open(temp, "w");
    let stats: import("node:fs").BigIntStats;
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
      stats = await file.stat({ bigint: true });
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
    return stats;
  };

  return {
    load: async (sessionId) => {
      const stored = await read(sessionId);
      return stored && !isExpired(stored.record) ? { record: stored.record, version: stored.version } : undefined;
    },
    save: (sessionId, record, expectedVersion) =>
      queue(sessionId, async () => {
        const current = await stored(sessionId);
        const actual = current && !isExpired(current) ? current.version : null;
        if (actual !== expectedVersion) throw sessionConflict(sessionId, expectedVersion, actual);
        // Versions keep counting over an expired record, so a writer holding its old version stays fenced.
        const version = (current?.version ?? 0) + 1;
        written.delete(sessionId); // until this write is done, the file is not known
        // JSON.stringify({ version, record } satisfies SessionFile), the record's text as recordJson has it.
        const stats = await writeAtomically(fileOf(sessionId), `{"version":${version},"record":${recordJson(record)}}`);
        written.set(sessionId, { version, expiresAt: record.expiresAt, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs });
        if (written.size > WRITTEN_KEPT) written.delete(written.keys().next().value!);
        return version;
      }),
    delete: (sessionId) =>
      queue(sessionId, async () => {
        written.delete(sessionId);
        const { rm } = await loadFs();
        await rm(fileOf(sessionId), { force: true });
      }),
  };
}
