/**
 * An agent as one MCP tool, on the SDK's `McpServer`. A call is a run of
 * `agent.asTool(…)` (contract §9): a fresh transcript with the agent's
 * current settings, so calls from any number of clients run side by side
 * and never see one another, and the agent's own transcript is untouched.
 * The run's text deltas and tool calls go out as `notifications/progress`
 * when the caller sent a progress token; the request's cancellation (or the
 * session closing) aborts the run; a failed or aborted run is an `isError`
 * result whose text says what happened.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod/v4";
import type { AgentAsToolOptions, AgentToolUpdateDetails } from "../agent-tool.js";
import type { Agent } from "../agent.js";
import type { AgentEvent } from "../core/types.js";

/** What {@link createAgentMcpServer} needs of an agent: `asTool`, as every `Agent` has. */
export type McpServableAgent = Pick<Agent, "asTool">;

/** The tool an agent is served as. */
export type AgentMcpToolOptions = {
  /** The MCP tool name hosts see (and, unless `serverInfo` says otherwise, the server's name). */
  name: string;
  /** When a host's model should call this agent. */
  description: string;
  /** A human-readable name for hosts' UIs. */
  title?: string;
  /** Decides the agent's tool calls that need approval (as in `asTool`); without it they are rejected. */
  approve?: AgentAsToolOptions["approve"];
  /** How the server introduces itself. Default `{ name, version: "0.1.0" }`. */
  serverInfo?: { name: string; version: string };
};

/** The progress message of one agent event, or undefined for the events a host need not see. */
function progressMessage(event: AgentEvent): string | undefined {
  if (event.type === "message_update" && event.assistantMessageEvent.type === "text_delta") return event.assistantMessageEvent.delta;
  if (event.type === "tool_execution_start") return `Calling tool "${event.toolName}"`;
  if (event.type === "tool_execution_end") return `Tool "${event.toolName}" ${event.isError ? "failed" : "finished"}`;
  return undefined;
}

const errorResult = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });

/** A new SDK server offering `agent` as the tool `options.name` (one per stdio link or HTTP session). */
export function createAgentMcpServer(agent: McpServableAgent, options: AgentMcpToolOptions): McpServer {
  const { name, description, title, approve } = options;
  const tool = agent.asTool({ name, description, ...(approve ? { approve } : {}) });
  const server = new McpServer(options.serverInfo ?? { name, version: "0.1.0" }, { capabilities: { tools: {} } });
  server.registerTool(
    name,
    {
      description,
      ...(title === undefined ? {} : { title }),
      inputSchema: { prompt: z.string().min(1).describe("The task for this agent, in plain words.") },
    },
    async ({ prompt }, extra): Promise<CallToolResult> => {
      const progressToken = extra._meta?.progressToken;
      let progress = 0;
      const onUpdate = (update: { details?: unknown }) => {
        const message = progressToken === undefined ? undefined : progressMessage((update.details as AgentToolUpdateDetails).event);
        if (message === undefined || progressToken === undefined) return;
        // A notification that cannot be sent (the client left) must not end the run; the cancellation does that.
        extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress: ++progress, message } }).catch(() => {});
      };
      try {
        const result = await tool.execute(String(extra.requestId), { prompt }, extra.signal, onUpdate);
        return { content: result.content };
      } catch (error) {
        return errorResult(error instanceof Error ? error.message : String(error));
      }
    },
  );
  return server;
}
