/**
 * `connectMcpServer`: an MCP server's tools as agent tools that follow the
 * server's list. The connection keeps one SDK client (see server-link.ts);
 * on `notifications/tools/list_changed` it lists the tools again, and a call
 * answered after such a notification returns only once the new list is in,
 * so the turn after a call that changed the tools sees the new ones. An
 * expired Streamable HTTP session (404) is re-initialised once per request.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema, type Implementation, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { checkTools } from "../core/tools.js";
import type { AgentTool } from "../core/types.js";
import { mcpAgentTool, type CallMcpTool } from "./mcp-tool.js";
import { openLink, type McpServerSpec, type ServerLink } from "./server-link.js";
import { agentToolNames } from "./tool-names.js";

/** Options of {@link connectMcpServer}. */
export type McpConnectOptions = {
  /** Put before every tool name as `prefix_name`, to tell servers apart. */
  prefix?: string;
  /** The tools to use: their MCP names, or a test on each tool the server lists. Default: all. */
  filter?: readonly string[] | ((tool: Tool) => boolean);
  /** Bound on each call (the agent tool's `timeoutMs`) and on connecting. Default 60 000 ms. */
  timeoutMs?: number;
  /** Text of one result beyond this many characters is cut, with a note the model sees. Default 50 000. */
  maxResultChars?: number;
  /** Gets what a stdio server writes to stderr (it is otherwise only kept for error messages). */
  onStderr?: (text: string) => void;
  /** How this client introduces itself. Default `{ name: "tinyagent", version: "0.1.0" }`. */
  clientInfo?: { name: string; version: string };
};

/** What {@link McpConnection.attach} needs of an agent. */
export type McpToolHost = { readonly state: { readonly tools: readonly AgentTool[] }; setTools(tools: AgentTool[]): void };

/** A connected MCP server. */
export type McpConnection = {
  /** The server's tools (after `filter`) as agent tools; a new array whenever the server's list changes. */
  readonly tools: AgentTool[];
  /** The server's name and version, as it gave them. */
  readonly serverInfo: Implementation | undefined;
  /** The spawned server's process id (stdio). */
  readonly pid: number | undefined;
  /** The transport in use: `"sse"` when an HTTP server only spoke the older HTTP+SSE transport. */
  readonly transport: "stdio" | "streamable-http" | "sse";
  /** Calls `listener` with the new tools each time the list changes; returns the unsubscribe. */
  onToolsChanged(listener: (tools: AgentTool[]) => void): () => void;
  /**
   * Adds the server's tools to `agent` and keeps them in step with the
   * server's list (the agent's other tools stay; a server tool whose name
   * one of them has is left out). Returns `detach`, which removes them again.
   */
  attach(agent: McpToolHost): () => void;
  /** Detaches every agent, ends the session and stops a spawned server. */
  close(): Promise<void>;
};

const DEFAULTS = { timeoutMs: 60_000, maxResultChars: 50_000, clientInfo: { name: "tinyagent", version: "0.1.0" } };

class Connection implements McpConnection {
  tools: AgentTool[] = [];
  private link!: ServerLink;
  private reopening: Promise<ServerLink> | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private closed = false;
  private readonly listeners = new Set<(tools: AgentTool[]) => void>();
  private readonly detachers = new Set<() => void>();
  // The agent tool of each MCP tool, reused while its definition stays the same.
  private readonly known = new Map<string, { definition: string; name: string; tool: AgentTool }>();

  constructor(
    private readonly spec: McpServerSpec,
    private readonly options: McpConnectOptions & typeof DEFAULTS,
  ) {}

  get serverInfo(): Implementation | undefined {
    return this.link.client.getServerVersion();
  }

  get pid(): number | undefined {
    return this.link.pid;
  }

  get transport(): McpConnection["transport"] {
    return this.link.kind;
  }

  async open(): Promise<void> {
    this.link = await this.openLink();
    try {
      await this.refresh();
    } catch (error) {
      await this.link.client.close().catch(() => {});
      throw error;
    }
  }

