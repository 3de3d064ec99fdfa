import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AgentError, createFileStore, createMemoryStore, type SessionStore } from "../src/index.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "tinyagent-store-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const backends: Array<[string, () => SessionStore]> = [
  ["memory", () => createMemoryStore()],
  ["file", () => createFileStore(tempDir())],
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
});

describe("file store", () => {
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
