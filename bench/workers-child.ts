// One worker process of the workers bench (bench/workers.ts): argv = connection string, schema,
// concurrency. It says "ready" once its worker takes jobs and runs until its stdin ends (its
// parent is done or gone).
import { type AgentTool, textResult } from "../src/index.js";
import { startAgentWorker } from "../src/postgres/index.js";
import { createFauxProvider } from "../src/testing.js";

const [connectionString, schema, concurrency] = process.argv.slice(2) as [string, string, string];
const lookup: AgentTool = {
  name: "lookup",
  description: "Looks a key up.",
  parameters: { type: "object", properties: { key: { type: "string" } } },
  async execute(_id, args) {
    return textResult(`value of ${(args as { key: string }).key}`);
  },
};
// Each session: one turn of two parallel lookups, then the answer.
const faux = createFauxProvider((context) =>
  context.messages.some((message) => message.role === "toolResult")
    ? { text: "Both keys looked up." }
    : {
        text: "Looking both up.",
        toolCalls: [
          { id: "call-a", name: "lookup", arguments: { key: "a" } },
          { id: "call-b", name: "lookup", arguments: { key: "b" } },
        ],
      },
);
const worker = await startAgentWorker({
  connectionString,
  schema,
  concurrency: Number(concurrency),
  pollIntervalMs: 100,
  maintenanceIntervalSeconds: 60,
  claimTimeoutSeconds: 120,
  agent: () => ({ model: faux.model, streamFn: faux.streamFn, tools: [lookup] }),
});
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.once("end", () => void worker.close().then(() => process.exit(0)));
