/**
 * Sessions for the worker tests, the same in every process: the faux
 * model reads the session's plan from its first user message ("plan:
 * fast,slow|safe" = a turn calling fast and slow, then a turn calling
 * safe, then a final answer), so any worker continues any session. Tool
 * call ids are fixed by the plan (turn, position, tool), and every tool
 * records each execution in the `tool_runs` table: outside the workers, so
 * a test can count how often each call ran.
 */
import type pg from "pg";
import { type AgentOptions, type AgentTool, type Context, textResult } from "../../src/index.js";
import { createFauxProvider } from "../../src/testing.js";

/** The plan text of a session's prompt. */
export function planPrompt(turns: string[][]): string {
  return `plan: ${turns.map((turn) => turn.join(",")).join("|")}`;
}

/** The tool call id of `tool`, `position`-th in turn `turn`. */
export function toolCallId(turn: number, position: number, tool: string): string {
  return `t${turn}-${position}-${tool}`;
}

function planOf(context: Context): string[][] {
  const first = context.messages.find((message) => message.role === "user");
  const text = typeof first?.content === "string" ? first.content : "";
  const plan = text.startsWith("plan: ") ? text.slice(6) : "";
  return plan ? plan.split("|").map((turn) => turn.split(",")) : [];
}

/** Creates the `tool_runs` table (once per database). */
export async function createToolRuns(pool: pg.Pool): Promise<void> {
  await pool.query(
    "CREATE TABLE IF NOT EXISTS tool_runs (session_id text NOT NULL, tool_call_id text NOT NULL, worker text NOT NULL, at timestamptz DEFAULT clock_timestamp())",
  );
}

/**
 * The agent options of every session: the plan-reading faux model (deltas
 * paced by `chunkDelayMs`, so a kill can land mid-stream) and the tools,
 * which record their runs through `pool` as `worker`.
 */
export function workerAgentOptions(pool: pg.Pool, worker: string, { slowMs = 300, chunkDelayMs = 2 } = {}) {
  const faux = createFauxProvider(
    (context) => {
      const plan = planOf(context);
      const turn = context.messages.filter((message) => message.role === "assistant" && message.content.some((block) => block.type === "toolCall")).length;
      const calls = plan[turn];
      if (!calls) return { text: `All ${plan.length} steps done.`, chunkDelayMs };
      return {
        text: `Step ${turn + 1}.`,
        toolCalls: calls.map((name, i) => ({ id: toolCallId(turn, i, name), name, arguments: { step: turn } })),
        chunkDelayMs,
      };
    },
    { chunkSize: 3 },
  );
  return (sessionId: string): AgentOptions => {
    const tool = (name: string, waitMs: number, extra: Partial<AgentTool> = {}): AgentTool => ({
      name,
      description: `the ${name} tool`,
      parameters: { type: "object", properties: { step: { type: "number" } } },
      async execute(id, _args, signal) {
        if (waitMs > 0) {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, waitMs);
            signal?.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(new Error("aborted"));
            });
          });
        }
        await pool.query("INSERT INTO tool_runs (session_id, tool_call_id, worker) VALUES ($1, $2, $3)", [sessionId, id, worker]);
        return textResult(`${name} ran on ${worker}`);
      },
      ...extra,
    });
    return {
      model: faux.model,
      streamFn: faux.streamFn,
      tools: [
        tool("fast", 0),
        tool("slow", slowMs),
        tool("safe", slowMs / 2, { replay: "safe" } as Partial<AgentTool>),
        tool("gated", 0, { requiresApproval: true }),
      ],
    };
  };
}

/** Polls until the session's record has a call waiting for approval and no job of it is queued or active; false after ~60 s. */
export async function untilWaiting(pool: pg.Pool, sessionId: string): Promise<boolean> {
  for (let i = 0; i < 1200; i++) {
    const { rows } = await pool.query(
      `SELECT (s.record->'run'->'batch'->'statuses') ? 'awaitingApproval' AS waiting,
              (SELECT count(*) FROM tinyagent_jobs.job j WHERE j.singletonkey = s.session_id AND j.state < 'completed')::int AS jobs
       FROM tinyagent.sessions s WHERE s.session_id = $1`,
      [sessionId],
    );
    if (rows[0]?.waiting && rows[0].jobs === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
