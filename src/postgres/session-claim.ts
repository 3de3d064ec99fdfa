/**
 * A worker's hold on one session: the {@link SessionStore} its agent
 * writes through while the worker's job for the session runs. It is the
 * fence of contract §11, built on the store's compare-and-set alone:
 *
 * - `Agent.open` writes the session as soon as it has loaded it: that write
 *   claims it (a worker that held it before can write nothing more, events
 *   included);
 * - every write names the version this claim last wrote; a refused write
 *   means another worker has the session now, and the claim is lost: every
 *   later write is refused without trying, and `onLost` stops the run;
 * - the record carries which commands it includes (`appliedSeq`), so a
 *   worker that dies before a checkpoint leaves those commands to the next.
 */
import { AgentError } from "../core/errors.js";
import type { SessionRecord, SessionStore, StoredSession } from "../session-store.js";

/** What the claim keeps in the record beside the agent's own fields. */
const WORKER_FIELD = "worker";

/** The worker's part of a record. */
export type WorkerState = {
  /** Every command numbered up to this is part of the record. */
  appliedSeq: number;
  /** Decisions of applied approve/reject commands for calls not waiting yet (they apply when the call waits). */
  decisions: Record<string, { approve: true } | { approve: false; reason?: string }>;
};

/** The worker's part of a stored record (zeros for a record no worker wrote). */
export function workerStateOf(record: SessionRecord | undefined): WorkerState {
  const state = record?.[WORKER_FIELD] as Partial<WorkerState> | undefined;
  return { appliedSeq: state?.appliedSeq ?? 0, decisions: state?.decisions ?? {} };
}

/** The claim on `sessionId`, for one job. */
export class SessionClaim implements SessionStore {
  /** The version this claim last wrote (null: the session does not exist yet; undefined: not loaded). */
  version: number | null | undefined;
  /** Why the claim was lost, once it is. */
  lost: string | undefined;
  /** The worker's part, as the next write will store it. */
  readonly state: WorkerState = { appliedSeq: 0, decisions: {} };
  /** What the last write stored of the worker's part. */
  savedAppliedSeq = 0;
  private lastRecord: SessionRecord | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: SessionStore,
    readonly sessionId: string,
    private readonly hooks: {
      /** The claim was lost: stop the run. */
      onLost(reason: string): void;
      /** Runs before each checkpoint, in write order: the run's events so far go first, so a checkpoint never outlives them. */
      beforeWrite?(): Promise<void>;
    },
  ) {}

  /** Runs `work` after every earlier write of this claim. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Marks the claim lost (idempotent); later writes are refused. */
  lose(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    this.hooks.onLost(reason);
  }

  async load(sessionId: string): Promise<StoredSession | undefined> {
    this.check(sessionId);
    const stored = await this.store.load(sessionId);
    if (!stored) {
      this.version = null;
      return undefined;
    }
    const { [WORKER_FIELD]: _worker, ...record } = stored.record;
    Object.assign(this.state, workerStateOf(stored.record));
    this.savedAppliedSeq = this.state.appliedSeq;
    this.version = stored.version;
    this.lastRecord = record;
    return { record, version: this.version };
  }

  /** `expectedVersion` is the agent's idea; the claim compares with what it last wrote itself (it writes too). */
  save(sessionId: string, record: SessionRecord, _expectedVersion: number | null): Promise<number> {
    this.check(sessionId);
    const worker: WorkerState = { appliedSeq: this.state.appliedSeq, decisions: { ...this.state.decisions } };
    return this.serial(async () => {
      await this.hooks.beforeWrite?.();
      await this.write({ ...record, [WORKER_FIELD]: worker });
      this.lastRecord = record;
      this.savedAppliedSeq = worker.appliedSeq;
      return this.version!;
    });
  }

  /** Writes the last record again with the worker's part as it is now (commands applied that changed nothing the record holds). */
  saveWorkerState(): Promise<void> {
    const record = this.lastRecord;
    if (!record) return Promise.resolve();
    return this.save(this.sessionId, record, null).then(() => undefined);
  }

  async delete(sessionId: string): Promise<void> {
    this.check(sessionId);
    await this.serial(() => this.store.delete(sessionId));
  }

  private async write(record: SessionRecord): Promise<void> {
    if (this.lost) throw new AgentError("session-conflict", `session "${this.sessionId}": this worker lost its claim (${this.lost}); it writes nothing more`);
    try {
      this.version = await this.store.save(this.sessionId, record, this.version ?? null);
    } catch (error) {
      if (error instanceof AgentError && error.code === "session-conflict") this.lose("another worker has the session now");
      throw error;
    }
  }

  private check(sessionId: string): void {
    if (sessionId !== this.sessionId) {
      throw new AgentError("invalid-input", `This worker's store holds session "${this.sessionId}", not "${sessionId}".`);
    }
  }
}
