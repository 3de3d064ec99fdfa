/**
 * `tinyagent/mcp`: Model Context Protocol servers' tools as agent tools
 * (stdio and Streamable HTTP, with the older HTTP+SSE as a fallback), and an
 * agent served as an MCP tool. Needs the optional peer `@modelcontextprotocol/sdk`.
 */
export { connectMcpServer } from "./connect.js";
export type { McpConnection, McpConnectOptions, McpToolHost } from "./connect.js";
export type { McpHttpServer, McpServerSpec, McpStdioServer } from "./server-link.js";
export type { McpToolProgressDetails, McpToolResultDetails } from "./tool-result.js";
export { serveAgentOverMcp } from "./serve-agent.js";
export type { McpAgentServer, McpHttpListen, ServeAgentOverMcpOptions } from "./serve-agent.js";
export type { AgentMcpToolOptions, McpServableAgent } from "./agent-mcp-server.js";
