import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const env = { ...process.env, OPENROUTER_API_KEY: "", TINYAGENT_DEMO_DELAY_MS: "0" };
const tsx = (file: string) => run("npx", ["tsx", "--conditions=tinyagent-source", file], { env, timeout: 30_000 });

describe("examples run as written (and exit: no handle left open)", () => {
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

  it("mcp example: an agent writes and reads a file through the filesystem MCP server", async () => {
    const { stdout } = await tsx("examples/mcp.ts");
    expect(stdout).toContain("connected to secure-filesystem-server: fs_read_file");
    expect(stdout).toContain("← fs_read_text_file: Hello from an MCP tool.");
    expect(stdout).toContain("The note says: Hello from an MCP tool.");
  });

  it("demo shows states, tool calls, results and usage", async () => {
    const { stdout } = await tsx("examples/demo.ts");
    for (const text of ["[idle → streaming]", "[streaming → executingTools]", "[turnEnd → idle]", "→ sum(", "← sum: 49", "The sum is 49.", "← get_time:", "usage:"]) {
      expect(stdout).toContain(text);
    }
  });
});
