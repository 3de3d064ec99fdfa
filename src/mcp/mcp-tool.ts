/**
 * One MCP tool as an {@link AgentTool}: its JSON Schema passed through as the
 * parameters, its progress notifications as `onUpdate`, the agent's abort
 * signal as the SDK's (which sends `notifications/cancelled`), and every
 * failure of the call (the server gone, no answer in time, a protocol error)
 * thrown with a message the model can read, so it becomes an error result.
 */
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AgentTool, JSONSchema } from "../core/types.js";
import { agentToolResult, type McpToolProgressDetails, type McpToolResultDetails } from "./tool-result.js";

/** How a tool reaches its server: the connection's call, which survives session re-initialisation. */
export type CallMcpTool = (
  name: string,
  args: Record<string, unknown>,
  options: { signal?: AbortSignal; timeoutMs: number; onProgress: (progress: McpToolProgressDetails) => void },
) => Promise<CallToolResult>;

/** An MCP tool's agent tool: what the agent sees, and how calls reach the server. */
export type McpToolSettings = {
  /** The agent tool name (valid for every provider, see tool-names.ts). */
  name: string;
  timeoutMs: number;
  maxResultChars: number;
  /** The server, for messages ("`node server.js`", a URL). */
  serverLabel: string;
  /** The server's recent stderr, for messages when it died. */
  stderrTail: () => string;
  call: CallMcpTool;
};

function progressText(progress: McpToolProgressDetails): string {
  if (progress.message) return progress.message;
  return progress.total !== undefined ? `Progress: ${progress.progress}/${progress.total}` : `Progress: ${progress.progress}`;
}

/** Why a call failed, in words for the model and the person reading the transcript. */
function failure(error: unknown, tool: Tool, settings: McpToolSettings, signal: AbortSignal | undefined): Error {
  const what = `MCP tool "${tool.name}" of ${settings.serverLabel}`;
  // The SDK reports an aborted request as a timeout; say what really happened.
  if (signal?.aborted) return new Error(`${what} was aborted; the server was told to cancel the call.`);
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    const said = settings.stderrTail();
    return new Error(`${what} failed: the server closed the connection during the call (it may have crashed).${said ? ` Its stderr:\n${said}` : ""}`);
  }
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
    return new Error(`${what} did not answer within ${settings.timeoutMs} ms; the call was cancelled.`);
  }
  return new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
}

/** The agent tool for `tool`; see the module comment. */
export function mcpAgentTool(tool: Tool, settings: McpToolSettings): AgentTool<Record<string, unknown>, McpToolResultDetails | McpToolProgressDetails> {
  const agentTool: AgentTool<Record<string, unknown>, McpToolResultDetails | McpToolProgressDetails> = {
    name: settings.name,
    description: tool.description ?? tool.title ?? tool.name,
    parameters: tool.inputSchema as JSONSchema,
    timeoutMs: settings.timeoutMs,
    async execute(_toolCallId, args, signal, onUpdate) {
      let result: CallToolResult;
      try {
        result = await settings.call(tool.name, args ?? {}, {
          signal,
          timeoutMs: settings.timeoutMs,
          onProgress: (progress) => onUpdate({ content: [{ type: "text", text: progressText(progress) }], details: progress }),
        });
      } catch (error) {
        throw failure(error, tool, settings, signal);
      }
      return agentToolResult(result, settings.maxResultChars);
    },
  };
  const label = tool.title ?? tool.annotations?.title;
  if (label) agentTool.label = label;
  return agentTool;
}
