/**
 * The job engine under the workers (contract §11): pg-boss 9, the one file
 * that talks to it. A job means "advance session X"; its singletonKey is
 * the session id, and pg-boss keeps at most one job per key queued or
 * active, so at most one worker holds a session. pg-boss does the
 * queueing, claiming, retrying and dead-worker detection (an active job
 * whose worker stopped answering expires and is retried by another
 * worker); tinyagent adds no queue, lease or heartbeat of its own.
 *
 * Why pg-boss 9: pg-boss 10's queue policies let a queued job sit beside
 * the active one of the same key, and its fetch then fails for the whole
 * queue until that job ends; pg-boss 11 and 12 need Node 22; graphile-worker
 * (0.17, the last for Node 20) unlocks a crashed worker's jobs only after
 * four hours.
 *
 * The job handler's outcome is pg-boss's to record: resolving completes the
 * job, throwing fails it (to be retried). Nothing here completes or fails a
 * job by id, since a retried job keeps its id and may be another worker's by then.
 */
import PgBoss from "pg-boss";
import type pg from "pg";

/** The queue of session jobs. */
const QUEUE = "tinyagent-session";

/** How jobs are claimed, retried and polled; sessionClient and the workers must agree on the job fields. */
export type JobOptions = {
  /**
   * How long a worker holds a session per job, in seconds (default 900):
   * when it has not finished by then (or died), another worker takes the
   * session over. Make it longer than your longest model call plus tool batch.
   */
  claimTimeoutSeconds?: number;
  /** How often a worker with nothing to do looks for jobs, in ms (default 500, at least 100). */
  pollIntervalMs?: number;
  /** How often expired claims are found, in seconds (default 60, at least 1). */
  maintenanceIntervalSeconds?: number;
  /** How many times a session's job is retried after its worker died or failed (default 50). */
  retryLimit?: number;
  /** Seconds before a retry (default 0: another worker takes over at once). */
  retryDelaySeconds?: number;
};

/** The job data: which session to advance. */
export type SessionJob = { sessionId: string };

/** pg-boss, started on a pool of ours (so closing waits for its last queries). */
export type JobEngine = {
  /** Queues a job for the session unless one is queued or active already. */
  wake(sessionId: string): Promise<void>;
  /**
   * Runs `handler` for up to `concurrency` session jobs at a time, and
   * `settled` after each job once pg-boss has recorded its outcome
   * (`completed`: false when the job failed for good, retries used up).
   */
  work(concurrency: number, handler: (job: SessionJob) => Promise<void>, settled: (job: SessionJob, completed: boolean) => Promise<void>): Promise<void>;
  /**
   * Expires the claims of jobs whose worker stopped answering, so another worker retries them.
   * pg-boss 9 runs this in its maintenance, itself a singleton job with a 15-minute expiry: a
   * worker SIGKILLed while holding that job stops every claim from expiring until then, so
   * workers also call this on their own timer (pg-boss takes an advisory lock for it).
   */
  expireClaims(): Promise<void>;
  /** Stops taking new jobs (running handlers go on). */
  pause(): Promise<void>;
  /** Stops pg-boss and waits for its last queries. */
  stop(): Promise<void>;
};

/** Starts pg-boss in `schema` on `pool`; `supervise` for workers (they expire dead workers' claims). */
export async function startJobEngine(pool: pg.Pool, schema: string, options: JobOptions, supervise: boolean): Promise<JobEngine> {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const db: PgBoss.Db = {
    async executeSql(text, values) {
      inFlight++;
      try {
        const result = await pool.query(text, values);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      } finally {
        if (--inFlight === 0) idle?.();
      }
    },
  };
  const boss = new PgBoss({
    db,
    schema,
    noScheduling: true,
    noSupervisor: !supervise,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
    newJobCheckInterval: Math.max(100, options.pollIntervalMs ?? 500),
  });
  boss.on("error", (error) => console.error("tinyagent/postgres: job engine:", error));
  // pg-boss 9 creates its schema on start but not safely when processes start together: take turns.
  const lock = await pool.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext($1))", [`tinyagent-jobs:${schema}`]);
    await boss.start();
  } finally {
    await lock.query("SELECT pg_advisory_unlock(hashtext($1))", [`tinyagent-jobs:${schema}`]).catch(() => undefined);
    lock.release();
  }
  const sendOptions: PgBoss.SendOptions = {
    expireInSeconds: Math.max(1, Math.round(options.claimTimeoutSeconds ?? 900)),
    retryLimit: options.retryLimit ?? 50,
    retryDelay: options.retryDelaySeconds ?? 0,
    onComplete: true,
  };
  const quiet = async () => {
    // pg-boss records a job's outcome after its handler settles: wait for those queries.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
  };
  return {
    async wake(sessionId) {
      await boss.send(QUEUE, { sessionId } satisfies SessionJob, { ...sendOptions, singletonKey: sessionId });
    },
    async work(concurrency, handler, settled) {
      const team = { teamSize: concurrency, teamConcurrency: concurrency, teamRefill: true, newJobCheckInterval: Math.max(100, options.pollIntervalMs ?? 500) };
      await boss.work<SessionJob>(QUEUE, team, (job) => handler(job.data));
      // The completion job pg-boss writes with each outcome, in the same statement: see agent-worker.ts for why.
      await boss.onComplete(QUEUE, team, (job: { data: { request: { data: SessionJob }; state: string } }) =>
        settled(job.data.request.data, job.data.state === "completed"),
      );
    },
    expireClaims() {
      return (boss as unknown as { expire(): Promise<void> }).expire();
    },
    async pause() {
      await boss.offWork(QUEUE);
    },
    async stop() {
      await boss.stop({ graceful: false });
      await quiet();
    },
  };
}
