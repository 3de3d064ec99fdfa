import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["tinyagent-source"] },
  // Modules vitest runs itself (test files, examples/web-chat/server.ts) import the package by name, "tinyagent" included.
  ssr: { resolve: { conditions: ["tinyagent-source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 15_000,
    // Vitest leaves a core free by default (one worker on these 2-core machines); many files wait on child processes and sockets.
    maxWorkers: 3,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
