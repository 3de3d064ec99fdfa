/**
 * Workers under fire (contract §11): three worker processes serve 32
 * sessions whose runs call fast, slow, replay-safe and approval-needing
 * tools, while the driver SIGKILLs a random worker at random moments
 * (seeded) and starts a new one, again and again. Then, with the approval
 * sessions waiting, every worker is killed and replaced, and only then are
 * the approvals given. Every session must reach its final answer with a
 * valid transcript, every finished call must have run exactly once (the
 * tools count their runs in Postgres, outside the workers), and the
 * approvals must apply.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import type { AgentMessage, AssistantMessage, ToolResultMessage } from "../src/index.js";
import { sessionClient } from "../src/postgres/index.js";
import { usePostgres } from "./helpers/postgres.js";
import { expectValidTranscript } from "./helpers/transcript.js";
import { createToolRuns, planPrompt, toolCallId, untilWaiting } from "./helpers/worker-sessions.js";

const postgres = usePostgres();
const KILLS = 6;
const TUNING = { claimTimeoutSeconds: 6, maintenanceIntervalSeconds: 1, pollIntervalMs: 100 };
const PLANS = [[["fast", "slow"], ["safe"]], [["slow"], ["fast", "safe"]], [["gated", "fast"]], [["safe", "slow"], ["fast"]]];
const SESSIONS = Array.from({ length: 32 }, (_, i) => ({ sessionId: `chaos-${i}`, plan: PLANS[i % PLANS.length]! }));

/** mulberry32: the kill schedule is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

let spawned = 0;
/** A worker process, loaded but not started: `start()` starts its worker and resolves once it takes jobs. */
function spawnWorker(): { child: ChildProcess; loaded: Promise<void>; start(): Promise<void> } {
  const name = `w${++spawned}`;
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/agent-worker.ts", postgres.connectionString, name], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, TINYAGENT_WORKER_TUNING: JSON.stringify({ claimTimeoutSeconds: TUNING.claimTimeoutSeconds }) },
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      lines.on("line", (line) => line === word && resolve());
      child.once("exit", (code, signal) => reject(new Error(`worker ${name} exited before it said "${word}" (${code ?? signal})`)));
    });
  const loaded = said("loaded");
  const ready = said("ready");
  loaded.catch(() => undefined);
  ready.catch(() => undefined);
  return {
    child,
    loaded,
    start: async () => {
      await loaded;
      child.stdin!.write("start\n");
      await ready;
    },
  };
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  return exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("every session ends, once per finished call, across SIGKILLed workers and approvals given after a full restart", async () => {
  const pool = new pg.Pool({ connectionString: postgres.connectionString });
  const client = sessionClient({ connectionString: postgres.connectionString, ...TUNING });
  try {
    await createToolRuns(pool);
    // Spares are loaded ahead, so a killed worker is replaced at once (loading takes seconds of CPU).
    const needed = 3 + KILLS + 3;
    const spares = [spawnWorker(), spawnWorker(), spawnWorker(), spawnWorker()];
    const take = () => {
      if (spawned < needed) spares.push(spawnWorker());
      return spares.shift()!;
    };
    const first = [take(), take(), take()];
    await Promise.all(first.map((worker) => worker.start()));
    let live = first.map((worker) => worker.child);

    await Promise.all(SESSIONS.map(({ sessionId, plan }) => client.prompt(sessionId, planPrompt(plan))));

    // Chaos: six kills at seeded moments, each worker replaced at once.
    const random = seeded(15);
    const starting: Promise<void>[] = [];
    for (let kills = 0; kills < KILLS; kills++) {
      await sleep(250 + random() * 600);
      const victim = live[Math.floor(random() * live.length)]!;
      await kill(victim);
      const replacement = take();
      starting.push(replacement.start());
      live = [...live.filter((child) => child !== victim), replacement.child];
    }

    // The approval sessions come to wait (their job over, the gated call unanswered).
    const gated = SESSIONS.filter(({ plan }) => plan.flat().includes("gated"));
    await Promise.all(starting);
    const waited = await Promise.all(gated.map(({ sessionId }) => untilWaiting(pool, sessionId)));
    expect(waited).toEqual(gated.map(() => true));

    // Every worker killed and replaced; only then the approvals.
    await Promise.all(live.map(kill));
    const fresh = [take(), take(), take()];
    await Promise.all(fresh.map((worker) => worker.start()));
    for (const { sessionId } of gated) await client.approve(sessionId, toolCallId(0, 0, "gated"));

    await Promise.all(SESSIONS.map(({ sessionId }) => client.waitForIdle(sessionId)));

    const { rows: runs } = await pool.query<{ session_id: string; tool_call_id: string; runs: number }>(
      "SELECT session_id, tool_call_id, count(*)::int AS runs FROM tool_runs GROUP BY 1, 2",
    );
    const runsOf = (sessionId: string, id: string) => runs.find((row) => row.session_id === sessionId && row.tool_call_id === id)?.runs ?? 0;
    for (const { sessionId, plan } of SESSIONS) {
      const messages: AgentMessage[] = await client.messages(sessionId);
      expectValidTranscript(messages);
      const last = messages.at(-1) as AssistantMessage;
      expect(last.content, sessionId).toEqual([{ type: "text", text: `All ${plan.length} steps done.` }]);
      for (const result of messages.filter((message): message is ToolResultMessage => message.role === "toolResult")) {
        const runsHere = runsOf(sessionId, result.toolCallId);
        if (result.isError) {
          // Cut off by a kill: never run to the end twice; only a replay-unsafe call is answered so.
          expect(result.toolName, `${sessionId} ${result.toolCallId}`).not.toBe("safe");
          expect(runsHere, `${sessionId} ${result.toolCallId}`).toBeLessThanOrEqual(1);
        } else if (result.toolName === "safe") {
          expect(runsHere, `${sessionId} ${result.toolCallId}`).toBeGreaterThanOrEqual(1);
        } else {
          expect(runsHere, `${sessionId} ${result.toolCallId} ran ${runsHere} times`).toBe(1);
        }
      }
      for (const { sessionId: id } of gated) {
        if (id === sessionId) expect(runsOf(sessionId, toolCallId(0, 0, "gated")), JSON.stringify(messages.filter((m) => m.role === "toolResult"))).toBe(1);
      }
    }
    // The kills did land in runs: some session was advanced by more than one worker.
    const { rows: spread } = await pool.query(
      "SELECT count(*)::int AS sessions FROM (SELECT session_id FROM tool_runs GROUP BY 1 HAVING count(DISTINCT worker) > 1) AS moved",
    );
    expect(spread[0].sessions).toBeGreaterThan(0);
  } finally {
    await Promise.all([...children].map(kill));
    await client.close();
    await pool.end();
  }
}, 110_000);
