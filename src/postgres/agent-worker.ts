/**
 * `startAgentWorker` (contract §11): a process that advances sessions for
 * whoever queued commands for them, many such processes on one Postgres.
 * The job engine (job-engine.ts) hands each session to one worker at a
 * time; the session's claim (session-claim.ts) fences a worker that lost
 * it; the run itself is session-run.ts.
 */
import pg from "pg";
import type { AgentOptions } from "../agent-options.js";
import { startJobEngine, type JobOptions } from "./job-engine.js";
import { NoticeBoard, noticePayload } from "./notifications.js";
import { createPostgresStore } from "./postgres-store.js";
import { sessionProgress, sweepExpiredSessions } from "./retention.js";
import { migrate, tablesOf } from "./schema.js";
import { lastCommandSeq } from "./session-commands.js";
import { runSession } from "./session-run.js";

/** Where a worker or client connects, and how jobs behave (both sides must agree on `schema` and the job options). */
export type WorkerConnectionOptions = JobOptions & {
  /** A libpq connection string: `postgres://user@host:5432/db`. */
  connectionString: string;
  /** The Postgres schema of tinyagent's tables (default "tinyagent"); the job engine's is `<schema>_jobs`. */
  schema?: string;
};

/** Options of {@link startAgentWorker}. */
export type AgentWorkerOptions = WorkerConnectionOptions & {
  /**
   * The agent options for a session: model, tools, stream function, hooks
   * (the store is the worker's). Called each time the worker takes the
   * session up; the same for every worker, so a session resumes anywhere.
   */
  agent: (sessionId: string) => AgentOptions | Promise<AgentOptions>;
  /** Sessions advanced at once by this worker (default 10). */
  concurrency?: number;
  /** How long (ms) a session with no run in flight is kept after its last checkpoint (`Agent.open`'s ttl); default: until deleted. */
  ttl?: number;
};

/** A running worker. */
export type AgentWorker = {
  /** Stops taking sessions, hands the ones it holds back (unwritten work is redone by the next worker, as after a crash) and disconnects. */
  close(): Promise<void>;
};

/**
 * Starts a worker: it takes sessions with queued commands from the job
 * engine, up to `concurrency` at a time, and advances each until it is
 * idle or waiting for approval.
 * @example
 * const worker = await startAgentWorker({ connectionString, agent: () => ({ model, tools }) });
 * process.on("SIGTERM", () => worker.close());
 */
export async function startAgentWorker(options: AgentWorkerOptions): Promise<AgentWorker> {
  if (typeof options.agent !== "function") {
    throw new TypeError("startAgentWorker needs { agent: (sessionId) => AgentOptions }: the model, tools and stream function for a session.");
  }
  const schemaName = options.schema ?? "tinyagent";
  const tables = tablesOf(schemaName);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: (options.concurrency ?? 10) + 4 });
  pool.on("error", () => undefined); // an idle client's lost connection: the next query reconnects
  await migrate(pool, schemaName);
  const store = createPostgresStore({ pool, schema: schemaName });
  const notices = new NoticeBoard(options.connectionString, tables);
  const engine = await startJobEngine(pool, `${schemaName}_jobs`, options, true);
  const closing = new AbortController();
  const running = new Set<Promise<unknown>>();
  const claimMs = Math.max(500, Math.round((options.claimTimeoutSeconds ?? 900) * 1000) - 1000);
  const context = { pool, tables, store, notices, agentOptions: options.agent, claimMs, ttl: options.ttl };

  await engine.work(
    options.concurrency ?? 10,
    async ({ sessionId }) => {
      const run = runSession(context, sessionId, closing.signal);
      running.add(run);
      try {
        await run;
      } finally {
        running.delete(run);
      }
    },
    // After each job, once pg-boss has recorded it: a command queued while the job was ending found
    // the job still active (so no new job was queued for it); queue one now.
    async ({ sessionId }, completed) => {
      const { appliedSeq } = await sessionProgress(pool, tables, sessionId);
      if (completed && (await lastCommandSeq(pool, tables, sessionId)) > appliedSeq) await engine.wake(sessionId);
      await pool.query("SELECT pg_notify($1, $2)", [tables.channel, noticePayload({ kind: "settled", sessionId })]);
    },
  );

  // Every maintenance interval (any worker may do it): dead workers' claims expire (see expireClaims),
  // and expired sessions go with their history (retention).
  const maintenance = setInterval(
    () => {
      void engine.expireClaims().catch(() => undefined);
      void sweepExpiredSessions(pool, tables).catch(() => undefined);
    },
    Math.max(1, options.maintenanceIntervalSeconds ?? 60) * 1000,
  );
  maintenance.unref();

  let closed: Promise<void> | undefined;
  return {
    close() {
      return (closed ??= (async () => {
        clearInterval(maintenance);
        await engine.pause();
        closing.abort();
        await Promise.allSettled([...running]);
        await engine.stop();
        await notices.close();
        await pool.end();
      })());
    },
  };
}
