/**
 * `serveAgentOverMcp`: an agent as an MCP tool that MCP hosts can call,
 * over this process's stdio (what a host that spawns servers expects) or
 * Streamable HTTP. Over HTTP each session gets its own SDK server and
 * transport (the SDK binds one server to one transport); a request naming
 * a session this server does not know gets 404, which tells a client to
 * initialise again (the spec's rule for expired sessions). A session with
 * no call for `sessionIdleMs` ends (its event stream does not count: this
 * server sends nothing unasked), so clients that vanish without a DELETE
 * do not keep servers alive forever.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { AgentError } from "../core/errors.js";
import { createAgentMcpServer, type AgentMcpToolOptions, type McpServableAgent } from "./agent-mcp-server.js";

/** Where {@link serveAgentOverMcp} listens for Streamable HTTP. */
export type McpHttpListen = {
  /** Default 0: a free port (read it from `url`). */
  port?: number;
  /** Default `"127.0.0.1"`. Anything beyond loopback needs `authToken`. */
  hostname?: string;
  /** The endpoint's path. Default `"/mcp"`. */
  path?: string;
  /** When set, every request needs `Authorization: Bearer <authToken>` (401 otherwise). */
  authToken?: string;
  /**
   * `Host` header values (`host:port`) to accept, against DNS rebinding.
   * Default on loopback: `127.0.0.1`, `localhost` and `[::1]` with the port; beyond loopback, any.
   */
  allowedHosts?: string[];
  /** A session with no call in flight for this long ends; its client starts a new one on its next call. Default 30 minutes. */
  sessionIdleMs?: number;
};

/** Options of {@link serveAgentOverMcp}. */
export type ServeAgentOverMcpOptions = AgentMcpToolOptions & {
  /** Serve Streamable HTTP here instead of this process's stdin and stdout. */
  http?: McpHttpListen;
};

/** A running MCP server for one agent. */
export type McpAgentServer = {
  readonly transport: "stdio" | "streamable-http";
  /** The Streamable HTTP endpoint (undefined over stdio). */
  readonly url: string | undefined;
  /** Aborts the calls in flight, ends every session and stops listening. */
  close(): Promise<void>;
};

/** One Streamable HTTP session: its own SDK server and transport, and how many of its requests are open. */
type Session = { server: McpServer; transport: StreamableHTTPServerTransport; open: number; idle: ReturnType<typeof setTimeout> | undefined };

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

function jsonRpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: status === 404 ? -32001 : -32000, message }, id: null }));
}

async function serveStdio(agent: McpServableAgent, options: AgentMcpToolOptions): Promise<McpAgentServer> {
  const server = createAgentMcpServer(agent, options);
  // The host closing our stdin is the end of the session: runs in flight are aborted, so the process can exit.
  const onEnd = () => void server.close();
  process.stdin.once("end", onEnd);
  await server.connect(new StdioServerTransport());
  return {
    transport: "stdio",
    url: undefined,
    close: async () => {
      process.stdin.off("end", onEnd);
      await server.close();
    },
  };
}

