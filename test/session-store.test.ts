import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AgentError, createFileStore, createMemoryStore, type SessionStore } from "../src/index.js";
import { createPostgresStore, type PostgresStore } from "../src/postgres/index.js";
import { SCHEMA_VERSION } from "../src/postgres/schema.js";
import { usePostgres } from "./helpers/postgres.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "tinyagent-store-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const postgres = usePostgres();
const pgStores: PostgresStore[] = [];
let schemas = 0;
// Each test gets its own schema: a fresh database's worth of tables, made on first use.
const pgStore = () => {
  const store = createPostgresStore({ connectionString: postgres.connectionString, schema: `conformance_${++schemas}` });
  pgStores.push(store);
  return store;
};
afterAll(() => Promise.all(pgStores.map((store) => store.close())));

const backends: Array<[string, () => SessionStore]> = [
  ["memory", () => createMemoryStore()],
  ["file", () => createFileStore(tempDir())],
  ["postgres", pgStore],
];

describe.each(backends)("SessionStore conformance: %s", (_name, make) => {
  it("creates, loads, updates with compare-and-set and deletes", async () => {
    const store = make();
    expect(await store.load("a")).toBeUndefined();
    const v1 = await store.save("a", { n: 1 }, null);
    expect(await store.load("a")).toEqual({ record: { n: 1 }, version: v1 });
    const v2 = await store.save("a", { n: 2 }, v1);
    expect(v2).toBeGreaterThan(v1);
    expect(await store.load("a")).toEqual({ record: { n: 2 }, version: v2 });
    await store.delete("a");
    expect(await store.load("a")).toBeUndefined();
    await store.delete("a");
  });

  it("rejects a stale version and a second create with session-conflict", async () => {
    const store = make();
    const v1 = await store.save("s/1 ü", { n: 1 }, null);
    await expect(store.save("s/1 ü", { n: 9 }, null)).rejects.toMatchObject({ code: "session-conflict" });
    await store.save("s/1 ü", { n: 2 }, v1);
    const stale = store.save("s/1 ü", { n: 3 }, v1);
    await expect(stale).rejects.toBeInstanceOf(AgentError);
    await expect(stale).rejects.toMatchObject({ code: "session-conflict" });
    expect((await store.load("s/1 ü"))?.record).toEqual({ n: 2 });
  });

  it("lets exactly one of many concurrent saves on one version win", async () => {
    const store = make();
    const v1 = await store.save("c", { n: 0 }, null);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => store.save("c", { n }, v1)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason.code === "session-conflict")).toBe(true);
  });

  it("treats an expired record as absent, and keeps counting versions over it", async () => {
    const store = make();
    const v1 = await store.save("e", { n: 1, expiresAt: Date.now() - 1 }, null);
    expect(await store.load("e")).toBeUndefined();
    await expect(store.save("e", { n: 2 }, v1)).rejects.toMatchObject({ code: "session-conflict" });
    const v2 = await store.save("e", { n: 3, expiresAt: Date.now() + 60_000 }, null);
    expect(v2).toBeGreaterThan(v1);
    expect(await store.load("e")).toEqual({ record: { n: 3, expiresAt: expect.any(Number) }, version: v2 });
  });

  it("keeps one record per session however many saves (no history grows)", async () => {
    const store = make();
    let version: number | null = null;
    for (let n = 0; n < 20; n++) version = await store.save("g", { n }, version);
    expect(await store.load("g")).toEqual({ record: { n: 19 }, version });
  });
});

describe("postgres store", () => {
  it("creates its schema once, versioned, even when many stores start together", async () => {
    const stores = Array.from({ length: 4 }, () => createPostgresStore({ connectionString: postgres.connectionString, schema: "racing" }));
    await Promise.all(stores.map((store, n) => store.save(`s${n}`, { n }, null)));
    const { default: pg } = await import("pg");
    const client = new pg.Client(postgres.connectionString);
    await client.connect();
    const { rows } = await client.query("SELECT version FROM racing.schema_version");
    const { rows: count } = await client.query("SELECT count(*)::int AS n FROM racing.sessions");
    await client.end();
    await Promise.all(stores.map((store) => store.close()));
    // Each migration applied once, in order, however many stores raced.
    expect(rows).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, n) => ({ version: n + 1 })));
    expect(count).toEqual([{ n: 4 }]);
  });

  it("sweeps expired sessions", async () => {
    const store = pgStore();
    await store.save("old", { expiresAt: Date.now() - 1000 }, null);
    await store.save("kept", { expiresAt: Date.now() + 60_000 }, null);
    await store.save("forever", {}, null);
    expect(await store.sweepExpired()).toBe(1);
    expect(await store.load("kept")).toBeDefined();
    expect(await store.load("forever")).toBeDefined();
  });

  it("says what is missing when given no connection", () => {
    expect(() => createPostgresStore({})).toThrowErrorMatchingInlineSnapshot(
      `[TypeError: createPostgresStore needs { connectionString } (postgres://user@host:5432/db) or { pool }.]`,
    );
  });
});

describe("file store", () => {
  it("sees a save by another store on the same directory (another process): the stale writer's next save is refused", async () => {
    const dir = tempDir();
    const [a, b] = [createFileStore(dir), createFileStore(dir)];
    const v1 = await a.save("s", { n: 1 }, null);
    const v2 = await a.save("s", { n: 2 }, v1); // a checks its own file by stat from here on
    await b.save("s", { n: 3 }, (await b.load("s"))!.version); // the same size as a's record
    await expect(a.save("s", { n: 4 }, v2)).rejects.toMatchObject({ code: "session-conflict" });
    await b.delete("s");
    await expect(a.save("s", { n: 5 }, v2)).rejects.toMatchObject({ code: "session-conflict" });
    expect(await a.save("s", { n: 6 }, null)).toBe(1);
  });

  it("a process killed mid-write leaves a loadable record and no torn file", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/file-store-writer.ts", dir, "crash"], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const loaded = await createFileStore(dir).load("crash");
    expect(loaded?.record.n).toBeGreaterThanOrEqual(3);
    expect(loaded?.version).toBe((loaded?.record.n as number) + 1);
    expect(readdirSync(dir).filter((f) => f.endsWith(".json"))).toEqual(["crash.json"]);
  }, 8000);
});
