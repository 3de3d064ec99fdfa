/**
 * One live link to an MCP server: an SDK `Client` on one of the SDK's
 * transports. stdio spawns the server (its stderr kept for error messages,
 * the child killed when this process exits); a URL speaks Streamable HTTP
 * and falls back to the older HTTP+SSE transport when the server answers
 * the first POST with a 4xx. A failure to start is an {@link AgentError}
 * naming the command or URL and what the server said.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { AgentError } from "../core/errors.js";

/** An MCP server to spawn and talk to over stdio. */
export type McpStdioServer = {
  command: string;
  args?: string[];
  /** Added to a minimal inherited environment (HOME, PATH, …: the SDK's default), not to all of `process.env`. */
  env?: Record<string, string>;
  cwd?: string;
};

/** An MCP server at a URL (Streamable HTTP, or the older HTTP+SSE transport). */
export type McpHttpServer = { url: string | URL; headers?: Record<string, string> };

/** Where an MCP server is: a command to spawn, or a URL. */
export type McpServerSpec = McpStdioServer | McpHttpServer;

/** A connected SDK client and what explains its failures. */
export type ServerLink = {
  client: Client;
  kind: "stdio" | "streamable-http" | "sse";
  /** The command line or URL, for messages. */
  label: string;
  /** The child's process id (stdio). */
  pid: number | undefined;
  /** The last few KB the server wrote to stderr (stdio), "" if none. */
  stderrTail(): string;
  /** Whether `error` says the HTTP session expired (a 404 on a request with a session id). */
  sessionExpired(error: unknown): boolean;
};

/** What opening a link needs: who we are, how long to wait, and handlers to install before the first message. */
export type LinkOptions = {
  clientInfo: { name: string; version: string };
  timeoutMs: number;
  prepare: (client: Client) => void;
  onStderr?: (text: string) => void;
};

const STDERR_TAIL = 8192;

// Children still running, killed when this process exits (an 'exit' listener may only do synchronous work).
const children = new Set<number>();
function killChildren(): void {
  for (const pid of children) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}
function track(pid: number): () => void {
  if (children.size === 0) process.on("exit", killChildren);
  children.add(pid);
  return () => {
    children.delete(pid);
    if (children.size === 0) process.off("exit", killChildren);
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function newClient(options: LinkOptions): Client {
  const client = new Client(options.clientInfo, { capabilities: {} });
  options.prepare(client);
  return client;
}

async function openStdio(spec: McpStdioServer, options: LinkOptions): Promise<ServerLink> {
  const label = [spec.command, ...(spec.args ?? [])].join(" ");
  const transport = new StdioClientTransport({ command: spec.command, args: spec.args, env: spec.env, cwd: spec.cwd, stderr: "pipe" });
  let tail = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    tail = (tail + text).slice(-STDERR_TAIL);
    options.onStderr?.(text);
  });
  const stderrTail = () => tail.trim();
  const client = newClient(options);
  try {
    await client.connect(transport, { timeout: options.timeoutMs });
  } catch (error) {
    await transport.close().catch(() => {});
    // The child's last stderr bytes may still be in the pipe when the connection closes.
    const stderr = transport.stderr as (NodeJS.ReadableStream & { readableEnded?: boolean }) | null;
    if (stderr && !stderr.readableEnded) await new Promise((resolve) => stderr.once("end", resolve).once("close", resolve));
    const said = stderrTail();
    const spawnFailed = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new AgentError(
      "mcp-server-failed",
      `MCP server \`${label}\` ${spawnFailed ? "could not be started" : "failed before it was ready"}: ${message(error)}.` +
        (spawnFailed ? " Check the command and that it is installed." : "") +
        (said ? ` Its stderr:\n${said}` : " It wrote nothing to stderr."),
    );
  }
  const pid = transport.pid ?? undefined;
  if (pid !== undefined) client.onclose = track(pid);
  return { client, kind: "stdio", label: `\`${label}\``, pid, stderrTail, sessionExpired: () => false };
}

async function openHttp(spec: McpHttpServer, options: LinkOptions): Promise<ServerLink> {
  const url = new URL(spec.url);
  const requestInit: RequestInit = spec.headers ? { headers: spec.headers } : {};
  const base = { pid: undefined, stderrTail: () => "", label: url.href };
  const streamable = new StreamableHTTPClientTransport(url, { requestInit });
  let client = newClient(options);
  try {
    await client.connect(streamable, { timeout: options.timeoutMs });
    const sessionExpired = (error: unknown) => error instanceof StreamableHTTPError && error.code === 404 && streamable.sessionId !== undefined;
    return { ...base, client, kind: "streamable-http", sessionExpired };
  } catch (error) {
    await streamable.close().catch(() => {});
    // A server that is there but answers the POST with a 4xx may be an older HTTP+SSE server.
    const code = error instanceof StreamableHTTPError ? error.code : undefined;
    if (code === undefined || code < 400 || code >= 500) {
      throw new AgentError("mcp-server-failed", `MCP server at ${url.href} could not be reached: ${message(error)}.`);
    }
    client = newClient(options);
    const sse: Transport = new SSEClientTransport(url, { requestInit });
    try {
      await client.connect(sse, { timeout: options.timeoutMs });
    } catch (fallbackError) {
      await sse.close().catch(() => {});
      throw new AgentError(
        "mcp-server-failed",
        `MCP server at ${url.href} answered neither Streamable HTTP (${message(error)}) nor the older HTTP+SSE transport (${message(fallbackError)}).`,
      );
    }
    return { ...base, client, kind: "sse", sessionExpired: () => false };
  }
}

/** Connects to `spec`; rejects with an {@link AgentError} of code `"mcp-server-failed"` saying why. */
export function openLink(spec: McpServerSpec, options: LinkOptions): Promise<ServerLink> {
  if ("command" in spec && typeof spec.command === "string") return openStdio(spec, options);
  if ("url" in spec && spec.url) return openHttp(spec, options);
  throw new AgentError("invalid-input", `connectMcpServer needs { command, args? } or { url }; got ${JSON.stringify(spec)}.`);
}
