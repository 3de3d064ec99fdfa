/**
 * Durable sessions (contract §10): `Agent.open` loads or creates a session,
 * and a {@link SessionWriter} checkpoints the agent into its store at every
 * durable point — a run's input, each finished assistant message, each tool
 * result, a call starting (or ceasing) to wait for approval, the run's end —
 * read off the machine's snapshots by a key that no stream delta changes, so
 * a long stream costs no writes. Writes are compare-and-set on the version
 * this agent last wrote: when another writer saved the session in between
 * (another process reopened it), the save is refused and this agent stops
 * its run at once: the fence a worker that lost its claim relies on.
 *
 * A tool executes only once its call is in the store (the machine's
 * `checkpointed` barrier; an idempotent `replay: "safe"` tool need not wait),
 * so no tool runs for a call that a restart would not know of.
 */
import type { AgentActor, AgentContext, AgentMachineInput } from "../machines/agent.machine.js";
import { nextMacrotask } from "../machines/next-macrotask.js";
import { agentMachineInput } from "./agent-input.js";
import type { AgentOptions } from "./agent-options.js";
import { AgentError } from "./core/errors.js";
import type { RestoreAgentOptions } from "./persist.js";
import { resumedMachineInput, sessionRecordOf } from "./session-record.js";
import type { SessionStore } from "./session-store.js";

/** Options of `Agent.open`: the agent's functions and settings (as for `Agent.restore`) and where the session lives. */
export type OpenAgentOptions = RestoreAgentOptions & {
  /** Where the session is kept: `createFileStore(dir)`, `createMemoryStore()`, `createPostgresStore(…)`. */
  store: SessionStore;
  /**
   * How long (ms) a session with no run in flight is kept after its last
   * checkpoint; then every store treats it as gone. Default: kept until deleted.
   * A run in flight (a call waiting for approval included) never expires.
   */
  ttl?: number;
  /**
   * Called when the agent lost its session: another writer saved it since
   * this agent's last checkpoint (code "session-conflict"), or the store
   * failed (code "session-store-failed"). The run is stopped; open the session again to go on.
   */
  onLost?: (error: AgentError) => void;
};

/** What the writer needs of an agent: its actor, and a way to stop it for good. */
export type SessionAgent = { readonly actor: AgentActor; loseSession(error: AgentError): void };

/**
 * What changes at a durable point and never with a stream delta: the
 * transcript (a new array when a message enters it), results not in it yet,
 * approvals waiting, the queues.
 */
function durableKey(context: AgentContext, running: boolean): unknown[] {
  let results = 0;
  for (const result of context.batch?.results ?? []) if (result) results++;
  results -= context.batch?.announced ?? 0;
  let waiting = 0;
  for (const call of context.pendingToolCalls) if (call.status === "awaitingApproval") waiting++;
  return [running, context.messages, results, waiting, context.steeringQueue, context.followUpQueue];
}

type AgentSnapshot = ReturnType<AgentActor["getSnapshot"]>;

/** Checkpoints one agent into its session; see the module comment. */
class SessionWriter {
  private agent: SessionAgent | undefined;
  private key: unknown[] = [];
  /** The latest snapshot at a durable point: what the next write holds. */
  private latest: AgentSnapshot | undefined;
  private dirty = false;
  private saving: Promise<void> | undefined;
  /** Starts the write that waits for the next macrotask at once (someone waits for it). */
  private startNow: (() => void) | undefined;
  private lost: AgentError | undefined;
  opened = false;

  constructor(
    private readonly store: SessionStore,
    private readonly sessionId: string,
    private version: number | null,
    private readonly options: Pick<OpenAgentOptions, "ttl" | "onLost">,
  ) {}

  attach(agent: SessionAgent): void {
    this.agent = agent;
    const snapshot = agent.actor.getSnapshot();
    this.key = durableKey(snapshot.context, !snapshot.matches("idle"));
    this.latest = snapshot;
    agent.actor.subscribe((snapshot) => this.observe(snapshot));
    this.schedule(); // the first write claims the session: an older writer's next save is refused
  }

