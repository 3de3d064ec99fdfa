/**
 * Runs one system on one workload in the current process, one timed
 * conversation at a time, so the harness can interleave systems round by
 * round (machine drift then hits all of them alike). Used directly by the
 * smoke test and, under `npm run bench`, inside one child process per system
 * (see child.ts), so each system has its own heap, JIT and peak RSS.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { systemEntry } from "./systems/index.js";
import type { SystemId } from "./systems/system.js";
import { buildWorkload, type WorkloadId, type WorkloadSizes } from "./workloads.js";

/** Which system, which workload, at which sizes, against which server. */
export type RunnerSpec = {
  system: SystemId;
  workload: WorkloadId;
  sizes: WorkloadSizes;
  /** The server's OpenAI-style base URL for this workload. */
  baseUrl: string;
};

/** How long one run took: wall clock, and CPU time of this process (robust on a busy, shared machine). */
export type RunTiming = { wallMs: number; cpuMs: number };

/** One loaded system on one workload. */
export type Runner = {
  /** Runs the workload once (all its agents for (e)); resolves with the time it took; rejects if the output was wrong. */
  runOnce(): Promise<RunTiming>;
  /** Workload (f): creates the idle agents `rounds` times and resolves with the median heap per agent after GC, in KB. */
  heapPerAgentKB(rounds: number): Promise<number>;
  /** Peak resident set size of the process so far, in MB. */
  peakRssMB(): Promise<number>;
  close(): Promise<void>;
};

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

let gcFunction: (() => void) | undefined;
/** Full GC without needing `--expose-gc` on the command line. */
function gc(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  for (let i = 0; i < 2; i++) gcFunction();
}

/** Loads the system (rejects if it will not load, e.g. on an unsupported Node) and returns its runner. */
export async function localRunner(spec: RunnerSpec): Promise<Runner> {
  const system = await systemEntry(spec.system).load();
  const workload = buildWorkload(spec.workload, spec.sizes);
  const once =
    workload.kind === "concurrent"
      ? () => Promise.all(Array.from({ length: workload.agents }, () => system.run(spec.baseUrl, workload))).then(() => undefined)
      : () => system.run(spec.baseUrl, workload);
  return {
    async runOnce() {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await once();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { wallMs, cpuMs: (used.user + used.system) / 1000 };
    },
    async heapPerAgentKB(rounds) {
      const create = system.idleAgent;
      if (!create) throw new Error(`${system.id} has no agent object`);
      const perAgent: number[] = [];
      for (let round = 0; round < rounds; round++) {
        gc();
        const before = process.memoryUsage().heapUsed;
        const agents: unknown[] = [];
        for (let i = 0; i < workload.agents; i++) agents.push(create(spec.baseUrl));
        gc();
        perAgent.push((process.memoryUsage().heapUsed - before) / workload.agents / 1024);
        agents.length = 0;
      }
      return median(perAgent);
    },
    peakRssMB: async () => process.resourceUsage().maxRSS / 1024,
    close: async () => {},
  };
}
