/**
 * Ends the test output with one plain line, "vitest: N passed, N failed, N skipped",
 * which CI reads as the run's closing line.
 */
import type { Reporter, TestModule } from "vitest/node";

/** Counts every test case of the run and prints the closing line. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    // Modules that failed to load have no test cases: count each as a failure.
    for (const module of testModules) if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
    console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