  private openLink(): Promise<ServerLink> {
    return openLink(this.spec, {
      clientInfo: this.options.clientInfo,
      timeoutMs: this.options.timeoutMs,
      onStderr: this.options.onStderr,
      prepare: (client) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          this.refresh().catch(() => {}); // the old list stays; the next change or call tries again
        }),
    });
  }

  /** Runs `request` on the client; an expired HTTP session is re-initialised and the request made once more. */
  private async request<T>(request: (client: Client) => Promise<T>): Promise<T> {
    const link = this.link;
    try {
      return await request(link.client);
    } catch (error) {
      if (this.closed || !link.sessionExpired(error)) throw error;
      const fresh = await this.reopen(link);
      return request(fresh.client);
    }
  }

  /** One new session for every request that found the old one expired. */
  private reopen(expired: ServerLink): Promise<ServerLink> {
    if (this.link !== expired) return Promise.resolve(this.link);
    this.reopening ??= this.openLink().then(
      (link) => {
        this.link = link;
        this.reopening = undefined;
        void expired.client.close().catch(() => {});
        this.refresh().catch(() => {});
        return link;
      },
      (error: unknown) => {
        this.reopening = undefined;
        throw error;
      },
    );
    return this.reopening;
  }

  /** Lists the tools again (coalescing changes that arrive while listing). */
  private refresh(): Promise<void> {
    this.refreshAgain = true;
    this.refreshing ??= (async () => {
      try {
        while (this.refreshAgain) {
          this.refreshAgain = false;
          await this.loadTools();
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async loadTools(): Promise<void> {
    const listed: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request((client) => client.listTools(cursor === undefined ? undefined : { cursor }));
      listed.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const { filter, prefix } = this.options;
    const chosen = listed.filter(
      // Task-only tools need the SDK's experimental tasks API, which these tools do not speak.
      (tool) =>
        tool.execution?.taskSupport !== "required" && (filter === undefined ? true : typeof filter === "function" ? filter(tool) : filter.includes(tool.name)),
    );
    const names = agentToolNames(
      chosen.map((tool) => tool.name),
      prefix,
    );
    const tools = chosen.map((tool, i) => this.agentTool(tool, names[i]!));
    checkTools(tools);
    const changed = tools.length !== this.tools.length || tools.some((tool, i) => tool !== this.tools[i]);
    this.tools = tools;
    if (changed) for (const listener of this.listeners) listener(tools);
  }

  private agentTool(tool: Tool, name: string): AgentTool {
    const definition = JSON.stringify(tool);
    const known = this.known.get(tool.name);
    if (known && known.definition === definition && known.name === name) return known.tool;
    const agentTool = mcpAgentTool(tool, {
      name,
      timeoutMs: this.options.timeoutMs,
      maxResultChars: this.options.maxResultChars,
      serverLabel: this.link.label,
      stderrTail: () => this.link.stderrTail(),
      call: this.call,
    }) as AgentTool;
    this.known.set(tool.name, { definition, name, tool: agentTool });
    return agentTool;
  }

  private readonly call: CallMcpTool = async (name, args, { signal, timeoutMs, onProgress }) => {
    const result = await this.request((client) =>
      client.callTool({ name, arguments: args }, undefined, { signal, timeout: timeoutMs, onprogress: onProgress }),
    );
    // A list change announced before this answer (often caused by this very call) is in place before the agent's next turn.
    await this.refreshing?.catch(() => {});
    return result as Awaited<ReturnType<CallMcpTool>>;
  };

  onToolsChanged(listener: (tools: AgentTool[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  attach(agent: McpToolHost): () => void {
    let given: AgentTool[] = [];
    const sync = (tools: AgentTool[]) => {
      const previous = new Set(given);
      const others = agent.state.tools.filter((tool) => !previous.has(tool));
      const taken = new Set(others.map((tool) => tool.name));
      given = tools.filter((tool) => !taken.has(tool.name));
      agent.setTools([...others, ...given]);
    };
    sync(this.tools);
    const unsubscribe = this.onToolsChanged(sync);
    const detach = () => {
      unsubscribe();
      this.detachers.delete(detach);
      sync([]);
    };
    this.detachers.add(detach);
    return detach;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const detach of [...this.detachers]) detach();
    this.listeners.clear();
    const { client, kind } = this.link;
    if (kind === "streamable-http") {
      const transport = client.transport as { terminateSession?: () => Promise<void> } | undefined;
      await transport?.terminateSession?.().catch(() => {});
    }
    await client.close();
  }
}

/**
 * Connects to an MCP server and offers its tools as agent tools.
 * Rejects with an AgentError of code `"mcp-server-failed"` (naming the command
 * and its stderr, or the URL) when the server cannot be reached.
 * @example
 * const files = await connectMcpServer({ command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "."] }, { prefix: "fs" });
 * const agent = new Agent({ model, tools: [] });
 * files.attach(agent);            // or: new Agent({ model, tools: files.tools })
 * await agent.prompt("Which files are here?");
 * await files.close();
 */
export async function connectMcpServer(spec: McpServerSpec, options: McpConnectOptions = {}): Promise<McpConnection> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const connection = new Connection(spec, { ...DEFAULTS, ...given });
  await connection.open();
  return connection;
}
