/**
 * `sessionClient` (contract §11): drives sessions from any process. Each
 * call queues a command for the session and a job for the engine (one per
 * session at a time: a session that is being advanced picks the command up
 * through LISTEN/NOTIFY). `events` follows the session's event history
 * from whichever worker writes it, so a client that reconnects with
 * `after` gets what it missed.
 */
import pg from "pg";
import { promptMessages, type PromptInput } from "../agent-input.js";
import { AgentError } from "../core/errors.js";
import type { AgentEvent, AgentMessage } from "../core/types.js";
import type { WorkerConnectionOptions } from "./agent-worker.js";
import { followEvents, type Wakeup } from "./event-log.js";
import { startJobEngine, type JobEngine } from "./job-engine.js";
import { NoticeBoard } from "./notifications.js";
import { createPostgresStore } from "./postgres-store.js";
import { migrate, tablesOf } from "./schema.js";
import { sessionProgress } from "./retention.js";
import { lastCommandSeq, queueCommand, type SessionCommand } from "./session-commands.js";
import { recordMessages } from "./session-record.js";

/** Options of {@link SessionClient.events}. */
export type SessionEventsOptions = {
  /** How many of the session's events you have seen: event n is the session's n-th (default 0: from the start). */
  after?: number;
  /** Ends the iteration. */
  signal?: AbortSignal;
};

