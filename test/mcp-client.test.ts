/**
 * tinyagent/mcp against the official reference servers, spawned from
 * node_modules: an agent on the scripted model calls their tools and gets
 * their real results, over stdio, Streamable HTTP and the older HTTP+SSE.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentMessage, ToolResultMessage } from "../src/index.js";
import { connectMcpServer, type McpConnection } from "../src/mcp/index.js";
import { fauxAgents } from "./helpers/faux-agents.js";
import { everythingOverHttp, referenceServer } from "./helpers/mcp-servers.js";

const { make } = fauxAgents();

const results = (messages: readonly AgentMessage[]) => messages.filter((m): m is ToolResultMessage => m.role === "toolResult");
const texts = (result: ToolResultMessage) => result.content.map((block) => (block.type === "text" ? block.text : `<${block.mimeType}>`));

const dir = mkdtempSync(join(tmpdir(), "tinyagent-mcp-"));
const memoryFile = join(dir, "memory.jsonl");
let everything: McpConnection;
let files: McpConnection;
let memory: McpConnection;
let streamable: { server: { url: string; close: () => Promise<void> }; connection: McpConnection };
let sse: typeof streamable;
const overHttp = async (mode: "streamableHttp" | "sse", tool: string) => {
  const server = await everythingOverHttp(mode);
  return { server, connection: await connectMcpServer({ url: server.url }, { filter: [tool] }) };
};
// Every server starts at once: each takes about a second to load.
beforeAll(async () => {
  [everything, files, memory, streamable, sse] = await Promise.all([
    connectMcpServer(referenceServer("everything", ["stdio"]), { prefix: "ev" }),
    connectMcpServer(referenceServer("filesystem", [dir]), { prefix: "fs", maxResultChars: 1000 }),
    connectMcpServer(referenceServer("memory", [], { MEMORY_FILE_PATH: memoryFile })),
    overHttp("streamableHttp", "get-sum"),
    overHttp("sse", "echo"),
  ]);
}, 30_000); // five node processes loading at once: over vitest's 10 s on a busy machine
afterAll(async () => {
  await Promise.all([everything, files, memory, streamable?.connection, sse?.connection].map((c) => c?.close()));
  await Promise.all([streamable?.server.close(), sse?.server.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("connectMcpServer over stdio (server-everything)", () => {
  it("offers the server's tools, prefixed, with their JSON Schema passed through", () => {
    expect(everything.transport).toBe("stdio");
    expect(everything.serverInfo?.name).toBe("mcp-servers/everything");
    const names = everything.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["ev_echo", "ev_get-sum", "ev_get-structured-content", "ev_trigger-long-running-operation"]));
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    // A task-only tool (it needs the experimental tasks API) is left out.
    expect(names).not.toContain("ev_simulate-research-query");
    const sum = everything.tools.find((tool) => tool.name === "ev_get-sum")!;
    expect(sum.parameters).toMatchObject({ type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] });
  });

  it("an agent calls its tools and gets the real results: text, structured content, resource links, an image", async () => {
    const { agent, faux } = make(
      [
        {
          toolCalls: [
            { name: "ev_echo", arguments: { message: "hello" } },
            { name: "ev_get-sum", arguments: { a: 2, b: 3 } },
            { name: "ev_get-structured-content", arguments: { location: "Chicago" } },
            { name: "ev_get-resource-links", arguments: { count: 2 } },
            { name: "ev_get-tiny-image", arguments: {} },
          ],
        },
        { text: "Done." },
      ],
      { tools: everything.tools },
    );
    await agent.prompt("Use the tools.");
    expect(faux.calls[0]!.context.tools?.find((tool) => tool.name === "ev_get-sum")?.parameters).toEqual(
      everything.tools.find((tool) => tool.name === "ev_get-sum")!.parameters,
    );
    const [echo, sum, weather, links, image] = results(agent.state.messages);
    expect(results(agent.state.messages).map((r) => r.isError)).toEqual([false, false, false, false, false]);
    expect(echo!.content).toEqual([{ type: "text", text: "Echo: hello" }]);
    expect(texts(sum!)).toEqual(["The sum of 2 and 3 is 5."]);
    expect(weather!.details).toEqual({ structuredContent: { temperature: expect.any(Number), conditions: expect.any(String), humidity: expect.any(Number) } });
    expect(JSON.parse(texts(weather!)[0]!)).toEqual((weather!.details as { structuredContent: unknown }).structuredContent);
    expect(texts(links!).slice(1)).toEqual([
      expect.stringMatching(/^\[Resource link: Blob Resource 1 <demo:\/\/resource\/dynamic\/blob\/1>/),
      expect.stringMatching(/^\[Resource link: Text Resource 2 <demo:\/\/resource\/dynamic\/text\/2>/),
    ]);
    expect((links!.details as { resources: unknown[] }).resources).toHaveLength(2);
    expect(image!.content).toContainEqual({ type: "image", data: expect.stringMatching(/^iVBOR/), mimeType: "image/png" });
  });

  it("progress notifications become tool_execution_update", async () => {
    const { agent, log } = make([{ toolCalls: [{ name: "ev_trigger-long-running-operation", arguments: { duration: 0.2, steps: 4 } }] }, { text: "ok" }], {
      tools: everything.tools,
    });
    await agent.prompt("go");
    const updates = log.events.flatMap((e) => (e.type === "tool_execution_update" ? [e.partialResult] : []));
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates[0]).toEqual({ content: [{ type: "text", text: "Progress: 1/4" }], details: { progress: 1, total: 4 } });
    expect(texts(results(agent.state.messages)[0]!)).toEqual(["Long running operation completed. Duration: 0.2 seconds, Steps: 4."]);
  });

  it("an aborted call ends at once with an aborted result, and the connection still works", async () => {
    const { agent, log } = make([{ toolCalls: [{ name: "ev_trigger-long-running-operation", arguments: { duration: 30, steps: 300 } }] }], {
      tools: everything.tools,
    });
    agent.subscribe((event) => event.type === "tool_execution_update" && agent.abort());
    const started = Date.now();
    await agent.prompt("go");
    // The operation would take 30 s; a loose bound, as machines are shared.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(log.types()).toContain("tool_execution_update");
    const [aborted] = results(agent.state.messages);
    expect(aborted!.isError).toBe(true);
    const echo = everything.tools.find((tool) => tool.name === "ev_echo")!;
    expect(await echo.execute("after", { message: "still here" }, undefined, () => {})).toEqual({ content: [{ type: "text", text: "Echo: still here" }] });
  });
});

describe("server-filesystem and server-memory", () => {
  it("an agent writes and reads a file in a temporary folder through server-filesystem", async () => {
    const path = join(dir, "note.txt");
    const { agent } = make(
      [
        { toolCalls: [{ name: "fs_write_file", arguments: { path, content: "written by an agent" } }] },
        {
          toolCalls: [
            { name: "fs_read_text_file", arguments: { path } },
            { name: "fs_read_text_file", arguments: { path: "/etc/passwd" } },
          ],
        },
        { text: "Done." },
      ],
      { tools: files.tools },
    );
    await agent.prompt("Write a note, then read it.");
    expect(readFileSync(path, "utf8")).toBe("written by an agent");
    const [, read, outside] = results(agent.state.messages);
    expect(read!.isError).toBe(false);
    expect(texts(read!)).toEqual(["written by an agent"]);
    // The server refuses a path outside its folder: an MCP error result, kept as an error.
    expect(outside!.isError).toBe(true);
    expect(texts(outside!).join("")).toMatch(/Access denied|outside allowed/i);
  });

  it("a result over maxResultChars is cut, with a note the model sees", async () => {
    const path = join(dir, "big.txt");
    writeFileSync(path, "y".repeat(5000));
    const read = files.tools.find((tool) => tool.name === "fs_read_text_file")!;
    const result = await read.execute("1", { path }, undefined, () => {});
    expect(result.content).toEqual([
      { type: "text", text: "y".repeat(1000) },
      { type: "text", text: "\n[Truncated: the tool returned 5000 characters of text; only the first 1000 are shown.]" },
    ]);
    expect(result.details).toEqual({ truncatedFrom: 5000 });
  });

  it("an agent builds a knowledge graph in server-memory and reads it back", async () => {
    const { agent } = make(
      [
        {
          toolCalls: [{ name: "create_entities", arguments: { entities: [{ name: "Ada", entityType: "person", observations: ["wrote the first program"] }] } }],
        },
        { toolCalls: [{ name: "read_graph", arguments: {} }] },
        { text: "Done." },
      ],
      { tools: memory.tools },
    );
    await agent.prompt("Remember Ada.");
    const [, graph] = results(agent.state.messages);
    expect(JSON.parse(texts(graph!)[0]!)).toMatchObject({ entities: [{ name: "Ada", entityType: "person", observations: ["wrote the first program"] }] });
    expect(existsSync(memoryFile)).toBe(true);
  });
});

describe("connectMcpServer over HTTP (server-everything)", () => {
  it("Streamable HTTP: an agent calls a tool", async () => {
    const remote = streamable.connection;
    expect(remote.transport).toBe("streamable-http");
    const { agent } = make([{ toolCalls: [{ name: "get-sum", arguments: { a: 20, b: 22 } }] }, { text: "42" }], { tools: remote.tools });
    await agent.prompt("add");
    expect(texts(results(agent.state.messages)[0]!)).toEqual(["The sum of 20 and 22 is 42."]);
  });

  it("falls back to the older HTTP+SSE transport when the server does not speak Streamable HTTP", async () => {
    const remote = sse.connection;
    expect(remote.transport).toBe("sse");
    const result = await remote.tools[0]!.execute("1", { message: "over sse" }, undefined, () => {});
    expect(result.content).toEqual([{ type: "text", text: "Echo: over sse" }]);
  });
});
