// Saves one session in a loop until killed: the crash-mid-write test SIGKILLs it.
import { createFileStore } from "../../src/file-store.js";

const [dir, sessionId] = process.argv.slice(2) as [string, string];
const store = createFileStore(dir);
const padding = "x".repeat(200_000);
let version: number | null = (await store.load(sessionId))?.version ?? null;
for (let n = 0; ; n++) {
  version = await store.save(sessionId, { n, padding }, version);
  if (n === 3) process.stdout.write("writing\n");
}
