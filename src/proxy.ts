/**
 * `tinyagent/proxy`: a server that keeps provider keys and streams compact
 * events to untrusted clients — as a node server (`createProxyServer`) or a
 * web-standard fetch handler (`proxyRequestHandler`) — and the client
 * `StreamFn` that speaks to it (and to any server of pi-agent-core's proxy
 * format). Bundlers that resolve the `browser` condition get
 * `./proxy-browser.ts`: the same minus the node server, no `node:` import.
 */
export * from "./proxy-browser.js";
export { createProxyServer } from "../adapters/proxy-server.js";
export type { ProxyServer, ProxyServerOptions } from "../adapters/proxy-server.js";
