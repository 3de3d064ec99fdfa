/**
 * tinyagent/mcp when things change or go wrong: the tool list following the
 * server (an agent sees it at its next turn), names every provider accepts,
 * cancellation reaching the server, error results, timeouts, a server killed
 * mid-call, a server that fails to start, and children killed when the
 * parent exits. The fixture server (SDK-built) shows what the reference
 * servers cannot do on demand; the failures use the reference servers.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AgentError, type AgentMessage, type AgentTool, type ToolResultMessage } from "../src/index.js";
import { connectMcpServer, serveAgentOverMcp, type McpConnection } from "../src/mcp/index.js";
import { fauxMcpAgent } from "./fixtures/faux-mcp-agent.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { fixtureServer, referenceServer } from "./helpers/mcp-servers.js";
import { until } from "./helpers/transcript.js";

const { make } = fauxAgents();
const run = promisify(execFile);

const results = (messages: readonly AgentMessage[]) => messages.filter((m): m is ToolResultMessage => m.role === "toolResult");
const text = (result: ToolResultMessage | undefined) => result?.content.map((block) => (block.type === "text" ? block.text : "")).join("") ?? "";
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let fixture: McpConnection;
// Generous bounds: on a busy machine a node process can take seconds to load.
beforeAll(async () => {
  fixture = await connectMcpServer(fixtureServer(), { timeoutMs: 20_000 });
}, 30_000);
afterAll(() => fixture?.close());

const tool = (connection: McpConnection, name: string) => connection.tools.find((t) => t.name === name)!;
const cancellations = async () =>
  JSON.parse(text({ content: (await tool(fixture, "cancellations").execute("c", {}, undefined, () => {})).content } as ToolResultMessage)) as string[];

describe("tool names", () => {
  it("are valid for every provider, distinct, and stable: a valid name stays, a changed one that collides gets a hash of its MCP name", async () => {
    const names = fixture.tools.map((t) => t.name);
    expect(names).toEqual([
      "add_tool",
      "remove_tool",
      "wait_for_cancel",
      "cancellations",
      "dotted_name_4c738d92",
      "dotted_name",
      `${"x".repeat(55)}_77f3c97d`,
      "failing",
    ]);
    const dotted = await tool(fixture, "dotted_name_4c738d92").execute("1", {}, undefined, () => {});
    expect(dotted.content).toEqual([{ type: "text", text: "dotted.name" }]);
  });
});

describe("the tool list follows the server", () => {
  it("a tool added by a call is offered at the agent's next turn, and a removed one is gone at the turn after", async () => {
    const own: AgentTool = {
      name: "own",
      description: "the agent's own tool",
      parameters: { type: "object", properties: {} },
      execute: async () => ({ content: [] }),
    };
    const seen: string[][] = [];
    const { agent } = make(
      (context, call) => {
        seen.push((context.tools ?? []).map((t) => t.name));
        if (call === 0) return { toolCalls: [{ name: "add_tool", arguments: { name: "fresh.tool" } }] };
        if (call === 1)
          return {
            toolCalls: [
              { name: "fresh_tool", arguments: {} },
              { name: "remove_tool", arguments: { name: "fresh.tool" } },
            ],
          };
        return { text: "done" };
      },
      { tools: [own] },
    );
    const detach = fixture.attach(agent);
    const changes: string[][] = [];
    const unsubscribe = fixture.onToolsChanged((tools) => changes.push(tools.map((t) => t.name)));
    await agent.prompt("go");
    unsubscribe();
    expect(seen[0]).toEqual(["own", ...fixture.tools.map((t) => t.name)]);
    expect(seen[1]).toContain("fresh_tool");
    expect(seen[2]).not.toContain("fresh_tool");
    expect(text(results(agent.state.messages)[1])).toBe("I am fresh.tool");
    expect(changes.map((names) => names.includes("fresh_tool"))).toEqual([true, false]);
    detach();
    expect(agent.state.tools.map((t) => t.name)).toEqual(["own"]);
  });
});

describe("calls", () => {
  it("an aborted call sends the MCP cancellation: the server sees its call cancelled", async () => {
    const before = await cancellations();
    const { agent } = make([{ toolCalls: [{ name: "wait_for_cancel", arguments: {} }] }], { tools: fixture.tools });
    // The fixture reports progress once it is waiting, so the abort comes while the server runs the call.
    agent.subscribe((event) => event.type === "tool_execution_update" && agent.abort());
    await agent.prompt("go");
    expect(results(agent.state.messages)[0]?.isError).toBe(true);
    expect(await cancellations()).toHaveLength(before.length + 1);
  });

  it("an MCP error result is an isError tool result with the server's text", async () => {
    const { agent } = make([{ toolCalls: [{ name: "failing", arguments: {} }] }, { text: "ok" }], { tools: fixture.tools });
    await agent.prompt("go");
    const [result] = results(agent.state.messages);
    expect([result?.isError, text(result)]).toEqual([true, "it went wrong"]);
  });

  it("a hung call is bounded by the tool's timeoutMs: an error result, and the server is told to cancel", async () => {
    const before = await cancellations();
    // connectMcpServer's timeoutMs is every tool's; a shorter one here keeps the test fast.
    expect(tool(fixture, "wait_for_cancel").timeoutMs).toBe(20_000);
    const hung = { ...tool(fixture, "wait_for_cancel"), timeoutMs: 150 };
    const { agent } = make([{ toolCalls: [{ name: "wait_for_cancel", arguments: {} }] }, { text: "ok" }], { tools: [hung] });
    await agent.prompt("go");
    const [result] = results(agent.state.messages);
    expect(result?.isError).toBe(true);
    expect(text(result)).toBe('Tool "wait_for_cancel" timed out after 150 ms and was aborted.');
    expect(await cancellations()).toHaveLength(before.length + 1);
  });

  it("a server killed (SIGKILL) mid-call gives that call an error result, and later calls too, without hanging", async () => {
    const everything = await connectMcpServer(referenceServer("everything", ["stdio"]), { filter: ["trigger-long-running-operation", "echo"] });
    try {
      const { agent } = make(
        [
          { toolCalls: [{ name: "trigger-long-running-operation", arguments: { duration: 30, steps: 300 } }] },
          { toolCalls: [{ name: "echo", arguments: { message: "anyone?" } }] },
          { text: "The server is gone." },
        ],
        { tools: everything.tools },
      );
      agent.subscribe((event) => event.type === "tool_execution_update" && alive(everything.pid!) && process.kill(everything.pid!, "SIGKILL"));
      await agent.prompt("go");
      const [killed, after] = results(agent.state.messages);
      expect(killed?.isError).toBe(true);
      expect(text(killed)).toMatch(
        /^MCP tool "trigger-long-running-operation" of `.*server-everything.*` failed: the server closed the connection during the call/,
      );
      expect(after?.isError).toBe(true);
      expect(text(after)).toMatch(/^MCP tool "echo" of .* failed: Not connected/);
    } finally {
      await everything.close();
    }
  });
});

describe("Streamable HTTP sessions", () => {
  it("a session the server has expired (404) is re-initialised and the call made again", async () => {
    // The server's idle clock is faked, so the session ends exactly when the test says.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const server = await serveAgentOverMcp(fauxMcpAgent(), { name: "helper", description: "A helpful agent.", http: { sessionIdleMs: 60_000 } });
    const connection = await connectMcpServer({ url: server.url! });
    try {
      const ask = async (prompt: string) => (await tool(connection, "helper").execute("1", { prompt }, undefined, () => {})).content;
      expect(await ask("before")).toEqual([{ type: "text", text: "You said: before" }]);
      vi.advanceTimersByTime(60_000);
      expect(await ask("after")).toEqual([{ type: "text", text: "You said: after" }]);
    } finally {
      vi.useRealTimers();
      await connection.close();
      await server.close();
    }
  });
});

// No agents here, so these may run side by side (each waits on a process starting).
describe.concurrent("a server that fails", () => {
  it("exiting at start: a clear error naming the command and its stderr", async () => {
    const error = await connectMcpServer(referenceServer("filesystem", ["/nonexistent-folder-for-tinyagent"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe("mcp-server-failed");
    expect((error as Error).message).toMatch(
      /^MCP server `.*server-filesystem\/dist\/index\.js \/nonexistent-folder-for-tinyagent` failed before it was ready: .*Its stderr:\n/s,
    );
    expect((error as Error).message).toContain("Error: None of the specified directories are accessible");
  });

  it("a command that does not exist: a clear error saying so", async () => {
    const error = await connectMcpServer({ command: "tinyagent-no-such-mcp-server" }).catch((e: unknown) => e);
    expect((error as AgentError).code).toBe("mcp-server-failed");
    expect((error as Error).message).toBe(
      "MCP server `tinyagent-no-such-mcp-server` could not be started: spawn tinyagent-no-such-mcp-server ENOENT. Check the command and that it is installed. It wrote nothing to stderr.",
    );
  });

  it("close() stops a spawned server, even one that ignores its stdin closing", async () => {
    const lingering = await connectMcpServer(fixtureServer("--linger"));
    const pid = lingering.pid!;
    expect(alive(pid)).toBe(true);
    await lingering.close();
    expect(alive(pid)).toBe(false);
  });

  it("a spawned server is killed when the parent process exits, even one that ignores its stdin closing", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--conditions=tinyagent-source", "test/fixtures/mcp-parent-exits.ts"], {
      timeout: 20_000,
    });
    const pid = Number(stdout.trim());
    expect(pid).toBeGreaterThan(0);
    await until(() => !alive(pid));
  });
});
