/** Shared by the browser app and its server: the demo proxy's token and model. */

/** The bearer token the browser sends to the proxy (a demo value: the proxy, not the page, holds provider keys). */
export const PROXY_TOKEN = "web-chat-demo-token";

/** The upstream model the proxy allows (the faux server's). */
export const MODEL_ID = "faux-1";