async function serveHttp(agent: McpServableAgent, options: AgentMcpToolOptions, listen: McpHttpListen): Promise<McpAgentServer> {
  const hostname = listen.hostname ?? "127.0.0.1";
  const path = listen.path ?? "/mcp";
  const { authToken } = listen;
  if (authToken !== undefined && authToken.trim() === "") {
    throw new AgentError("invalid-input", "serveAgentOverMcp: http.authToken is empty; give a secret, or leave it out on loopback.");
  }
  if (!LOOPBACK.test(hostname) && authToken === undefined) {
    throw new AgentError(
      "invalid-input",
      `serveAgentOverMcp: listening on ${hostname} (beyond loopback) lets anyone who can reach it run the agent; set http.authToken.`,
    );
  }
  const idleMs = listen.sessionIdleMs ?? 30 * 60_000;
  if (!(idleMs > 0))
    throw new AgentError("invalid-input", `serveAgentOverMcp: http.sessionIdleMs must be a positive number of ms (or Infinity); got ${idleMs}.`);
  const sessions = new Map<string, Session>();
  let allowedHosts: string[] | undefined = listen.allowedHosts;

  const endSession = (sessionId: string) => {
    const session = sessions.get(sessionId);
    if (!session) return;
    sessions.delete(sessionId);
    clearTimeout(session.idle);
    void session.server.close().catch(() => {});
  };
  /** Counts the POST `res` as open on `session` until it closes; the idle clock runs only while none is open. */
  const hold = (sessionId: string, session: Session, res: ServerResponse) => {
    session.open++;
    clearTimeout(session.idle);
    res.once("close", () => {
      if (--session.open > 0 || sessions.get(sessionId) !== session || idleMs === Infinity) return;
      session.idle = setTimeout(() => endSession(sessionId), idleMs);
      session.idle.unref();
    });
  };

  const openSession = async (req: IncomingMessage, res: ServerResponse) => {
    const server = createAgentMcpServer(agent, options);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sessionId) => {
        const session: Session = { server, transport, open: 0, idle: undefined };
        sessions.set(sessionId, session);
        hold(sessionId, session, res);
      },
      onsessionclosed: endSession,
      ...(allowedHosts ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) endSession(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
    // Not an initialize request (the SDK answered 400): nothing to keep.
    if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) await server.close();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? "/", "http://host").pathname !== path) return jsonRpcError(res, 404, `Not found: the MCP endpoint is ${path}.`);
    if (authToken !== undefined && req.headers.authorization !== `Bearer ${authToken}`) {
      return jsonRpcError(res, 401, "Unauthorized: send Authorization: Bearer <token>.", { "WWW-Authenticate": "Bearer" });
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId !== "string") return openSession(req, res);
    const session = sessions.get(sessionId);
    if (!session) return jsonRpcError(res, 404, "Session not found: it ended or expired; initialize a new session.");
    if (req.method === "POST") hold(sessionId, session, res);
    await session.transport.handleRequest(req, res);
  };

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) jsonRpcError(res, 500, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(listen.port ?? 0, hostname, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  if (!allowedHosts && LOOPBACK.test(hostname)) allowedHosts = ["127.0.0.1", "localhost", "[::1]"].map((host) => `${host}:${port}`);
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    transport: "streamable-http",
    url: `http://${host}:${port}${path}`,
    close: async () => {
      const open = [...sessions.values()];
      sessions.clear();
      for (const { idle } of open) clearTimeout(idle);
      await Promise.all(open.map(({ server }) => server.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * Serves `agent` as the MCP tool `name` (argument `{ prompt: string }`,
 * result: the agent's final text). Each call is a fresh run of the agent's
 * current settings (as `agent.asTool`), so concurrent calls are independent.
 * Over stdio (the default) this process's stdout carries the protocol:
 * log to stderr.
 * @example
 * const agent = new Agent({ model, systemPrompt: "You research.", tools });
 * await serveAgentOverMcp(agent, { name: "research", description: "Finds facts and cites them" });  // stdio
 * const server = await serveAgentOverMcp(agent, { name: "research", description: "…", http: { port: 3001 } });
 * console.error(`MCP endpoint: ${server.url}`);
 */
export async function serveAgentOverMcp(agent: McpServableAgent, options: ServeAgentOverMcpOptions): Promise<McpAgentServer> {
  const { http, ...tool } = options;
  if (typeof tool.name !== "string" || tool.name === "" || typeof tool.description !== "string") {
    throw new AgentError(
      "invalid-input",
      `serveAgentOverMcp needs { name, description } (strings); got ${JSON.stringify({ name: tool.name, description: tool.description })}.`,
    );
  }
  return http ? serveHttp(agent, tool, http) : serveStdio(agent, tool);
}
