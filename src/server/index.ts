/**
 * `tinyagent/server`: agents over HTTP (contract §13). A web-standard
 * `(Request) => Promise<Response>` handler — commands in, a resumable SSE
 * event stream out — and a one-line bridge for `node:http`. Imports nothing
 * from node, so it runs on Node, Bun, Deno and edge runtimes.
 */
export { agentRequestHandler } from "./request-handler.js";
export type { AgentRequestHandler, AgentRequestHandlerOptions, SessionAgentOptions } from "./request-handler.js";
export { nodeHandler } from "./node-handler.js";
export type { NodeRequestLike, NodeResponseLike } from "./node-handler.js";
