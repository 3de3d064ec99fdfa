/**
 * `tinyagent/proxy` for browsers, workers and edge runtimes (the `browser`
 * export condition): the proxy client and the fetch handler, nothing that
 * imports `node:`. The node server, `createProxyServer`, is in the node build only.
 */
export { proxyRequestHandler } from "../adapters/proxy-fetch.js";
export type { ProxyRequestHandler, ProxyRequestHandlerOptions } from "../adapters/proxy-fetch.js";
export type { ProxyOptions } from "../adapters/proxy-options.js";
export type { ProxyCorsOptions } from "../adapters/proxy-policy.js";
export type { ProxyRequestLimits } from "../adapters/proxy-limits.js";
export type { ProxyModels } from "../adapters/proxy-request.js";
export { PROXY_API, proxyModel, streamProxy } from "../adapters/proxy-client.js";
export type { ProxyModelOptions } from "../adapters/proxy-client.js";
export type { ProxyRequestModel, ProxyWireEvent } from "../adapters/proxy-wire.js";
