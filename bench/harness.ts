/**
 * Runs the whole bench: builds the workloads, starts the loopback server in
 * this process, and for each workload loads every system (each in its own
 * child process by default: own heap, JIT and peak RSS, while the server
 * keeps its own core), warms them up, then times them round-robin — one
 * conversation per system per round — so drift on a shared machine hits
 * every system alike. Reports the median per system.
 */
import { cpus } from "node:os";
import { childRunner } from "./child-runner.js";
import { localRunner, median, type Runner, type RunnerSpec } from "./measure.js";
import { startBenchServer } from "./server.js";
import { SYSTEMS, takesPart } from "./systems/index.js";
import type { SystemId } from "./systems/system.js";
import { buildWorkload, FULL_SIZES, WORKLOAD_IDS, type Workload, type WorkloadId, type WorkloadSizes } from "./workloads.js";

/** How to run the bench. */
export type BenchOptions = {
  sizes?: WorkloadSizes;
  /** Timed rounds (median reported). Default 5. */
  iterations?: number;
  /** Untimed runs first, at least. Default 1. */
  warmup?: number;
  /** Workload (f): how many times the idle agents are built and measured (median reported). Default 3. */
  heapRounds?: number;
  /** Keep warming up (at most 10 runs) until this much time went by. Default 500 ms. */
  warmupMs?: number;
  /** A system stops taking part in further rounds of a workload once its timed runs add up to this. Default 5000 ms. */
  budgetMs?: number;
  workloads?: readonly WorkloadId[];
  systems?: readonly SystemId[];
  /** Measure in this process instead of a child per system (faster to start, less isolated). */
  inProcess?: boolean;
  /** Write a `--cpu-prof` profile of every child into this directory. */
  cpuProfDir?: string;
  /** Called after each system finished a workload, e.g. to show progress. */
  onMeasurement?: (measurement: Measurement) => void;
};

/** One system on one workload. */
export type Measurement = {
  system: SystemId;
  workload: WorkloadId;
  ok: boolean;
  /** Why it failed (a failed output check, or a peer that would not load). */
  error?: string;
  /** Wall-clock time of each timed run. */
  timesMs: number[];
  /** CPU time of each timed run (the system's process only: the server runs elsewhere). */
  cpuTimesMs: number[];
  medianMs: number;
  /** Median wall-clock time per delta of the workload (of all agents for (e)). */
  nsPerDelta: number;
  /** Median CPU time per delta. */
  cpuNsPerDelta: number;
  peakRssMB: number;
  /** Workload (f) only. */
  heapPerAgentKB?: number;
};

/** Everything one bench run found. */
export type BenchReport = {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cpus: number;
  iterations: number;
  durationMs: number;
  workloads: { id: WorkloadId; title: string; kind: string; deltas: number; agents: number }[];
  measurements: Measurement[];
};

const MAX_WARMUP_RUNS = 10;

/** Runs the bench and returns its report. */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const sizes = options.sizes ?? FULL_SIZES;
  const iterations = options.iterations ?? 5;
  const workloads = (options.workloads ?? WORKLOAD_IDS).map((id) => buildWorkload(id, sizes));
  const server = await startBenchServer(workloads);
  const measurements: Measurement[] = [];
  try {
    for (const workload of workloads) {
      const systems = SYSTEMS.filter((s) => (!options.systems || options.systems.includes(s.id)) && takesPart(s, workload));
      const specs = systems.map((s): RunnerSpec => ({ system: s.id, workload: workload.id, sizes, baseUrl: server.baseUrl(workload.id, s.dialect) }));
      const results = await measureWorkload(workload, specs, { ...options, iterations });
      for (const m of results) options.onMeasurement?.(m);
      measurements.push(...results);
    }
  } finally {
    await server.close();
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cpus: cpus().length,
    iterations,
    durationMs: performance.now() - started,
    workloads: workloads.map((w) => ({ id: w.id, title: w.title, kind: w.kind, deltas: w.deltas, agents: w.agents })),
    measurements,
  };
}

type Entry = { spec: RunnerSpec; runner?: Runner; error?: string; timesMs: number[]; cpuTimesMs: number[]; heap?: number; active: boolean };

async function measureWorkload(workload: Workload, specs: RunnerSpec[], options: BenchOptions & { iterations: number }): Promise<Measurement[]> {
  const entries: Entry[] = [];
  for (const spec of specs) {
    const entry: Entry = { spec, timesMs: [], cpuTimesMs: [], active: true };
    try {
      entry.runner = options.inProcess ? await localRunner(spec) : await childRunner(spec, options.cpuProfDir);
    } catch (error) {
      entry.error = `did not load: ${errorText(error)}`;
      entry.active = false;
    }
    entries.push(entry);
  }
  const attempt = async (entry: Entry, step: (runner: Runner) => Promise<void>) => {
    if (!entry.active || !entry.runner) return;
    try {
      await step(entry.runner);
    } catch (error) {
      entry.error = errorText(error);
      entry.active = false;
    }
  };
  if (workload.kind === "heap") {
    for (const entry of entries) await attempt(entry, async (runner) => void (entry.heap = await runner.heapPerAgentKB(options.heapRounds ?? 3)));
  } else {
    for (const entry of entries) {
      await attempt(entry, async (runner) => {
        const warmupStarted = performance.now();
        const minRuns = options.warmup ?? 1;
        const minMs = options.warmupMs ?? 500;
        for (let n = 0; n < minRuns || (performance.now() - warmupStarted < minMs && n < MAX_WARMUP_RUNS); n++) await runner.runOnce();
      });
    }
    const budget = options.budgetMs ?? 5000;
    for (let round = 0; round < options.iterations; round++) {
      for (const entry of entries) {
        await attempt(entry, async (runner) => {
          const timing = await runner.runOnce();
          entry.timesMs.push(timing.wallMs);
          entry.cpuTimesMs.push(timing.cpuMs);
          if (entry.timesMs.reduce((a, b) => a + b, 0) > budget) entry.active = false;
        });
      }
    }
  }
  const results: Measurement[] = [];
  for (const entry of entries) {
    const peakRssMB = (await entry.runner?.peakRssMB().catch(() => 0)) ?? 0;
    await entry.runner?.close().catch(() => {});
    const ok = entry.error === undefined;
    const medianMs = ok && entry.timesMs.length ? median(entry.timesMs) : 0;
    const medianCpuMs = ok && entry.cpuTimesMs.length ? median(entry.cpuTimesMs) : 0;
    const deltas = workload.deltas * workload.agents;
    results.push({
      system: entry.spec.system,
      workload: workload.id,
      ok,
      error: entry.error,
      timesMs: entry.timesMs,
      cpuTimesMs: entry.cpuTimesMs,
      medianMs,
      nsPerDelta: workload.kind === "heap" ? 0 : (medianMs * 1e6) / deltas,
      cpuNsPerDelta: workload.kind === "heap" ? 0 : (medianCpuMs * 1e6) / deltas,
      peakRssMB,
      heapPerAgentKB: entry.heap,
    });
  }
  return results;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
