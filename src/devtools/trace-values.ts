/**
 * Normalising a run's snapshots and events (as a recording reads them back,
 * see `normalizeRunValue`) at a cost per step that does not grow with the
 * transcript: a message that entered the transcript no longer changes, so it
 * is normalised once and shared by every later step; a context field that is
 * the same object as at the previous step keeps its normalised value; within
 * one step the streaming message is normalised once, however many events carry it.
 * What is still normalised at every step is what changes in place: the
 * streaming message and the current tool batch.
 * Steps share these values: treat a step as read-only.
 */
import { normalizeRunField } from "./run-log.js";

/** Context fields the machine changes in place (draft.ts): normalised afresh at every step. */
const CHANGED_IN_PLACE = new Set(["streamMessage", "batch"]);
/** Fields of events and batches that hold messages. */
const MESSAGE_FIELDS = new Set(["message", "partial", "turnMessage"]);
const MESSAGE_LIST_FIELDS = new Set(["messages", "toolResults"]);

/** `value` under `key`, normalised as a recording would (the replacer's rules depend on the key); undefined when JSON drops it. */
function field(key: string, value: unknown): unknown {
  return normalizeRunField(key, value);
}

/** One traced run's normaliser; see the module comment. */
export class TraceValues {
  /** Messages of the transcript, by identity. */
  private readonly settled = new WeakMap<object, unknown>();
  /** Values normalised during the current step (the streaming message, shared by all its events). */
  private step = new Map<object, unknown>();
  private previous: { raw: Record<string, unknown>; normalized: Record<string, unknown> } | undefined;

  /** Starts a new step: in-place values are normalised again from here. */
  nextStep(): void {
    this.step = new Map();
  }

  /** The agent context, normalised. */
  context(raw: Record<string, unknown>): Record<string, unknown> {
    const normalized: Record<string, unknown> = {};
    const previous = this.previous;
    for (const key of Object.keys(raw)) {
      const value = raw[key];
      if (previous && key in previous.raw && previous.raw[key] === value && !CHANGED_IN_PLACE.has(key)) {
        if (key in previous.normalized) normalized[key] = previous.normalized[key];
        continue;
      }
      if (key === "messages" && Array.isArray(value)) normalized[key] = value.map((message) => this.settle(message));
      else if (key === "batch" && value && typeof value === "object") normalized[key] = this.batch(value as Record<string, unknown>);
      else if (key === "streamMessage") this.put(normalized, key, this.message(value));
      else if (key === "turnMessage") this.put(normalized, key, this.settle(value));
      else this.put(normalized, key, field(key, value));
    }
    this.previous = { raw, normalized };
    return normalized;
  }

  /** An emitted agent event (or a stream event inside one), normalised. */
  event<T extends object>(raw: T): T {
    return this.record(raw as Record<string, unknown>) as T;
  }

  /** The turn's tool batch: its message, calls and results no longer change (its counters do). */
  private batch(raw: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(raw)) {
      const value = raw[key];
      if (key === "message") this.put(out, key, this.settle(value));
      else if ((key === "calls" || key === "results") && Array.isArray(value)) out[key] = value.map((item) => this.settle(item));
      else this.put(out, key, field(key, value));
    }
    return out;
  }

  /** A record whose message fields go through the caches; other fields normalised as they are. */
  private record(raw: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(raw)) {
      const value = raw[key];
      if (MESSAGE_FIELDS.has(key) && value && typeof value === "object") out[key] = this.message(value);
      else if (MESSAGE_LIST_FIELDS.has(key) && Array.isArray(value))
        out[key] = value.map((item) => (item && typeof item === "object" ? this.message(item) : (field("0", item) ?? null)));
      else if (key === "assistantMessageEvent" && value && typeof value === "object") out[key] = this.record(value as Record<string, unknown>);
      else this.put(out, key, field(key, value));
    }
    return out;
  }

  /** A transcript message: normalised once, then shared. */
  private settle(message: unknown): unknown {
    if (!message || typeof message !== "object") return field("0", message) ?? null;
    let value = this.settled.get(message);
    if (value === undefined) {
      value = this.step.get(message) ?? field("0", message);
      this.settled.set(message, value);
    }
    return value;
  }

  /** A message that may still change (the streaming one): from the transcript cache, else once per step. */
  private message(message: unknown): unknown {
    if (!message || typeof message !== "object") return field("message", message);
    const settled = this.settled.get(message);
    if (settled !== undefined) return settled;
    let value = this.step.get(message);
    if (value === undefined) {
      value = field("0", message);
      this.step.set(message, value);
    }
    return value;
  }

  private put(target: Record<string, unknown>, key: string, value: unknown): void {
    if (value !== undefined) target[key] = value;
  }
}
