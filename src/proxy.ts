/**
 * `tinyagent/proxy`: a server that keeps provider keys and streams compact
 * events to untrusted clients, and the client `StreamFn` that speaks to it
 * (and to any server of pi-agent-core's proxy format).
 */
export { createProxyServer } from "../adapters/proxy-server.js";
export type { ProxyServer, ProxyServerOptions } from "../adapters/proxy-server.js";
export type { ProxyCorsOptions } from "../adapters/proxy-http.js";
export { PROXY_API, proxyModel, streamProxy } from "../adapters/proxy-client.js";
export type { ProxyModelOptions } from "../adapters/proxy-client.js";
export type { ProxyRequestModel, ProxyWireEvent } from "../adapters/proxy-wire.js";
