/**
 * `npm run soak`: 10,000 agent runs with random faults in one process
 * (SOAK_RUNS to change), then a report: failures, heap after GC and its slope
 * per run, and handles left open. Exits 1 when a run failed, a handle stayed
 * open, or the heap grew more than 1 KB per run.
 */
import { runSoak } from "../test/helpers/soak.js";

const runs = Number(process.env.SOAK_RUNS ?? 10_000);
console.log(`soak: ${runs} agent runs with random faults…`);
const report = await runSoak({ runs, samples: 40 });
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
console.log(`runs: ${report.runs} in ${report.seconds.toFixed(1)} s (${(report.runs / report.seconds).toFixed(0)} runs/s)`);
console.log("faults drawn:", report.faults);
console.log(`heap after GC: first ${mb(report.heap[0]?.[1] ?? 0)}, last ${mb(report.heap.at(-1)?.[1] ?? 0)}`);
console.log(`heap slope (second half): ${report.heapSlopeBytesPerRun.toFixed(1)} bytes/run`);
console.log("handles left open:", Object.keys(report.handleExcess).length ? report.handleExcess : "none");
console.log("failures:", report.failures.length ? report.failures : "none");
const ok = report.failures.length === 0 && Object.keys(report.handleExcess).length === 0 && report.heapSlopeBytesPerRun < 1024;
console.log(ok ? "soak: OK" : "soak: FAILED");
process.exit(ok ? 0 : 1);
