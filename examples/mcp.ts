/**
 * An agent with the tools of an MCP server: the official filesystem server
 * (run from node_modules) on a temporary folder. Then the other direction:
 * an agent served over MCP (Streamable HTTP on loopback) and called as a
 * tool by another agent. The scripted model keeps it offline; with a real
 * model, drop the scripts and set `model`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "tinyagent";
import { connectMcpServer, serveAgentOverMcp } from "tinyagent/mcp";
import { createFauxProvider } from "tinyagent/testing";

const folder = mkdtempSync(join(tmpdir(), "tinyagent-mcp-example-"));
const server = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const files = await connectMcpServer({ command: process.execPath, args: [server, folder] }, { prefix: "fs" });
console.log(`connected to ${files.serverInfo?.name}: ${files.tools.map((tool) => tool.name).join(", ")}`);

const path = join(folder, "hello.txt");
const faux = createFauxProvider([
  { text: "Writing the note.", toolCalls: [{ name: "fs_write_file", arguments: { path, content: "Hello from an MCP tool." } }] },
  { toolCalls: [{ name: "fs_read_text_file", arguments: { path } }] },
  { text: "The note says: Hello from an MCP tool." },
]);
const agent = new Agent({ model: faux.model, streamFn: faux.streamFn });
files.attach(agent);
agent.subscribe((event) => {
  if (event.type === "tool_execution_end") {
    const text = event.result.content.map((block) => (block.type === "text" ? block.text : "[image]")).join(" ");
    console.log(`← ${event.toolName}${event.isError ? " (error)" : ""}: ${text}`);
  }
});
console.log(await agent.promptText("Write a note to hello.txt, then read it back."));

await files.close();
rmSync(folder, { recursive: true, force: true });

// An agent as an MCP tool: any MCP host can call it; here another agent does.
const poet = createFauxProvider(() => ({ text: "Notes kept, words at rest." }));
const served = await serveAgentOverMcp(new Agent({ model: poet.model, streamFn: poet.streamFn }), {
  name: "poet",
  description: "Writes a short line of verse about the prompt.",
  http: {},
});
const remote = await connectMcpServer({ url: served.url! });
const lead = createFauxProvider([{ toolCalls: [{ name: "poet", arguments: { prompt: "a note on disk" } }] }, { text: "Done." }]);
const caller = new Agent({ model: lead.model, streamFn: lead.streamFn, tools: remote.tools });
caller.subscribe(
  (event) => event.type === "tool_execution_end" && console.log(`← ${event.toolName} (over MCP at ${served.url}): ${JSON.stringify(event.result.content)}`),
);
await caller.prompt("Ask the poet.");
await remote.close();
await served.close();
