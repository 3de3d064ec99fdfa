/**
 * The soak in small: 300 agent runs with random faults in one process (the
 * full 10,000 run with `npm run soak`). Every run must end idle with a valid
 * transcript and no child actor left; no handle may stay open; the heap after
 * GC must stay flat (a leak of one transcript per run is several KB per run).
 */
import { describe, expect, it } from "vitest";
import { runSoak } from "./helpers/soak.js";

describe("soak", () => {
  it("300 runs with random faults: every run clean, no handle left, heap flat", async () => {
    const report = await runSoak({ runs: 300, samples: 12 });
    console.log(`soak: ${report.runs} runs in ${report.seconds.toFixed(1)} s, heap slope ${report.heapSlopeBytesPerRun.toFixed(0)} B/run`);
    expect(report.failures).toEqual([]);
    expect(report.runs).toBe(300);
    expect(report.handleExcess).toEqual({});
    // Generous against GC noise at this size; a retained transcript per run would be several times this.
    expect(report.heapSlopeBytesPerRun).toBeLessThan(3000);
    // Most faults were drawn at least once.
    expect(Object.keys(report.faults).length).toBeGreaterThanOrEqual(15);
  }, 60_000);
});
