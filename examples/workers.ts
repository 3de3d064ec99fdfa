/**
 * Workers on Postgres (`npm run example:workers`): two worker processes
 * serve one Postgres. A client queues a prompt; the run calls `book_table`
 * and then the slow `summarise_reviews`. While that tool runs, its worker
 * is killed with SIGKILL (no goodbye, nothing flushed). When the dead
 * worker's claim runs out, the other worker takes the session over from its
 * last checkpoint: the booking is kept (it never runs twice),
 * `summarise_reviews` runs again (it has `replay: "safe"`), and the run
 * finishes there.
 *
 * Postgres: DATABASE_URL when set, else a throwaway one (Debian's
 * `postgresql` package, scripts/throwaway-postgres.ts). The model is the
 * built-in scripted one: no API key, no network.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { type AgentMessage, type AgentOptions, defineTool, textResult } from "tinyagent";
import { sessionClient, startAgentWorker } from "tinyagent/postgres";
import { createFauxProvider } from "tinyagent/testing";
import { startThrowawayPostgres } from "../scripts/throwaway-postgres.js";

// A dead worker is noticed when its claim runs out: short here, so the example takes seconds (default 900).
const TUNING = { claimTimeoutSeconds: 8, maintenanceIntervalSeconds: 1, pollIntervalMs: 100 };
const SLOW_MS = 2000;

/** The agent every worker builds for a session: the same everywhere, so any worker continues any session. */
function sessionAgent(worker: string): AgentOptions {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const bookTable = defineTool({
    name: "book_table",
    description: "Book a restaurant table.",
    parameters: z.object({ people: z.number(), time: z.string() }),
    // replay: "never" (the default): after a crash mid-call it is answered "interrupted", never run twice.
    async execute(_id, { people, time }) {
      say(`${worker}: book_table runs`);
      return textResult(`Table for ${people} booked at ${time}.`);
    },
  });
  const summariseReviews = defineTool({
    name: "summarise_reviews",
    description: "Read the restaurant's reviews and summarise them.",
    parameters: z.object({ restaurant: z.string() }),
    replay: "safe", // reads only: a worker that takes over may run it again
    async execute(_id, { restaurant }, signal) {
      say(`${worker}: summarise_reviews starts (takes ${SLOW_MS / 1000} s)`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, SLOW_MS);
        signal?.addEventListener("abort", () => clearTimeout(timer));
      });
      say(`${worker}: summarise_reviews done`);
      return textResult(`${restaurant}: 4.6 stars; people praise the risotto, some find it loud.`);
    },
  });
  // The scripted model reads where the run is from the transcript, so it answers the same on any worker.
  const faux = createFauxProvider((context) => {
    const calls = context.messages.filter((message) => message.role === "toolResult").length;
    if (calls === 0) return { text: "Booking first.", toolCalls: [{ id: "call-book", name: "book_table", arguments: { people: 2, time: "19:30" } }] };
    if (calls === 1)
      return { text: "Now the reviews.", toolCalls: [{ id: "call-reviews", name: "summarise_reviews", arguments: { restaurant: "Trattoria Lupo" } }] };
    return { text: "Booked a table for 2 at 19:30 at Trattoria Lupo: 4.6 stars, great risotto, a bit loud." };
  });
  return { model: faux.model, streamFn: faux.streamFn, tools: [bookTable, summariseReviews] };
}

/** A worker process: `examples/workers.ts --worker <connection string> <name>`; it ends with its parent. */
async function runWorker(connectionString: string, name: string): Promise<void> {
  const worker = await startAgentWorker({ connectionString, ...TUNING, concurrency: 4, agent: () => sessionAgent(name) });
  process.stdout.write("ready\n");
  process.stdin.resume();
  process.stdin.once("end", () => void worker.close().then(() => process.exit(0)));
  process.once("SIGTERM", () => void worker.close().then(() => process.exit(0)));
}

type Worker = { name: string; child: ChildProcess; ready: Promise<void>; lines: (listener: (line: string) => void) => void };

