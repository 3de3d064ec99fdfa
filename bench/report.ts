/**
 * Turns a {@link BenchReport} into the printed tables and the target checks.
 * Ratios are this row's time over the column's system's time on the same
 * workload in the same run (below 1 = faster), so machine drift cancels out.
 * They are computed from CPU time by default (each system runs in its own
 * process, the server in another, so a process's CPU time is its own cost
 * and barely moves when the shared machine is busy); `basis: "wall"` uses
 * wall-clock time instead.
 */
import type { BenchReport } from "./harness.js";
import type { Measurement } from "./harness.js";
import { SYSTEMS } from "./systems/index.js";
import type { SystemId } from "./systems/system.js";

/** Which time the ratios and targets use. */
export type RatioBasis = "cpu" | "wall";

/** One target of the issue and whether this run met it. */
export type TargetCheck = { target: string; met: boolean | undefined; detail: string };

const PEERS: readonly SystemId[] = ["pi-ai", "pi-agent", "ai-sdk"];
const OURS: SystemId = "tinyagent-agent";

function find(report: BenchReport, workload: string, system: SystemId): Measurement | undefined {
  const m = report.measurements.find((x) => x.workload === workload && x.system === system);
  return m?.ok ? m : undefined;
}

function perDelta(m: Measurement | undefined, basis: RatioBasis): number | undefined {
  return m ? (basis === "cpu" ? m.cpuNsPerDelta : m.nsPerDelta) : undefined;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a && b ? `${(a / b).toFixed(2)}` : "–";
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
}

/** The tables, one per workload, as monospace text. */
export function formatTables(report: BenchReport, basis: RatioBasis = "cpu"): string {
  const out: string[] = [];
  for (const workload of report.workloads) {
    const rows = report.measurements.filter((m) => m.workload === workload.id);
    if (rows.length === 0) continue;
    out.push("", `${workload.title}`);
    const label = (id: SystemId) => SYSTEMS.find((s) => s.id === id)?.label ?? id;
    if (workload.kind === "heap") {
      const widths = [40, 12, 10, 10, 10];
      out.push(pad(["system", "KB/agent", "×pi-agent", "×ai-sdk", "RSS MB"], widths));
      for (const m of rows) {
        if (!m.ok) out.push(`${label(m.system).padEnd(40)}  FAILED: ${m.error}`);
        else {
          const vs = (id: SystemId) => ratio(m.heapPerAgentKB, find(report, workload.id, id)?.heapPerAgentKB);
          out.push(pad([label(m.system), m.heapPerAgentKB!.toFixed(1), vs("pi-agent"), vs("ai-sdk"), m.peakRssMB.toFixed(0)], widths));
        }
      }
      continue;
    }
    const floorOf = (id: SystemId) => find(report, workload.id, SYSTEMS.find((s) => s.id === id)?.floor ?? "floor");
    const widths = [40, 9, 9, 9, 7, 7, 9, 7, 7, 5];
    out.push(pad(["system", "ns/delta", "cpu ns/Δ", "ms", "×floor", "×pi-ai", "×pi-agent", "×ai-sdk", "RSS MB", "runs"], widths));
    for (const m of rows) {
      if (!m.ok) {
        out.push(`${label(m.system).padEnd(40)}  FAILED: ${m.error}`);
        continue;
      }
      const own = perDelta(m, basis);
      const vs = (id: SystemId) => ratio(own, perDelta(find(report, workload.id, id), basis));
      out.push(
        pad(
          [
            label(m.system),
            m.nsPerDelta.toFixed(0),
            m.cpuNsPerDelta.toFixed(0),
            m.medianMs.toFixed(0),
            ratio(own, perDelta(floorOf(m.system), basis)),
            ...PEERS.map(vs),
            m.peakRssMB.toFixed(0),
            String(m.timesMs.length),
          ],
          widths,
        ),
      );
    }
  }
  return out.join("\n");
}

