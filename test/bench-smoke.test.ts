/**
 * The bench harness end to end on tiny workloads, in-process, one timed
 * round: every system loads, reproduces each workload exactly (the systems
 * check their own output and fail otherwise) and gets a row in the report.
 * No timing assertions: speed is what `npm run bench` reports, not a test.
 */
import { describe, expect, it } from "vitest";
import { runBench } from "../bench/harness.js";
import { checkTargets, formatReport } from "../bench/report.js";
import { formatSessionReport, runSessionBench } from "../bench/sessions.js";
import { formatWorkersReport, runWorkersBench } from "../bench/workers.js";
import type { WorkloadSizes } from "../bench/workloads.js";

const TINY: WorkloadSizes = {
  textDeltas: 200,
  toolArgChars: 200,
  parallelCalls: 3,
  parallelArgChars: 96,
  followUpTextDeltas: 40,
  scaleSmall: 50,
  scaleLarge: 500,
  concurrentAgents: 5,
  manyAgents: 12,
  idleAgents: 20,
  historyMessages: 30,
};

describe("bench harness", () => {
  it("runs every system on every workload and reports them", async () => {
    const report = await runBench({ sizes: TINY, iterations: 1, warmup: 0, warmupMs: 0, heapRounds: 1, inProcess: true });
    const failed = report.measurements.filter((m) => !m.ok).map((m) => `${m.workload}/${m.system}: ${m.error}`);
    expect(failed).toEqual([]);
    const pairs = report.measurements.map((m) => `${m.workload}/${m.system}`);
    // 8 systems on the five "turns" workloads, the viewer on (a), the 6 native streams and floors on (a) and (b);
    // (b) at 4× the argument: 3 + 6; (e): 4; (g): 2; (f): 3; (h): 2.
    expect(pairs).toHaveLength(5 * 8 + 1 + 2 * 6 + 9 + 4 + 2 + 3 + 2);
    for (const pair of ["b/pi-ai", "e/tinyagent-agent", "f/ai-sdk", "a/tinyagent-viewer", "h/tinyagent-viewer", "g/tinyagent-agent", "b-large/tinyagent-agent"])
      expect(pairs).toContain(pair);
    for (const dialect of ["anthropic", "responses", "google"]) for (const w of ["a", "b", "b-large"]) expect(pairs).toContain(`${w}/${dialect}-stream`);
    for (const m of report.measurements) {
      if (m.workload === "f")
        expect(Number.isFinite(m.heapPerAgentKB)).toBe(true); // 20 agents: too few for a meaningful size
      else expect(m.timesMs).toHaveLength(1);
    }
    const text = formatReport(report);
    expect(text).toContain("(a) 200 text deltas");
    expect(text).toContain("tinyagent Agent (1 subscriber)");
    expect(text).toContain("server ceiling on (a)");
    expect(text).toContain("tinyagent streamAnthropic");
    expect(text).toContain("(g) 12 concurrent agents in one process");
    // Every target is evaluated (met or missed), none left "n/a".
    expect(checkTargets(report).filter((t) => t.met === undefined)).toEqual([]);
  }, 60_000);
});

describe("session bench", () => {
  it("runs the checkpointed run next to the plain one and reports both", async () => {
    const report = await runSessionBench({ iterations: 1, toolCalls: 2, stores: ["none", "file"] });
    expect(report.rows.map((row) => row.store)).toEqual(["none", "file"]);
    // The opening claim, the run's input, each assistant message and tool result, the end.
    expect(report.rows[1]!.writes).toBeGreaterThanOrEqual(6);
    expect(formatSessionReport(report)).toContain("file store (fsync)");
  }, 60_000);
});

describe("workers bench", () => {
  it("runs sessions through a worker process on a throwaway Postgres and reports them", async () => {
    const report = await runWorkersBench({ workerCounts: [1], sessions: 3 });
    expect(report.rows.map((row) => [row.workers, row.sessions])).toEqual([[1, 3]]);
    expect(formatWorkersReport(report)).toContain("1 worker");
  }, 60_000);
});
