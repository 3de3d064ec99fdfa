/**
 * The README quick start: system prompt, model, a `sum` tool, promptText,
 * subscribe. Uses OpenRouter when OPENROUTER_API_KEY is set, else the
 * built-in scripted model on a loopback endpoint.
 */
import { z } from "zod";
import { Agent, defineTool, openRouterModel } from "tinyagent";
import { startFauxServer } from "tinyagent/testing";

const sum = defineTool({
  name: "sum",
  description: "Add two numbers.",
  parameters: z.object({ a: z.number(), b: z.number() }),
  async execute(_toolCallId, { a, b }) {
    return { content: [{ type: "text", text: String(a + b) }] };
  },
});

const local = process.env.OPENROUTER_API_KEY ? undefined : await startFauxServer();

const agent = new Agent();
agent.setSystemPrompt("You are a helpful assistant.");
agent.setModel(local?.model ?? openRouterModel("openai/gpt-4o-mini"));
agent.setTools([sum]);

const unsubscribe = agent.subscribe((event) => {
  if (event.type === "tool_execution_end") console.log(`[${event.toolName}]`, event.result.content);
});

console.log(await agent.promptText("What is 2 + 3?"));
unsubscribe();
await local?.close();
