/**
 * `npm run demo`: an agent with two tools, over the real OpenAI-compatible
 * HTTP adapter. Without OPENROUTER_API_KEY the model is tinyagent's built-in
 * scripted model, served on a loopback SSE endpoint; with it, a real model
 * (TINYAGENT_MODEL, default openai/gpt-4o-mini) on OpenRouter.
 * `npm run demo -- --view` also streams the run into the run viewer and prints its URL.
 */
import { z } from "zod";
import { Agent, defineTool, openRouterModel, type AgentEvent, type Model } from "tinyagent";
import { startRunViewer } from "tinyagent/devtools";
import { startFauxServer } from "tinyagent/testing";

const color = (code: number) => (text: string) => (process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text);
const dim = color(2);
const cyan = color(36);
const yellow = color(33);
const green = color(32);

const sum = defineTool({
  name: "sum",
  description: "Add a list of numbers and return the total.",
  parameters: z.object({ numbers: z.array(z.number()).describe("the numbers to add") }),
  async execute(_id, { numbers }) {
    return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] };
  },
});

const getTime = defineTool({
  name: "get_time",
  description: "The current time (clock) in UTC.",
  parameters: z.object({}),
  async execute() {
    return { content: [{ type: "text", text: new Date().toISOString().slice(11, 19) + " UTC" }] };
  },
});

const apiKey = process.env.OPENROUTER_API_KEY;
const server = apiKey ? undefined : await startFauxServer({ chunkDelayMs: Number(process.env.TINYAGENT_DEMO_DELAY_MS ?? 15) });
const model: Model = server ? server.model : openRouterModel(process.env.TINYAGENT_MODEL ?? "openai/gpt-4o-mini");
console.log(dim(`model: ${model.id} via ${model.baseUrl}${server ? " (built-in scripted model on loopback)" : ""}`));

const agent = new Agent({ model, tools: [sum, getTime] });
const viewer = process.argv.includes("--view") ? await startRunViewer({ port: Number(process.env.TINYAGENT_VIEW_PORT ?? 4477) }) : undefined;
viewer?.attach(agent, { title: "demo" });
if (viewer) console.log(green(`run viewer: ${viewer.url}`));
agent.setSystemPrompt("You are a helpful assistant. Use tools for arithmetic and the time. Be brief.");

// States, as the machine moves between them (a snapshot is announced after the events its step emitted).
let lastState = "idle";
agent.actor.subscribe(({ value }) => {
  const state = typeof value === "string" ? value : Object.keys(value)[0]!;
  if (state !== lastState) process.stdout.write(dim(`\n  [${lastState} → ${state}] `));
  lastState = state;
});

// Streamed text, thinking and tool calls, as they arrive.
agent.subscribe((event: AgentEvent) => {
  if (event.type === "message_update") {
    const e = event.assistantMessageEvent;
    if (e.type === "text_delta") process.stdout.write(e.delta);
    if (e.type === "thinking_delta") process.stdout.write(dim(e.delta));
  } else if (event.type === "tool_execution_start") {
    process.stdout.write(cyan(`\n    → ${event.toolName}(${JSON.stringify(event.args)})`));
  } else if (event.type === "tool_execution_end") {
    const text = event.result.content.map((block) => (block.type === "text" ? block.text : "[image]")).join("");
    process.stdout.write((event.isError ? yellow : green)(`\n    ← ${event.toolName}: ${text}`));
  }
});

for (const prompt of ["What is 12 + 30 + 7?", "And what time is it?", "Thanks, that's all!"]) {
  process.stdout.write(yellow(`\nyou: ${prompt}`));
  const reply = await agent.prompt(prompt);
  if (reply.stopReason === "error") process.stdout.write(yellow(`\nerror: ${reply.errorMessage}`));
  process.stdout.write("\n");
}

const { usage } = agent.actor.getSnapshot().context;
console.log(
  dim(`\nusage: ${usage.input} in / ${usage.output} out tokens, $${usage.cost.total.toFixed(6)}; ${agent.state.messages.length} messages`),
);
await server?.close();
if (viewer) {
  console.log(green(`\nrun viewer still open at ${viewer.url} (scrub the slider to replay) — Ctrl-C to quit`));
  process.once("SIGINT", () => void viewer.close());
}
