/**
 * `npm run demo`: an agent with two tools, over a real HTTP adapter. By
 * default the model is tinyagent's built-in scripted model, served on a
 * loopback SSE endpoint (or, with OPENROUTER_API_KEY set, a real OpenRouter model).
 * `npm run demo -- --provider anthropic|openai|google|openrouter` uses that
 * provider's real endpoint with the key from its environment variable
 * (TINYAGENT_MODEL picks the model, TINYAGENT_BASE_URL another endpoint).
 * `npm run demo -- --view` also streams the run into the run viewer and prints its URL.
 */
import { z } from "zod";
import { Agent, anthropicModel, defineTool, googleModel, openAIResponsesModel, openRouterModel, type AgentEvent, type Model } from "tinyagent";
import { startRunViewer } from "tinyagent/devtools";
import { startFauxServer } from "tinyagent/testing";

/** The real providers: a model factory, its default model and the env variables its key is read from (first found wins). */
const PROVIDERS: Record<string, { make: (id: string, baseUrl?: string) => Model; model: string; keys: string[] }> = {
  anthropic: { make: (id, baseUrl) => anthropicModel(id, { baseUrl, reasoning: true }), model: "claude-haiku-4-5", keys: ["ANTHROPIC_API_KEY"] },
  openai: { make: (id, baseUrl) => openAIResponsesModel(id, { baseUrl, reasoning: true }), model: "gpt-5-mini", keys: ["OPENAI_API_KEY"] },
  google: { make: (id, baseUrl) => googleModel(id, { baseUrl, reasoning: true }), model: "gemini-2.5-flash", keys: ["GEMINI_API_KEY", "GOOGLE_API_KEY"] },
  openrouter: { make: (id, baseUrl) => openRouterModel(id, baseUrl ? { baseUrl } : {}), model: "openai/gpt-4o-mini", keys: ["OPENROUTER_API_KEY"] },
};

/** `--provider NAME` or `--provider=NAME`, checked against {@link PROVIDERS}; exits with a clear message when unusable. */
function chosenProvider(): (typeof PROVIDERS)[string] | undefined {
  const args = process.argv.slice(2);
  const at = args.findIndex((arg) => arg === "--provider" || arg.startsWith("--provider="));
  if (at < 0) return undefined;
  const name = args[at]!.includes("=") ? args[at]!.slice("--provider=".length) : args[at + 1];
  const provider = name ? PROVIDERS[name] : undefined;
  if (!provider)
    fail(`Unknown --provider ${JSON.stringify(name ?? "")}: use one of ${Object.keys(PROVIDERS).join(", ")}, or leave it out for the built-in loopback model.`);
  if (!provider.keys.some((key) => process.env[key])) {
    fail(
      `--provider ${name} needs an API key: set ${provider.keys.join(" (or ")}${provider.keys.length > 1 ? ")" : ""} in the environment, or leave --provider out for the built-in loopback model.`,
    );
  }
  return provider;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

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

const provider = chosenProvider() ?? (process.env.OPENROUTER_API_KEY ? PROVIDERS.openrouter : undefined);
const server = provider ? undefined : await startFauxServer({ chunkDelayMs: Number(process.env.TINYAGENT_DEMO_DELAY_MS ?? 15) });
const model: Model = server ? server.model : provider!.make(process.env.TINYAGENT_MODEL || provider!.model, process.env.TINYAGENT_BASE_URL || undefined);
console.log(dim(`model: ${model.id} via ${model.baseUrl}${server ? " (built-in scripted model on loopback)" : ""}`));

const agent = new Agent({ model, tools: [sum, getTime] });
const viewer = process.argv.includes("--view") ? await startRunViewer({ port: Number(process.env.TINYAGENT_VIEW_PORT ?? 4477) }) : undefined;
viewer?.attach(agent, { title: "demo" });
if (viewer) console.log(green(`run viewer: ${viewer.url}`));
agent.setSystemPrompt("You are a helpful assistant. Use tools for arithmetic and the time. Be brief.");

// Each part on its own line: states, thinking, the answer, tool calls. `open` is the streamed block a line holds;
// `blanks`, spaces a delta ended with, written only if more text follows on that line (no trailing spaces).
let open: "thinking" | "text" | undefined;
let blanks = "";
const line = (text: string) => {
  open = undefined;
  blanks = "";
  process.stdout.write(`\n${text}`);
};
/** A streamed delta: the first of a block starts its labelled line (without the whitespace a model may lead with). */
const streamed = (kind: "thinking" | "text", delta: string) => {
  if (open !== kind) {
    delta = delta.trimStart();
    if (!delta) return;
    line(kind === "thinking" ? dim("  thinking: ") : "  assistant: ");
    open = kind;
  }
  // Model text keeps its own line breaks, minus trailing spaces before them.
  const text = (blanks + delta).replace(/[ \t]+\n/g, "\n");
  const kept = text.replace(/[ \t]+$/, "");
  blanks = text.slice(kept.length);
  process.stdout.write(kind === "thinking" ? dim(kept) : kept);
};

// States, as the machine moves between them (a snapshot is announced after the events its step emitted).
let lastState = "idle";
agent.actor.subscribe(({ value }) => {
  const state = typeof value === "string" ? value : Object.keys(value)[0]!;
  if (state !== lastState) line(dim(`  [${lastState} → ${state}]`));
  lastState = state;
});

// Streamed text, thinking and tool calls, as they arrive.
agent.subscribe((event: AgentEvent) => {
  if (event.type === "message_update") {
    const e = event.assistantMessageEvent;
    if (e.type === "text_delta") streamed("text", e.delta);
    if (e.type === "thinking_delta") streamed("thinking", e.delta);
  } else if (event.type === "tool_execution_start") {
    line(cyan(`    → ${event.toolName}(${JSON.stringify(event.args)})`));
  } else if (event.type === "tool_execution_end") {
    const text = event.result.content.map((block) => (block.type === "text" ? block.text : "[image]")).join("");
    line((event.isError ? yellow : green)(`    ← ${event.toolName}: ${text}`));
  }
});

for (const prompt of ["What is 12 + 30 + 7?", "And what time is it?", "Thanks, that's all!"]) {
  line(yellow(`you: ${prompt}`));
  const reply = await agent.prompt(prompt);
  if (reply.stopReason === "error") line(yellow(`error: ${reply.errorMessage}`));
  line("");
}

const { usage } = agent.actor.getSnapshot().context;
console.log(dim(`\nusage: ${usage.input} in / ${usage.output} out tokens, $${usage.cost.total.toFixed(6)}; ${agent.state.messages.length} messages`));
await server?.close();
if (viewer) {
  console.log(green(`\nrun viewer still open at ${viewer.url} (scrub the slider to replay) — Ctrl-C to quit`));
  process.once("SIGINT", () => void viewer.close());
}
