/**
 * Proxy mode in one process: a proxy server that holds the provider key and
 * an agent that reaches the model only through it. Here the "provider" is
 * tinyagent's built-in scripted model on a loopback OpenAI-compatible
 * endpoint; in production it would be e.g. OpenAI, with the key in the
 * server's environment and the agent in a browser or another process.
 *
 *   npm run example:proxy
 */
import { z } from "zod";
import { Agent, defineTool } from "tinyagent";
import { createProxyServer, proxyModel } from "tinyagent/proxy";
import { startFauxServer } from "tinyagent/testing";

// ── Server side: knows the provider, its key and which models clients may use.
const provider = await startFauxServer();
const proxy = createProxyServer({
  authToken: "client-token", // what clients must send as `Authorization: Bearer …`
  apiKey: "sk-provider-key-stays-here", // the provider key: added upstream, redacted from replies
  models: [provider.model], // the allow-list; its baseUrl is the server's, never the client's
});
const proxyUrl = await proxy.listen(0, "127.0.0.1");
console.log(`proxy on ${proxyUrl} (GET /healthz → ${(await fetch(`${proxyUrl}/healthz`)).status})`);

// ── Client side: knows only the proxy URL, its token and a model id.
const sum = defineTool({
  name: "sum",
  description: "Add a list of numbers and return the total.",
  parameters: z.object({ numbers: z.array(z.number()) }),
  async execute(_id, { numbers }) {
    return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] };
  },
});

// No streamFn: the default one picks streamProxy for a proxyModel (by its api).
const agent = new Agent({
  model: proxyModel({ id: provider.model.id, proxyUrl, authToken: "client-token" }),
  tools: [sum],
  systemPrompt: "Use the sum tool for arithmetic.",
});

agent.subscribe((event) => {
  if (event.type === "message_update" && event.assistantMessageEvent.type === "text_delta") {
    process.stdout.write(event.assistantMessageEvent.delta);
  }
  if (event.type === "tool_execution_end") {
    console.log(`  [${event.toolName} → ${event.result.content.map((c) => (c.type === "text" ? c.text : "")).join("")}]`);
  }
});

const reply = await agent.prompt("What is 12 + 30 + 7?");
console.log(`\nstopReason: ${reply.stopReason}; ${agent.state.messages.length} messages in the transcript`);

// A wrong token is refused before anything reaches the provider.
const intruder = new Agent({ model: proxyModel({ id: provider.model.id, proxyUrl, authToken: "guess" }) });
const refused = await intruder.prompt("hi");
console.log(`wrong token: ${refused.errorMessage}`);

await proxy.close();
await provider.close();
