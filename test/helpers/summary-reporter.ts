/**
 * Ends the test output with one plain line, "vitest: N passed, N failed, N skipped",
 * which CI reads as the run's closing line.
 */
import type { Reporter, SerializedError, TestModule } from "vitest/node";

/** Counts every test case of the run and prints the closing line. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
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
    // A module that failed to load, or whose beforeAll/afterAll failed (its tests then
    // count as skipped), is a failure of its own; so is every unhandled error.
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      if (module.state() === "failed" && !tests.some((t) => t.result().state === "failed")) failed++;
    }
    failed += unhandledErrors.length;
    console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    if (failed > 0) process.exitCode = 1;
  }
}
