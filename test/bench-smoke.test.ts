/**
 * The bench harness end to end on tiny workloads, in-process, one timed
 * round: every system loads, reproduces each workload exactly (the systems
 * check their own output and fail otherwise) and gets a row in the report.
 * No timing assertions: speed is what `npm run bench` reports, not a test.
 */
import { describe, expect, it } from "vitest";
import { runBench } from "../bench/harness.js";
import { checkTargets, formatReport } from "../bench/report.js";
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
  idleAgents: 20,
};

describe("bench harness", () => {
  it("runs every system on every workload and reports them", async () => {
    const report = await runBench({ sizes: TINY, iterations: 1, warmup: 0, warmupMs: 0, heapRounds: 1, inProcess: true });
    const failed = report.measurements.filter((m) => !m.ok).map((m) => `${m.workload}/${m.system}: ${m.error}`);
    expect(failed).toEqual([]);
    const pairs = report.measurements.map((m) => `${m.workload}/${m.system}`);
    // 8 systems on the five "turns" workloads, 4 on (e), 3 on (f).
    expect(pairs).toHaveLength(5 * 8 + 4 + 3);
    expect(pairs).toContain("b/pi-ai");
    expect(pairs).toContain("e/tinyagent-agent");
    expect(pairs).toContain("f/ai-sdk");
    for (const m of report.measurements) {
      if (m.workload === "f") expect(Number.isFinite(m.heapPerAgentKB)).toBe(true); // 20 agents: too few for a meaningful size
      else expect(m.timesMs).toHaveLength(1);
    }
    const text = formatReport(report);
    expect(text).toContain("(a) 200 text deltas");
    expect(text).toContain("tinyagent Agent (1 subscriber)");
    expect(text).toContain("server ceiling on (a)");
    // Every target is evaluated (met or missed), none left "n/a".
    expect(checkTargets(report).filter((t) => t.met === undefined)).toEqual([]);
  }, 60_000);
});
