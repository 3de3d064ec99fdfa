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
    // Files share a worker's module cache (half the CPU of re-importing per file); every file cleans up its own servers, timers and env.
    isolate: false,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
