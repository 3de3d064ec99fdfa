/**
 * The browser entry: one agent, running here, reaching the model only
 * through the proxy on this page's origin; React renders its snapshots.
 */
import { createRoot } from "react-dom/client";
import { Agent, proxyModel, streamProxy } from "tinyagent";
import { App } from "./app.js";
import { MODEL_ID, PROXY_TOKEN } from "./config.js";
import { getTime, sum } from "./tools.js";

const agent = new Agent({
  streamFn: streamProxy,
  model: proxyModel({ id: MODEL_ID, proxyUrl: window.location.origin, authToken: PROXY_TOKEN }),
  tools: [sum, getTime],
  systemPrompt: "You are a helpful assistant. Use tools for arithmetic and the time.",
});
// For the browser test and the devtools console.
(window as unknown as { chatAgent: Agent }).chatAgent = agent;

createRoot(document.getElementById("root")!).render(<App agent={agent} />);