  /** Resolves once every durable point so far is in the store; rejects when the session is lost. */
  async flushed(): Promise<void> {
    await null; // after the machine step that called this, so its snapshot is seen
    if (this.agent) this.observe(this.agent.actor.getSnapshot());
    this.startNow?.();
    while (this.saving) await this.saving;
    if (this.lost) throw this.lost;
  }

  private observe(snapshot: AgentSnapshot): void {
    if (snapshot.status !== "active" || this.lost) return;
    const key = durableKey(snapshot.context, !snapshot.matches("idle"));
    if (key.every((part, index) => part === this.key[index])) return;
    this.key = key;
    this.latest = snapshot;
    this.schedule();
  }

  private schedule(): void {
    this.dirty = true;
    this.saving ??= this.drain();
  }

  /**
   * Writes the latest durable point until none is left unwritten. Points
   * that fall due in the same macrotask (parallel tool results settling
   * together) share one write, and so do points reached during a write; a
   * write something waits for (a tool's call, see flushed) starts at once.
   */
  private async drain(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.startNow = resolve;
      void nextMacrotask().then(resolve);
    });
    this.startNow = undefined;
    while (this.dirty && !this.lost) {
      this.dirty = false;
      const record = sessionRecordOf(this.latest!, this.options.ttl);
      try {
        this.version = await this.store.save(this.sessionId, record, this.version);
      } catch (error) {
        this.lose(error);
      }
    }
    this.saving = undefined;
  }

  private lose(error: unknown): void {
    const lost =
      error instanceof AgentError && error.code === "session-conflict"
        ? new AgentError(
            "session-conflict",
            `Session "${this.sessionId}" was saved by another writer (it was opened again elsewhere): this agent stopped its run. Open the session again to go on. (${error.message})`,
          )
        : new AgentError(
            "session-store-failed",
            `Saving session "${this.sessionId}" failed, so this agent stopped its run (the store keeps its last checkpoint; open the session again to go on): ${error instanceof Error ? error.message : String(error)}`,
          );
    this.lost = lost;
    this.agent!.loseSession(lost);
    if (this.opened) this.options.onLost?.(lost);
  }
}

/**
 * Opens session `sessionId` of `options.store` (see the module comment):
 * loads it and continues its run in flight, or creates it. `make` builds the
 * agent (the facade passes its constructor, so this file needs no Agent).
 * Rejects with {@link AgentError} "session-conflict" when another writer
 * saved the session while it was being opened.
 */
export async function openSession<TAgent extends SessionAgent>(
  sessionId: string,
  options: OpenAgentOptions,
  make: (options: AgentOptions, input: AgentMachineInput) => TAgent,
): Promise<TAgent> {
  const { store, ttl, onLost, ...rest } = options ?? ({} as OpenAgentOptions);
  if (typeof sessionId !== "string" || sessionId === "") {
    throw new AgentError("invalid-input", `Agent.open needs a non-empty session id; got ${JSON.stringify(sessionId)}.`);
  }
  if (!store || typeof store.load !== "function" || typeof store.save !== "function") {
    throw new AgentError(
      "invalid-input",
      "Agent.open needs { store }: createFileStore(dir), createMemoryStore() or createPostgresStore({ connectionString }).",
    );
  }
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl > 0)) {
    throw new AgentError("invalid-input", `Agent.open's ttl is ${String(ttl)}: give a positive number of milliseconds, or leave it out to keep sessions.`);
  }
  const agentOptions: AgentOptions = { ...rest, sessionId: rest.sessionId ?? sessionId };
  const stored = await store.load(sessionId);
  const writer = new SessionWriter(store, sessionId, stored?.version ?? null, { ttl, onLost });
  const input = stored ? resumedMachineInput(sessionId, stored.record, agentOptions) : agentMachineInput(agentOptions);
  // A resumed run goes on once the agent is handed over (a macrotask after open resolves), so subscribers see its events.
  let handOver!: () => void;
  const handedOver = new Promise<void>((resolve) => (handOver = resolve));
  const agent = make(agentOptions, {
    ...input,
    checkpointed: async (until) => {
      await handedOver;
      if (until === "saved") await writer.flushed();
    },
  });
  writer.attach(agent);
  await writer.flushed();
  writer.opened = true;
  void nextMacrotask().then(handOver); // setImmediate where there is one: setTimeout(0) would hold a new session's first model call 1 ms
  return agent;
}
