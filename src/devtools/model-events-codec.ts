/**
 * How a recording (format 2) writes a `model.events` batch compactly and how
 * a replay reads it back exactly:
 *
 * - no event carries its `partial` message; the entry carries one patch for
 *   the batch (`partial`, see partial-patch.ts; left out when empty), since a builder hands every
 *   event of a batch the same message object; a batch whose events carry
 *   different objects gets a patch per event (`partials`) instead;
 * - a terminal event's message that is that same object is written as
 *   `{"$partial": patch}`;
 * - consecutive deltas of one block are written as one run,
 *   `{"$run":"text_delta","contentIndex":0,"deltas":["He","llo"]}`.
 */
import { isRecord } from "../core/message-checks.js";
import { PARTIAL_EVENT_TYPES } from "../core/message-checks.js";
import { applyPatch, PartialMirror, predictDelta, type PatchOp } from "./partial-patch.js";

type StreamEvent = Record<string, unknown> & { type: string };
/** A `model.events` batch as the recording holds it (format 2). */
export type RecordedBatch = { event: { type: string; events: unknown[] }; partial?: PatchOp[]; partials?: (PatchOp[] | null)[] };

const RUN_TYPES = new Set(["text_delta", "thinking_delta", "toolcall_delta"]);
const TERMINAL_FIELDS = ["message", "error"] as const;

/** A delta that a run can hold: exactly type, contentIndex, delta (and its partial). */
function runnable(event: StreamEvent): boolean {
  if (!RUN_TYPES.has(event.type) || typeof event.delta !== "string" || typeof event.contentIndex !== "number") return false;
  for (const key in event) if (key !== "type" && key !== "contentIndex" && key !== "delta" && key !== "partial") return false;
  return true;
}

/** An event of a kind that carries the streamed message, carrying it. */
function carries(event: StreamEvent): boolean {
  return PARTIAL_EVENT_TYPES.has(event.type) && "partial" in event;
}

function withoutPartial(event: StreamEvent): StreamEvent {
  const { partial: _partial, ...rest } = event;
  return rest as StreamEvent;
}

/** The recorder's side: keeps the last partial written (see {@link PartialMirror}). */
export class BatchEncoder {
  private readonly mirror = new PartialMirror();
  private last: unknown;

  /** The batch as format 2 writes it. */
  encode(batch: { type: string; events: StreamEvent[] }): RecordedBatch {
    const events = batch.events;
    // One pass: does every event that carries a partial carry the same one (the usual case)?
    let first: StreamEvent | undefined;
    let shared = true;
    for (const event of events) {
      if (!carries(event)) continue;
      if (first === undefined) first = event;
      else if (event.partial !== first.partial) shared = false;
    }
    const out: RecordedBatch = { event: { type: batch.type, events: [] } };
    if (first !== undefined && shared) {
      const ops = this.mirror.patch(events, first.partial);
      if (ops.length > 0) out.partial = ops;
      this.last = first.partial;
    } else if (first !== undefined) {
      out.partials = events.map((event) => {
        if (!carries(event)) return null;
        this.last = event.partial;
        return this.mirror.patch([event], event.partial);
      });
    }
    const written: unknown[] = out.event.events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (runnable(event) && !out.partials) {
        let end = i + 1;
        while (end < events.length && runnable(events[end]!) && events[end]!.type === event.type && events[end]!.contentIndex === event.contentIndex) end++;
        if (end - i > 1) {
          written.push({ $run: event.type, contentIndex: event.contentIndex, deltas: events.slice(i, end).map((e) => e.delta) });
          i = end - 1;
          continue;
        }
      }
      written.push(this.terminal(carries(event) ? withoutPartial(event) : event));
    }
    return out;
  }

  /** A terminal event whose message is the streamed partial: written as a patch of it. */
  private terminal(event: StreamEvent): StreamEvent {
    for (const field of TERMINAL_FIELDS) {
      const message = event[field];
      if ((event.type === "done" || event.type === "error") && isRecord(message) && message === this.last) {
        return { ...event, [field]: { $partial: this.mirror.patch([], message) } };
      }
    }
    return event;
  }
}

/** The replay's side: rebuilds each batch's events with their `partial` messages. */
export class BatchDecoder {
  private state: unknown;

  /** The `model.events` event the machine received, from its recorded form. */
  decode(recorded: RecordedBatch): { type: string; events: StreamEvent[] } {
    const events: StreamEvent[] = [];
    for (const item of recorded.event.events as StreamEvent[]) {
      if (isRecord(item) && typeof item.$run === "string" && Array.isArray(item.deltas)) {
        for (const delta of item.deltas) events.push({ type: item.$run, contentIndex: item.contentIndex, delta });
      } else events.push({ ...item });
    }
    if (!recorded.partials) {
      // One message for the whole batch: its deltas predicted, then patched (no patch: the prediction was exact).
      for (const event of events) this.state = predictDelta(this.state, event);
      if (recorded.partial) this.state = applyPatch(this.state, recorded.partial);
      for (const event of events) if (PARTIAL_EVENT_TYPES.has(event.type)) event.partial = this.state;
    }
    events.forEach((event, i) => {
      const ops = recorded.partials?.[i];
      if (ops) {
        this.state = applyPatch(predictDelta(this.state, event), ops);
        event.partial = this.state;
      }
      for (const field of TERMINAL_FIELDS) {
        const value = event[field];
        if ((event.type === "done" || event.type === "error") && isRecord(value) && Array.isArray(value.$partial) && Object.keys(value).length === 1) {
          this.state = applyPatch(this.state, value.$partial as PatchOp[]);
          event[field] = this.state;
        }
      }
    });
    return { ...recorded.event, events };
  }
}
