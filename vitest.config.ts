import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["tinyagent-source"] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 15_000,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
