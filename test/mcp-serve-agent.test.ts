/**
 * serveAgentOverMcp, called by the official SDK's own Client: over stdio (a
 * spawned fixture process serving a faux-model agent) and over Streamable
 * HTTP on loopback. Progress notifications, cancellation, error results,
 * independent calls, and the HTTP endpoint's refusals.
 */
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError } from "../src/index.js";
import { serveAgentOverMcp, type McpAgentServer } from "../src/mcp/index.js";
import { fauxMcpAgent } from "./fixtures/faux-mcp-agent.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const client = () => new Client({ name: "sdk-test-client", version: "1.0.0" });
const text = (result: unknown) => (result as CallToolResult).content.map((block) => (block.type === "text" ? block.text : "")).join("");

/**
 * Records every message a client transport receives, as it arrives. The SDK's
 * Client hands notifications to `onprogress` a microtask late but settles the
 * call at once, so progress that arrives in the same read as the answer (a busy
 * machine) never reaches `onprogress`: what the server sent is read here instead.
 */
function wireOf(transport: Transport): JSONRPCMessage[] {
  const wire: JSONRPCMessage[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    wire.push(message);
    deliver?.(message, extra);
  };
  return wire;
}
const wires = new Map<Client, JSONRPCMessage[]>();

/** Calls the served agent with `prompt`, with a progress token; returns the result and the progress the server sent for it. */
async function ask(mcp: Client, prompt: string) {
  const wire = wires.get(mcp);
  const from = wire?.length ?? 0;
  const result = (await mcp.callTool({ name: "helper", arguments: { prompt } }, undefined, { onprogress: () => {} })) as CallToolResult;
  const progress = (wire ?? [])
    .slice(from)
    .flatMap((message) =>
      "method" in message && message.method === "notifications/progress" ? [message.params as { progress: number; message?: string }] : [],
    );
  return { result, progress };
}

/** Starts a call of "wait" and aborts it once the agent reports calling its tool; resolves when the client has given up. */
async function cancelWhileRunning(mcp: Client): Promise<unknown> {
  const abort = new AbortController();
  const call = mcp.callTool({ name: "helper", arguments: { prompt: "wait" } }, undefined, {
    signal: abort.signal,
    onprogress: (p) => p.message === 'Calling tool "wait"' && abort.abort(),
  });
  return call.catch((error: unknown) => error);
}

const stdio = client();
const http = client();
let server: McpAgentServer;
const agent = fauxMcpAgent();
beforeAll(async () => {
  server = await serveAgentOverMcp(agent, { name: "helper", description: "A helpful agent.", http: {} });
  const spawned = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", "--conditions=tinyagent-source", "test/fixtures/mcp-agent-server.ts"],
    cwd: root,
    stderr: "pipe",
  });
  const overHttp = new StreamableHTTPClientTransport(new URL(server.url!));
  await Promise.all([stdio.connect(spawned), http.connect(overHttp)]);
  wires.set(stdio, wireOf(spawned));
  wires.set(http, wireOf(overHttp));
}, 30_000); // the fixture runs from source through tsx: a few seconds to start on a busy machine
afterAll(async () => {
  await Promise.all([stdio.close(), http.close()]);
  await server?.close();
});

