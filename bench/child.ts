/**
 * Child-process side of the bench: loads the one system named in argv[2]
 * (a {@link RunnerSpec} as JSON) and answers the parent's IPC requests
 * (`runOnce`, `heapPerAgentKB`, `peakRssMB`, `close`) one at a time.
 */
import { localRunner, type Runner, type RunnerSpec, type RunTiming } from "./measure.js";

/** A request from the parent. */
export type ChildRequest = { id: number; method: "runOnce" | "heapPerAgentKB" | "peakRssMB" | "close"; arg?: number };
/** The answer to one request (id 0 answers loading). */
export type ChildResponse = { id: number; ok: true; value: number | RunTiming } | { id: number; ok: false; error: string };

const spec = JSON.parse(process.argv[2] ?? "{}") as RunnerSpec;
const reply = (response: ChildResponse) => process.send!(response);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

let runner: Runner | undefined;
try {
  runner = await localRunner(spec);
  reply({ id: 0, ok: true, value: 0 });
} catch (error) {
  reply({ id: 0, ok: false, error: message(error) });
}

process.on("message", async (request: ChildRequest) => {
  if (request.method === "close" || !runner) {
    // Keep-alive sockets would hold the process open: leave once the answer is out.
    process.send!({ id: request.id, ok: true, value: 0 } satisfies ChildResponse, () => process.exit(0));
    return;
  }
  try {
    const value =
      request.method === "runOnce"
        ? await runner.runOnce()
        : request.method === "heapPerAgentKB"
          ? await runner.heapPerAgentKB(request.arg ?? 3)
          : await runner.peakRssMB();
    reply({ id: request.id, ok: true, value });
  } catch (error) {
    reply({ id: request.id, ok: false, error: message(error) });
  }
});