/** Drives sessions served by workers; see {@link sessionClient}. */
export type SessionClient = {
  /** Queues a prompt; one that reaches a session during a run joins that run as follow-up messages. */
  prompt(sessionId: string, input: PromptInput): Promise<void>;
  /** Queues a steering message for the session's run. */
  steer(sessionId: string, message: string | AgentMessage): Promise<void>;
  /** Queues a follow-up message. */
  followUp(sessionId: string, message: string | AgentMessage): Promise<void>;
  /** Queues an abort of the session's run. */
  abort(sessionId: string): Promise<void>;
  /** Queues the approval of a tool call waiting for it. */
  approve(sessionId: string, toolCallId: string): Promise<void>;
  /** Queues the rejection of a tool call waiting for approval. */
  reject(sessionId: string, toolCallId: string, reason?: string): Promise<void>;
  /** The session's AgentEvents after `options.after`, as they are written; ends with `options.signal`. */
  events(sessionId: string, options?: SessionEventsOptions): AsyncIterable<AgentEvent>;
  /** Resolves when the session has no run active and no command waiting. */
  waitForIdle(sessionId: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** The session's transcript as last written. */
  messages(sessionId: string): Promise<AgentMessage[]>;
  /** Disconnects. */
  close(): Promise<void>;
};

/**
 * A client for sessions that workers ({@link startAgentWorker}) advance.
 * @example
 * const client = sessionClient({ connectionString });
 * await client.prompt("user-42", "Summarise my inbox");
 * for await (const event of client.events("user-42")) if (event.type === "agent_end") break;
 */
export function sessionClient(options: WorkerConnectionOptions): SessionClient {
  if (!options?.connectionString) {
    throw new TypeError("sessionClient needs { connectionString } (postgres://user@host:5432/db), the one its workers use.");
  }
  const schemaName = options.schema ?? "tinyagent";
  const tables = tablesOf(schemaName);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
  pool.on("error", () => undefined);
  const store = createPostgresStore({ pool, schema: schemaName });
  const notices = new NoticeBoard(options.connectionString, tables);
  let engine: Promise<JobEngine> | undefined;
  const ready = () =>
    (engine ??= migrate(pool, schemaName)
      .then(() => startJobEngine(pool, `${schemaName}_jobs`, options, false))
      .catch((error: unknown) => {
        engine = undefined;
        throw error;
      }));
  const pollMs = Math.max(100, options.pollIntervalMs ?? 500);

  const send = async (sessionId: string, command: SessionCommand) => {
    checkSessionId(sessionId);
    const jobs = await ready();
    await queueCommand(pool, tables, sessionId, command);
    await jobs.wake(sessionId);
  };

  /** A wake-up on every notice about the session, and at least every `pollMs` (the settled notice has no guarantee). */
  const wakeupFor = async (sessionId: string, signal: AbortSignal | undefined) => {
    let count = 0;
    let seen = 0;
    let resume: (() => void) | undefined;
    const unsubscribe = await notices.subscribe(sessionId, () => {
      count++;
      resume?.();
    });
    const wakeup: Wakeup = {
      arm: () => void (seen = count),
      wait: () =>
        new Promise<boolean>((resolve) => {
          if (signal?.aborted) return resolve(false);
          if (count !== seen) return resolve(true);
          const done = (more: boolean) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            resume = undefined;
            resolve(more);
          };
          const onAbort = () => done(false);
          const timer = setTimeout(() => done(true), pollMs);
          signal?.addEventListener("abort", onAbort);
          resume = () => done(true);
        }),
    };
    return { wakeup, unsubscribe };
  };

  return {
    prompt: (sessionId, input) => send(sessionId, { type: "prompt", messages: promptMessages(input) }),
    steer: (sessionId, message) => send(sessionId, { type: "steer", message: promptMessages(message)[0]! }),
    followUp: (sessionId, message) => send(sessionId, { type: "followUp", message: promptMessages(message)[0]! }),
    abort: (sessionId) => send(sessionId, { type: "abort" }),
    approve: (sessionId, toolCallId) => send(sessionId, { type: "approve", toolCallId: checkToolCallId(toolCallId) }),
    reject: (sessionId, toolCallId, reason) =>
      send(
        sessionId,
        reason === undefined
          ? { type: "reject", toolCallId: checkToolCallId(toolCallId) }
          : { type: "reject", toolCallId: checkToolCallId(toolCallId), reason },
      ),

    events(sessionId, { after = 0, signal } = {}) {
      checkSessionId(sessionId);
      if (!Number.isInteger(after) || after < 0) {
        throw new AgentError("invalid-input", `events(): "after" is how many events you have seen, a whole number >= 0; got ${String(after)}.`);
      }
      return {
        async *[Symbol.asyncIterator]() {
          await ready();
          const { wakeup, unsubscribe } = await wakeupFor(sessionId, signal);
          try {
            yield* followEvents(pool, tables, sessionId, after, wakeup);
          } finally {
            unsubscribe();
          }
        },
      };
    },

    async waitForIdle(sessionId, { signal } = {}) {
      checkSessionId(sessionId);
      await ready();
      const { wakeup, unsubscribe } = await wakeupFor(sessionId, signal);
      try {
        for (;;) {
          wakeup.arm();
          // Read expired or not: a session that expired at its run's end is idle, its commands applied.
          const { appliedSeq, runInFlight } = await sessionProgress(pool, tables, sessionId);
          const pending = (await lastCommandSeq(pool, tables, sessionId)) > appliedSeq;
          if (!pending && !runInFlight) return;
          if (!(await wakeup.wait())) throw new AgentError("invalid-input", `waitForIdle("${sessionId}") was aborted by its signal.`);
        }
      } finally {
        unsubscribe();
      }
    },

    async messages(sessionId) {
      checkSessionId(sessionId);
      await ready();
      const record = (await store.load(sessionId))?.record;
      return record ? recordMessages(record) : [];
    },

    async close() {
      await notices.close();
      await (await engine?.catch(() => undefined))?.stop();
      await pool.end();
    },
  };
}

function checkSessionId(sessionId: string): void {
  if (typeof sessionId !== "string" || sessionId.length === 0) {
    throw new AgentError("invalid-input", `A session id is a non-empty string; got ${JSON.stringify(sessionId)}.`);
  }
}

function checkToolCallId(toolCallId: string): string {
  if (typeof toolCallId !== "string" || toolCallId.length === 0) {
    throw new AgentError("invalid-input", `A tool call id is a non-empty string (from a tool_execution_start event); got ${JSON.stringify(toolCallId)}.`);
  }
  return toolCallId;
}