describe.each([
  ["stdio", () => stdio],
  ["Streamable HTTP", () => http],
])("an agent served over %s, called by the SDK's Client", (_transport, mcp) => {
  it("is one tool taking a prompt", async () => {
    const { tools } = await mcp().listTools();
    expect(tools).toEqual([
      expect.objectContaining({
        name: "helper",
        inputSchema: expect.objectContaining({ type: "object", properties: { prompt: expect.objectContaining({ type: "string" }) }, required: ["prompt"] }),
      }),
    ]);
    expect(tools[0]!.description).toMatch(/^A helpful agent/);
  });

  it("answers with the run's final text, its tool calls and text deltas arriving as progress notifications", async () => {
    const { result, progress } = await ask(mcp(), "sum");
    expect(result).toEqual({ content: [{ type: "text", text: "The sum is 5." }] });
    const messages = progress.map((p) => p.message);
    expect(messages.slice(0, 2)).toEqual(['Calling tool "sum"', 'Tool "sum" finished']);
    expect(messages.slice(2).join("")).toBe("The sum is 5.");
    expect(messages.length).toBeGreaterThan(3); // the answer came in several deltas
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
  });

  it("a call the client cancels aborts the agent's run", async () => {
    const error = await cancelWhileRunning(mcp());
    expect(error).toBeInstanceOf(Error);
    // The next run's tool waits for the aborted tool's abort to land, then reports it.
    expect(text((await ask(mcp(), "aborted?")).result)).toBe("1 aborted");
  });

  it("a failed run is an isError result saying why; a call without a prompt is refused", async () => {
    expect((await ask(mcp(), "fail")).result).toEqual({ content: [{ type: "text", text: 'Agent "helper" failed: the model is down' }], isError: true });
    const missing = (await mcp().callTool({ name: "helper", arguments: {} })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/Invalid arguments for tool helper.*prompt/s);
  });
});

describe("serveAgentOverMcp over Streamable HTTP", () => {
  it("runs each call fresh: concurrent calls are independent, and the agent's own transcript stays empty", async () => {
    const [a, b] = await Promise.all([ask(http, "first"), ask(http, "second")]);
    expect([text(a.result), text(b.result)]).toEqual(["You said: first", "You said: second"]);
    expect(agent.state.messages).toEqual([]);
  });

  it("answers an unknown session with 404, a foreign Host with 403, and a path elsewhere with 404", async () => {
    const post = (headers: Record<string, string>, url = server.url!) =>
      fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
    const unknown = await post({ "Mcp-Session-Id": "no-such-session" });
    expect([unknown.status, ((await unknown.json()) as { error: { message: string } }).error.message]).toEqual([
      404,
      "Session not found: it ended or expired; initialize a new session.",
    ]);
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
    };
    // fetch will not send another Host, so this request goes through node:http.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", Host: "evil.example" };
      request(server.url!, { method: "POST", headers }, (res) => resolve(res.resume().statusCode!))
        .on("error", reject)
        .end(JSON.stringify(initialize));
    });
    expect(rebinding).toBe(403);
    const elsewhere = await post({}, server.url!.replace(/\/mcp$/, "/other"));
    expect(elsewhere.status).toBe(404);
  });

  it("with an authToken, refuses requests without it (401) and serves the SDK client that sends it", async () => {
    const guarded = await serveAgentOverMcp(fauxMcpAgent(), { name: "helper", description: "A helpful agent.", http: { authToken: "s3cret" } });
    try {
      const anonymous = await fetch(guarded.url!, { method: "POST", body: "{}" });
      expect([anonymous.status, anonymous.headers.get("www-authenticate")]).toEqual([401, "Bearer"]);
      const withToken = client();
      await withToken.connect(new StreamableHTTPClientTransport(new URL(guarded.url!), { requestInit: { headers: { Authorization: "Bearer s3cret" } } }));
      expect(text((await ask(withToken, "hello")).result)).toBe("You said: hello");
      await withToken.close();
    } finally {
      await guarded.close();
    }
  });

  it("refuses to listen beyond loopback without an authToken, and refuses missing names", async () => {
    const open = serveAgentOverMcp(fauxMcpAgent(), { name: "helper", description: "d", http: { hostname: "0.0.0.0" } });
    await expect(open).rejects.toThrow(AgentError);
    await expect(open).rejects.toThrow(
      "serveAgentOverMcp: listening on 0.0.0.0 (beyond loopback) lets anyone who can reach it run the agent; set http.authToken.",
    );
    await expect(serveAgentOverMcp(fauxMcpAgent(), { description: "d" } as never)).rejects.toThrow(/needs \{ name, description \}/);
  });
});
