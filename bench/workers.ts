/**
 * Workers on Postgres (`npm run bench`, `--only workers`): sessions
 * completed per second with 1, 2 and 4 worker processes on one Postgres.
 * Each session is one run of two turns (two parallel tool calls, then the
 * answer) on the in-process faux model, so the time is the workers'
 * machinery: jobs, claims, checkpoints, commands and the event history.
 * The workers are started first (each in its own process, concurrency 10);
 * the clock runs from the first of the prompts queued (500 by default) to the last session finished
 * (read off the sessions table). Postgres is a throwaway server
 * (scripts/throwaway-postgres.ts) with fsync off, on the same machine.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { sessionClient } from "../src/postgres/index.js";
import { startThrowawayPostgres } from "../scripts/throwaway-postgres.js";

/** One worker count's result. */
export type WorkersBenchRow = { workers: number; sessions: number; seconds: number; sessionsPerSecond: number };

/** What {@link runWorkersBench} found. */
export type WorkersBenchReport = { concurrency: number; cores: number; rows: WorkersBenchRow[] };

const CHILD = fileURLToPath(new URL("./workers-child.ts", import.meta.url));

function startWorker(connectionString: string, schema: string, concurrency: number): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ["--conditions=tinyagent-source", "--import", "tsx", CHILD, connectionString, schema, String(concurrency)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => line === "ready" && resolve());
    child.once("exit", (code, signal) => reject(new Error(`bench worker exited before it was ready (${code ?? signal})`)));
  });
  return { child, ready };
}

function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Runs `sessions` sessions through each worker count in turn, each count in a schema of its own. */
export async function runWorkersBench({ workerCounts = [1, 2, 4], sessions = 500, concurrency = 10 } = {}): Promise<WorkersBenchReport> {
  const postgres = await startThrowawayPostgres();
  const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
  const rows: WorkersBenchRow[] = [];
  try {
    for (const count of workerCounts) {
      const schema = `bench_workers_${count}`;
      const workers = Array.from({ length: count }, () => startWorker(postgres.connectionString, schema, concurrency));
      const client = sessionClient({ connectionString: postgres.connectionString, schema, pollIntervalMs: 100 });
      try {
        await Promise.all(workers.map((worker) => worker.ready));
        const finished = async () => {
          const { rows: found } = await pool.query<{ done: number }>(
            `SELECT count(*)::int AS done FROM "${schema}".sessions WHERE NOT (record ? 'run') AND (record->'worker'->>'appliedSeq')::int >= 1`,
          );
          return found[0]!.done;
        };
        const started = process.hrtime.bigint();
        await Promise.all(Array.from({ length: sessions }, (_, i) => client.prompt(`s${i}`, "Look up a and b.")));
        while ((await finished()) < sessions) await new Promise((resolve) => setTimeout(resolve, 10));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const last = await client.messages(`s${sessions - 1}`);
        if (last.at(-1)?.role !== "assistant" || last.filter((message) => message.role === "toolResult").length !== 2) {
          throw new Error(`workers bench: session s${sessions - 1} ended with an unexpected transcript`);
        }
        rows.push({ workers: count, sessions, seconds, sessionsPerSecond: sessions / seconds });
        process.stderr.write(`  workers  ${String(count).padEnd(2)} ${(sessions / seconds).toFixed(1)} sessions/s\n`);
      } finally {
        await client.close();
        for (const worker of workers) worker.child.stdin?.end();
        await Promise.all(workers.map((worker) => ended(worker.child)));
      }
    }
  } finally {
    await pool.end();
    await postgres.stop();
  }
  return { concurrency, cores: cpus().length, rows };
}

/** The report as text. */
export function formatWorkersReport(report: WorkersBenchReport): string {
  const lines = [
    `Workers on one Postgres: sessions completed per second (each a run of 2 turns with 2 tool calls; concurrency ${report.concurrency} per worker; ${report.cores} cores shared with Postgres)`,
    ...report.rows.map(
      (row) =>
        `  ${String(row.workers).padStart(2)} worker${row.workers === 1 ? " " : "s"}  ${row.sessionsPerSecond.toFixed(1).padStart(7)} sessions/s  (${row.sessions} in ${row.seconds.toFixed(2)} s)`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
