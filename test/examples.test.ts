import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startThrowawayPostgres } from "../scripts/throwaway-postgres.js";
import { sessionClient } from "../src/postgres/index.js";
import { anthropicSse, messageEnd, messageStart, textBlock, thinkingBlock } from "./helpers/anthropic-events.js";
import { startSseServer } from "./helpers/sse-server.js";
import { expectValidTranscript } from "./helpers/transcript.js";

const run = promisify(execFile);
const KEYS = ["OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"];
const env = { ...process.env, ...Object.fromEntries(KEYS.map((key) => [key, ""])), TINYAGENT_DEMO_DELAY_MS: "0", TINYAGENT_MODEL: "", TINYAGENT_BASE_URL: "" };
const tsx = (file: string, args: string[] = [], extraEnv: Record<string, string> = {}) =>
  run("npx", ["tsx", "--conditions=tinyagent-source", file, ...args], { env: { ...env, ...extraEnv }, timeout: 55_000 });

/** How a run that exits non-zero ended: its code and what it printed on stderr. */
async function failure(pending: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  const error = (await pending.then(
    () => expect.fail("expected a non-zero exit"),
    (e: unknown) => e,
  )) as { code: number; stderr: string };
  return { code: error.code, stderr: error.stderr };
}

// Each test starts node processes (tsx), slow on a loaded machine: a longer bound than the suite default.
describe("examples run as written (and exit: no handle left open)", { timeout: 60_000 }, () => {
  it("quickstart answers with the sum tool", async () => {
    const { stdout } = await tsx("examples/quickstart.ts");
    expect(stdout).toContain("[sum] [ { type: 'text', text: '5' } ]");
    expect(stdout).toContain("The sum is 5.");
  });

  it("proxy example runs an agent through the proxy and shows a refused token", async () => {
    const { stdout } = await tsx("examples/proxy.ts");
    expect(stdout).toContain("The sum is 49.");
    expect(stdout).toContain("401 Unauthorized");
  });

  it("mcp example: an agent writes and reads a file through the filesystem MCP server, then calls an agent served over MCP", async () => {
    const { stdout } = await tsx("examples/mcp.ts");
    expect(stdout).toContain("connected to secure-filesystem-server: fs_read_file");
    expect(stdout).toContain("← fs_read_text_file: Hello from an MCP tool.");
    expect(stdout).toContain("The note says: Hello from an MCP tool.");
    expect(stdout).toMatch(/← poet \(over MCP at http:\/\/127\.0\.0\.1:\d+\/mcp\): \[\{"type":"text","text":"Notes kept, words at rest\."\}\]/);
  });

  it("demo shows states, thinking apart from the answer, tool calls, results and usage, with no trailing spaces", async () => {
    const { stdout } = await tsx("examples/demo.ts");
    expect(stdout).toContain("(built-in scripted model on loopback)");
    for (const text of ["[idle → streaming]", "[streaming → executingTools]", "[turnEnd → idle]", "→ sum(", "← sum: 49", "← get_time:", "usage:"]) {
      expect(stdout).toContain(text);
    }
    expect(stdout).toContain("\n  [idle → streaming]\n  thinking: The user asked for the sum of 12, 30, 7; I will call sum.\n    → sum(");
    expect(stdout).toContain("\n  [turnEnd → streaming]\n  assistant: The sum is 49.\n  [streaming → turnEnd]\n");
    expect(stdout.split("\n").filter((line) => /[ \t]$/.test(line))).toEqual([]);
  });

  it("demo --provider without the provider's key exits 1 naming the env variable; an unknown provider names the known ones", async () => {
    const [anthropic, google, unknown] = await Promise.all([
      failure(tsx("examples/demo.ts", ["--provider", "anthropic"])),
      failure(tsx("examples/demo.ts", ["--provider=google"])),
      failure(tsx("examples/demo.ts", ["--provider", "mistral"])),
    ]);
    expect(anthropic).toEqual({
      code: 1,
      stderr: "--provider anthropic needs an API key: set ANTHROPIC_API_KEY in the environment, or leave --provider out for the built-in loopback model.\n",
    });
    expect(google.stderr).toBe(
      "--provider google needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment, or leave --provider out for the built-in loopback model.\n",
    );
    expect(unknown.stderr).toBe(
      'Unknown --provider "mistral": use one of anthropic, openai, google, openrouter, or leave it out for the built-in loopback model.\n',
    );
  });

  it("demo --provider anthropic talks the Messages API with the key from ANTHROPIC_API_KEY (endpoint moved to loopback)", async () => {
    const body = anthropicSse(
      messageStart(),
      ...thinkingBlock(0, ["Nothing to ", "compute."], "sig-1"),
      ...textBlock(1, "Hello ", "from Claude."),
      ...messageEnd("end_turn"),
    );
    const server = await startSseServer({ chunks: [body] });
    try {
      const { stdout } = await tsx("examples/demo.ts", ["--provider", "anthropic"], { ANTHROPIC_API_KEY: "sk-ant-test", TINYAGENT_BASE_URL: server.url });
      expect(stdout).toContain(`model: claude-haiku-4-5 via ${server.url}`);
      expect(stdout).toContain("\n  thinking: Nothing to compute.\n  assistant: Hello from Claude.\n");
      expect(server.requests.map((r) => [r.url, r.headers["x-api-key"]])).toEqual(Array(3).fill(["/v1/messages", "sk-ant-test"]));
      expect(server.requests[0]!.json()).toMatchObject({ model: "claude-haiku-4-5", stream: true, tools: [{ name: "sum" }, { name: "get_time" }] });
    } finally {
      await server.close();
    }
  });

  it("workers example: a worker SIGKILLed mid-tool, the run finished on the other worker with a valid transcript", async () => {
    const postgres = await startThrowawayPostgres();
    try {
      const { stdout } = await tsx("examples/workers.ts", [], { DATABASE_URL: postgres.connectionString });
      const victim = /^SIGKILL (worker-[ab]) \(pid \d+\) while summarise_reviews runs$/m.exec(stdout)?.[1];
      expect(victim, stdout).toBeDefined();
      const survivor = victim === "worker-a" ? "worker-b" : "worker-a";
      const sessionId = /^session "([^"]+)" finished on (worker-[ab])/m.exec(stdout);
      expect(sessionId?.[2]).toBe(survivor);
      expect(stdout).toContain(`summarise_reviews started 2 time(s): on ${victim}, then ${survivor}`);
      expect(stdout).toMatch(/^book_table started 1 time\(s\)/m);
      expect(stdout).toContain("transcript valid: every tool call answered once, in order");
      // What the example shows, read back from Postgres.
      const client = sessionClient({ connectionString: postgres.connectionString });
      try {
        const messages = await client.messages(sessionId![1]!);
        expectValidTranscript(messages);
        expect(messages.filter((message) => message.role === "toolResult").map((message) => [message.toolName, message.isError])).toEqual([
          ["book_table", false],
          ["summarise_reviews", false],
        ]);
        expect(messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: expect.stringContaining("Booked a table for 2") }] });
      } finally {
        await client.close();
      }
    } finally {
      await postgres.stop();
    }
  });
});
