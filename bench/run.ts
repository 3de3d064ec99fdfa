/**
 * `npm run bench`: tinyagent against the physical floor and its peers, in
 * one run, on one loopback server. Flags: `--json` (the report as JSON on
 * stdout), `--iterations N`, `--only a,b,…` (workloads; `sessions` for the checkpoint cost of durable sessions, bench/sessions.ts; `workers` for sessions per second with 1, 2 and 4 workers, bench/workers.ts), `--systems x,y`,
 * `--in-process`, `--cpu-prof <dir>` (profile each child), `--basis wall` (ratios from wall-clock instead of CPU time). Progress goes to stderr.
 */
import { runBench } from "./harness.js";
import { checkTargets, formatReport } from "./report.js";
import { formatSessionReport, runSessionBench } from "./sessions.js";
import { formatWorkersReport, runWorkersBench } from "./workers.js";
import type { SystemId } from "./systems/system.js";
import type { WorkloadId } from "./workloads.js";

const args = process.argv.slice(2);
const value = (flag: string) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const json = args.includes("--json");
const list = (flag: string) =>
  value(flag)
    ?.split(",")
    .map((s) => s.trim());

// "sessions" (bench/sessions.ts) and "workers" (bench/workers.ts) are not harness workloads: they run after the others, or alone with --only sessions / --only workers.
const only = list("--only");
const sessionsToo = !only || only.includes("sessions");
const workersToo = !only || only.includes("workers");
const harnessOnly = only?.filter((id) => id !== "sessions" && id !== "workers");
const report =
  harnessOnly?.length === 0
    ? undefined
    : await runBench({
        iterations: value("--iterations") ? Number(value("--iterations")) : undefined,
        workloads: harnessOnly as WorkloadId[] | undefined,
        systems: list("--systems") as SystemId[] | undefined,
        inProcess: args.includes("--in-process"),
        cpuProfDir: value("--cpu-prof"),
        onMeasurement: (m) =>
          process.stderr.write(
            `  ${m.workload.padEnd(8)} ${m.system.padEnd(18)} ${m.ok ? (m.heapPerAgentKB !== undefined ? `${m.heapPerAgentKB.toFixed(1)} KB/agent` : `${m.nsPerDelta.toFixed(0)} ns/delta, ${m.cpuNsPerDelta.toFixed(0)} cpu (${m.timesMs.length} runs)`) : `FAILED: ${m.error}`}\n`,
          ),
      });
const sessions = sessionsToo ? await runSessionBench() : undefined;
const workers = workersToo ? await runWorkersBench() : undefined;
const basis = value("--basis") === "wall" ? "wall" : "cpu";
process.stdout.write(
  json
    ? `${JSON.stringify({ ...report, basis, targets: report && checkTargets(report, basis), sessions, workers }, null, 2)}\n`
    : `${report ? `${formatReport(report, basis)}\n` : ""}${sessions ? `${formatSessionReport(sessions)}\n` : ""}${workers ? `${formatWorkersReport(workers)}\n` : ""}`,
);