/** The issues' targets (#18, #14's benchmark item), checked against this run (undefined: not measured). */
export function checkTargets(report: BenchReport, basis: RatioBasis = "cpu"): TargetCheck[] {
  const ns = (w: string, s: SystemId) => perDelta(find(report, w, s), basis);
  const checks: TargetCheck[] = [];
  const atMost = (target: string, value: number | undefined, base: number | undefined, limit: number) =>
    checks.push({ target, met: value && base ? value <= limit * base : undefined, detail: `${ratio(value, base)}×` });
  atMost("(a) full Agent ≤ 1.3× floor", ns("a", OURS), ns("a", "floor"), 1.3);
  atMost("(c) full Agent ≤ 1.5× floor", ns("c", OURS), ns("c", "floor"), 1.5);
  for (const w of ["a", "b", "c"]) {
    const ours = ns(w, OURS);
    const peers = PEERS.map((p) => ({ p, v: ns(w, p) })).filter((x) => x.v !== undefined);
    checks.push({
      target: `(${w}) full Agent faster than every peer`,
      met: ours && peers.length ? peers.every((x) => ours < x.v!) : undefined,
      detail: peers.map((x) => `${x.p} ${ratio(x.v, ours)}× slower`).join(", "),
    });
  }
  const ourB = ns("b", OURS);
  const piB = ns("b", "pi-ai");
  checks.push({ target: "(b) full Agent ≥ 5× faster than pi-ai (stream)", met: ourB && piB ? piB >= 5 * ourB : undefined, detail: `${ratio(piB, ourB)}×` });
  // Linear in argument length: at 4× the argument, the time per delta stays (within 1.3×) the same.
  atMost("(b) linear: full Agent per delta at 4× the argument ≤ 1.3× (b)", ns("b-large", OURS), ourB, 1.3);
  // Whole-run times: ns/delta times the deltas of each run.
  const runTime = (w: string) => {
    const v = ns(w, OURS);
    const deltas = report.workloads.find((x) => x.id === w)?.deltas;
    return v && deltas ? v * deltas : undefined;
  };
  const small = runTime("d-small");
  const large = runTime("d-large");
  checks.push({
    target: "(d) 100k run ≤ 11× the 10k run (full Agent)",
    met: small && large ? large <= 11 * small : undefined,
    detail: `${ratio(large, small)}×`,
  });
  const e = report.measurements.find((m) => m.workload === "e" && m.system === OURS);
  checks.push({
    target: "(e) concurrent agents complete with correct transcripts",
    met: e ? e.ok : undefined,
    detail: e?.ok ? `${e.medianMs.toFixed(0)} ms` : (e?.error ?? ""),
  });
  atMost("(e) full Agent ≤ 1.8× floor", ns("e", OURS), ns("e", "floor"), 1.8);
  const ourE = ns("e", OURS);
  const piE = ns("e", "pi-agent");
  checks.push({ target: "(e) full Agent ≥ 1.5× faster than pi-agent-core", met: ourE && piE ? piE >= 1.5 * ourE : undefined, detail: `${ratio(piE, ourE)}×` });
  const g = report.measurements.find((m) => m.workload === "g" && m.system === OURS);
  const gAgents = report.workloads.find((w) => w.id === "g")?.agents ?? 0;
  checks.push({
    target: "(g) concurrent agents in one process complete with valid transcripts",
    met: g ? g.ok : undefined,
    detail: g?.ok
      ? `${gAgents} agents in ${g.medianMs.toFixed(0)} ms (${((g.medianMs * 1000) / gAgents).toFixed(0)} µs per agent), peak RSS ${g.peakRssMB.toFixed(0)} MB`
      : (g?.error ?? ""),
  });
  const f = find(report, "f", OURS)?.heapPerAgentKB;
  checks.push({ target: "(f) ≤ 3 KB per idle agent", met: f !== undefined ? f <= 3 : undefined, detail: f !== undefined ? `${f.toFixed(1)} KB` : "" });
  atMost("viewer: Agent + run viewer ≤ 1.5× Agent alone on (a)", ns("a", "tinyagent-viewer"), ns("a", OURS), 1.5);
  atMost("viewer: Agent + run viewer ≤ 1.5× Agent alone on (h), a 1,000-message transcript", ns("h", "tinyagent-viewer"), ns("h", OURS), 1.5);
  for (const dialect of ["anthropic", "responses", "google"] as const) {
    const stream = `${dialect}-stream` as SystemId;
    const floor = `${dialect}-floor` as SystemId;
    for (const w of ["a", "b"]) atMost(`(${w}) ${dialect} stream ≤ 1.1× its own floor`, ns(w, stream), ns(w, floor), 1.1);
    atMost(`(b) linear: ${dialect} stream per delta at 4× the argument ≤ 1.3× (b)`, ns("b-large", stream), ns("b", stream), 1.3);
  }
  return checks;
}

/** The whole printed report: header, ceiling, tables, targets. */
export function formatReport(report: BenchReport, basis: RatioBasis = "cpu"): string {
  const ceiling = find(report, "a", "raw");
  const floor = find(report, "a", "floor");
  const lines = [
    `tinyagent bench — ${report.date} — Node ${report.node}, ${report.platform}, ${report.cpus}× ${report.cpu}`,
    `median of up to ${report.iterations} timed rounds after warm-up; systems interleaved round-robin, each in its own process; ratios = row ÷ column (< 1 is faster); a native stream's ×floor is against its own dialect's floor`,
    `ratios and targets from ${basis === "cpu" ? "CPU time of each system's own process" : "wall-clock time"}; ns/delta = wall clock, cpu ns/Δ = CPU time`,
    ceiling && floor
      ? `server ceiling on (a): ${ceiling.nsPerDelta.toFixed(0)} ns/delta raw drain (${ceiling.cpuNsPerDelta.toFixed(0)} cpu); floor ${floor.nsPerDelta.toFixed(0)} ns/delta (${floor.cpuNsPerDelta.toFixed(0)} cpu)`
      : "",
    formatTables(report, basis),
    "",
    "targets",
    ...checkTargets(report, basis).map((c) => `  ${c.met === undefined ? "n/a " : c.met ? "MET " : "MISS"}  ${c.target}: ${c.detail}`),
    "",
    `bench took ${(report.durationMs / 1000).toFixed(0)} s`,
  ];
  return lines.filter((l) => l !== undefined).join("\n");
}
