/**
 * The parent's handle on a child-process {@link Runner}: forks
 * `node --import tsx child.ts <spec>` and turns each method into one IPC
 * request/response. A child that dies or hangs rejects the pending call.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildRequest, ChildResponse } from "./child.js";
import type { Runner, RunnerSpec, RunTiming } from "./measure.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
/** Longest any single request may take (a 100k-delta run of the slowest peer is ~15 s). */
const REQUEST_TIMEOUT_MS = 120_000;

/** Forks a child for `spec` and resolves once it has loaded its system (rejects if it could not). */
export async function childRunner(spec: RunnerSpec, cpuProfDir?: string): Promise<Runner> {
  const child = fork(CHILD, [JSON.stringify(spec)], {
    execArgv: ["--import", "tsx", "--conditions=tinyagent-source", ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (value: number | RunTiming) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let exited: string | undefined;
  const settle = (response: ChildResponse) => {
    const call = pending.get(response.id);
    if (!call) return;
    pending.delete(response.id);
    clearTimeout(call.timer);
    if (response.ok) call.resolve(response.value);
    else call.reject(new Error(response.error));
  };
  child.on("message", (response: ChildResponse) => settle(response));
  child.on("exit", (code, signal) => {
    exited = `child exited (${signal ?? `code ${code}`})`;
    for (const id of [...pending.keys()]) settle({ id, ok: false, error: exited });
  });
  let nextId = 1;
  const call = (method: ChildRequest["method"], arg?: number, id = nextId++): Promise<number | RunTiming> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error(exited));
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        settle({ id, ok: false, error: `${method} timed out after ${REQUEST_TIMEOUT_MS / 1000} s` });
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      // id 0 is the child's own "loaded" message: nothing to send.
      if (id !== 0) child.send({ id, method, arg } satisfies ChildRequest);
    });
  try {
    await call("runOnce", undefined, 0);
  } catch (error) {
    kill(child);
    throw error;
  }
  return {
    runOnce: () => call("runOnce") as Promise<RunTiming>,
    heapPerAgentKB: (rounds) => call("heapPerAgentKB", rounds) as Promise<number>,
    peakRssMB: () => call("peakRssMB") as Promise<number>,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = new Promise((resolve) => child.once("exit", resolve));
      await call("close").catch(() => {});
      // Let it exit by itself (a --cpu-prof child writes its profile on exit); kill it if it lingers.
      const timer = setTimeout(() => kill(child), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill();
}
