/**
 * One served session: its agent, the numbered frames of its event stream and
 * a bounded replay ring of them. Every AgentEvent becomes a frame (serialised
 * once, shared by every client); so does every change the events do not
 * tell (state value, tags, `can()`, approval status, usage, error), and a
 * transcript replaced between runs (a `snapshot` frame). A client that
 * reconnects with the id of the last frame it saw gets the frames after it
 * from the ring, or a fresh snapshot when they are no longer there.
 */
import type { Agent } from "../agent.js";
import { statusOf, toWireEvent, type WireDelta, type WireEventName, type WireSnapshot, type WireStatus } from "../agent-wire.js";
import type { AgentEvent } from "../core/types.js";

/** One numbered event of a session's stream. */
export type Frame = {
  seq: number;
  name: WireEventName;
  data: unknown;
  /** The `data:` JSON, serialised once. */
  json: string;
  /** Set on a delta `message_update`, so a congested writer can merge consecutive ones. */
  delta?: WireDelta;
};

/** Bounds of a session's replay ring. */
export type ReplayLimits = { maxFrames: number; maxBytes: number };

/** A session's stream: frames in order, replayable after an id. */
export class SessionHub {
  /** Identifies this hub's numbering: ids from another process (or an evicted hub) never match. */
  readonly epoch: string = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  private seq = 0;
  private readonly ring: Frame[] = [];
  private ringBytes = 0;
  private readonly listeners = new Set<(frame: Frame) => void>();
  private lastStatusKey = "";
  private lastMessages: readonly unknown[];
  private sawMessageEnd = false;
  private readonly stop: () => void;

  constructor(
    readonly agent: Agent,
    private readonly limits: ReplayLimits,
  ) {
    this.lastMessages = agent.actor.getSnapshot().context.messages;
    this.lastStatusKey = statusKey(statusOf(agent.actor.getSnapshot()));
    const unsubscribe = agent.subscribe((event) => this.onEvent(event));
    const subscription = agent.actor.subscribe(() => this.onSnapshot());
    this.stop = () => {
      unsubscribe();
      subscription.unsubscribe();
    };
  }

  /** Streams open on this session. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The id of the newest frame (what a snapshot taken now is up to date with). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Everything a client mirrors, as of now (after frame {@link lastSeq}). */
  snapshot(): WireSnapshot {
    const snapshot = this.agent.actor.getSnapshot();
    return { ...statusOf(snapshot), messages: snapshot.context.messages, streamMessage: snapshot.context.streamMessage };
  }

  /**
   * The frames after `seq`, or undefined when some of them have left the ring
   * (or `seq` is not one of ours): then the client needs a snapshot.
   */
  framesAfter(seq: number): Frame[] | undefined {
    if (!Number.isInteger(seq) || seq > this.seq) return undefined;
    const first = this.ring[0]?.seq ?? this.seq + 1;
    if (seq < first - 1) return undefined;
    return this.ring.slice(seq - first + 1);
  }

  /** Calls `listener` with every new frame; returns the function that stops it. */
  listen(listener: (frame: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the agent. */
  close(): void {
    this.stop();
    this.listeners.clear();
  }

  private onEvent(event: AgentEvent): void {
    if (event.type === "message_end") this.sawMessageEnd = true;
    const data = toWireEvent(event);
    this.push("agent", data, data.type === "message_update" && "delta" in data.update ? data.update : undefined);
  }

  /** After each machine step (its events already relayed): what changed that no event told. */
  private onSnapshot(): void {
    const snapshot = this.agent.actor.getSnapshot();
    const messages = snapshot.context.messages;
    if (messages !== this.lastMessages && !this.sawMessageEnd) {
      // replaceMessages / reset / appendMessage between runs: the client starts over from the whole state.
      const full = this.snapshot();
      this.lastStatusKey = statusKey(full);
      this.push("snapshot", full);
    } else {
      const status = statusOf(snapshot);
      const key = statusKey(status);
      if (key !== this.lastStatusKey) {
        this.lastStatusKey = key;
        this.push("status", status);
      }
    }
    this.lastMessages = messages;
    this.sawMessageEnd = false;
  }

  private push(name: WireEventName, data: unknown, delta?: WireDelta): void {
    const frame: Frame = { seq: ++this.seq, name, data, json: JSON.stringify(data) };
    if (delta) frame.delta = delta;
    this.ring.push(frame);
    this.ringBytes += frame.json.length;
    while (this.ring.length > this.limits.maxFrames || (this.ringBytes > this.limits.maxBytes && this.ring.length > 1)) {
      this.ringBytes -= this.ring.shift()!.json.length;
    }
    for (const listener of this.listeners) listener(frame);
  }
}

/** What a status frame is sent for: everything but tool progress (which `tool_execution_update` carries). */
function statusKey(status: WireStatus): string {
  const calls = status.pendingToolCalls.map((call) => `${call.toolCallId}:${call.status}`).join(",");
  return JSON.stringify([status.value, status.tags, status.can, calls, status.usage, status.error ?? null]);
}