function spawnWorker(connectionString: string, name: string): Worker {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ["--conditions=tinyagent-source", "--import", "tsx", self, "--worker", connectionString, name], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const reader = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    reader.on("line", (line) => line === "ready" && resolve());
    child.once("exit", (code, signal) => reject(new Error(`${name} exited before it was ready (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { name, child, ready, lines: (listener) => reader.on("line", (line) => line !== "ready" && listener(line)) };
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** The transcript invariant: every tool call answered by one result, in order, before the next assistant message. */
function unansweredCalls(messages: readonly AgentMessage[]): string[] {
  let open: string[] = [];
  const wrong: string[] = [];
  for (const message of messages) {
    if (message.role === "assistant") {
      wrong.push(...open);
      open = message.content.flatMap((block) => (block.type === "toolCall" ? [block.id] : []));
    } else if (message.role === "toolResult") {
      if (open[0] === message.toolCallId) open.shift();
      else wrong.push(message.toolCallId);
    }
  }
  return [...wrong, ...open];
}

async function main(): Promise<void> {
  const throwaway = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres();
  const connectionString = process.env.DATABASE_URL ?? throwaway!.connectionString;
  console.log(throwaway ? `Postgres: a throwaway one on 127.0.0.1:${throwaway.port}` : "Postgres: DATABASE_URL");
  const workers = [spawnWorker(connectionString, "worker-a"), spawnWorker(connectionString, "worker-b")];
  const client = sessionClient({ connectionString, ...TUNING });
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) console.log(`${worker.name} started (pid ${worker.child.pid})`);

    const sessionId = `dinner-${Date.now().toString(36)}`;
    const runs = new Map<string, string[]>(); // tool name -> the workers it started on
    let victim: Worker | undefined;
    for (const worker of workers) {
      worker.lines((line) => {
        console.log(`  ${line}`);
        const tool = /^\S+: (\w+) (?:runs|starts)/.exec(line)?.[1];
        if (tool) runs.set(tool, [...(runs.get(tool) ?? []), worker.name]);
        if (tool === "summarise_reviews" && !victim) {
          victim = worker;
          void killOnceBooked(worker);
        }
      });
    }

    // A replay-safe tool starts without waiting for the checkpoint before it, so wait until the booking's
    // result is in the store (milliseconds): killed earlier, the booking would be answered "interrupted".
    const killOnceBooked = async (worker: Worker) => {
      while (!(await client.messages(sessionId)).some((message) => message.role === "toolResult" && message.toolName === "book_table")) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      worker.child.kill("SIGKILL");
      console.log(`SIGKILL ${worker.name} (pid ${worker.child.pid}) while summarise_reviews runs`);
      console.log(`  the other worker takes over once ${worker.name}'s claim runs out (claimTimeoutSeconds: ${TUNING.claimTimeoutSeconds})`);
    };

    console.log(`client: prompt session "${sessionId}"`);
    await client.prompt(sessionId, "Book a table for two at 19:30 at Trattoria Lupo, then tell me what the reviews say.");
    // The session's events, from whichever worker runs it (kept in Postgres; the new worker's follow on).
    for await (const event of client.events(sessionId)) {
      if (event.type === "tool_execution_start") console.log(`  event: → ${event.toolName}(${JSON.stringify(event.args)})`);
      if (event.type === "tool_execution_end") {
        const text = event.result.content.map((block) => (block.type === "text" ? block.text : "")).join("");
        console.log(`  event: ← ${event.toolName}${event.isError ? " (error)" : ""}: ${text}`);
      }
      if (event.type === "message_end" && event.message.role === "assistant") {
        const text = event.message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
        console.log(`  event: assistant: ${text}`);
      }
      if (event.type === "agent_end") {
        console.log("  event: agent_end");
        break;
      }
    }
    await client.waitForIdle(sessionId);
    const survivor = workers.find((worker) => worker !== victim)!;

    const messages = await client.messages(sessionId);
    const unanswered = unansweredCalls(messages);
    console.log(`\nsession "${sessionId}" finished on ${survivor.name}; its transcript (${messages.length} messages):`);
    for (const message of messages) {
      const content = typeof message.content === "string" ? [{ type: "text" as const, text: message.content }] : message.content;
      const parts = content.map((block) =>
        block.type === "text" ? block.text : block.type === "toolCall" ? `→ ${block.name}(${JSON.stringify(block.arguments)})` : `[${block.type}]`,
      );
      console.log(`  ${message.role}: ${parts.join(" ")}`);
    }
    console.log(unanswered.length === 0 ? "transcript valid: every tool call answered once, in order" : `transcript INVALID: ${unanswered.join(", ")}`);
    for (const [tool, on] of runs) console.log(`${tool} started ${on.length} time(s): on ${on.join(", then ")}`);
    if (!victim || unanswered.length > 0) process.exitCode = 1;
  } finally {
    await client.close();
    for (const worker of workers) {
      worker.child.stdin?.end(); // a worker ends with its parent's stdin
      await killed(worker.child);
    }
    await throwaway?.stop();
  }
}

if (process.argv[2] === "--worker") await runWorker(process.argv[3]!, process.argv[4]!);
else await main();
