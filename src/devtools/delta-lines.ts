/**
 * Format 3's terse line for the commonest entry of a recording: a stream
 * batch that only continues the text (or thinking, or tool arguments) of the
 * batch before it, as a slow model sends one delta per network read.
 *
 *   [dt, "delta", "delta", …]
 *
 * stands for a `model.events` event from and to the same actors as the last
 * `model.events` line, at the previous line's time + dt, whose events are
 * deltas of the same type and content block as that line's last event, with
 * no patch (the builder's appends were predicted exactly). Written in full,
 * such a line is ~150 bytes of envelope per delta: a 16 KB reply in 4-character
 * deltas made a 670 KB recording; tersely, about 12 bytes per delta.
 */
import { RecordingError, decodeRunLine, parseRunEntry, type RunLogEntry, type RunLogEvent } from "./run-log.js";

/** The delta events an entry continues, and where its batches go. */
type Continued = { to: string; from: string | null; type: string; contentIndex: number };
type Item = { type?: unknown; $run?: unknown; contentIndex?: unknown; delta?: unknown; deltas?: unknown };

/** The recording's lines in order, on both sides: the writer's terse lines and the reader's entries. */
export class DeltaLines {
  private continued: Continued | undefined;

  constructor(
    /** The time of the previous line (the header's, to begin with). */
    private t: number,
  ) {}

  /** The terse line for `entry` (in its recorded form), or undefined to write it in full. Call for every entry, in order. */
  write(entry: RunLogEntry & { partial?: unknown; partials?: unknown }): string | undefined {
    const deltas = this.continuing(entry);
    const line = deltas && entry.partial === undefined && entry.partials === undefined ? JSON.stringify([entry.t - this.t, ...deltas]) : undefined;
    this.seen(entry);
    return line;
  }

  /** The entry a line (after the header) stands for; `lineNumber` is 1-based, for errors. */
  read(line: string, lineNumber: number): RunLogEntry {
    if (!line.startsWith("[")) {
      const entry = parseRunEntry(line, lineNumber);
      this.seen(entry);
      return entry;
    }
    const value = decodeRunLine(line, lineNumber);
    const [dt, ...deltas] = Array.isArray(value) ? value : [];
    if (typeof dt !== "number" || deltas.length === 0 || !deltas.every((delta) => typeof delta === "string")) {
      throw new RecordingError(lineNumber, 'a delta line must be [dt, "delta", …]: a number, then one or more strings.');
    }
    const continued = this.continued;
    if (!continued) throw new RecordingError(lineNumber, "a delta line continues a stream batch, but no model.events line with a delta comes before it.");
    const { type, contentIndex } = continued;
    const events = deltas.length === 1 ? [{ type, contentIndex, delta: deltas[0] }] : [{ $run: type, contentIndex, deltas }];
    const entry: RunLogEvent = { kind: "event", t: this.t + dt, to: continued.to, from: continued.from, event: { type: "model.events", events } };
    this.seen(entry);
    return entry;
  }

  /** The deltas of `entry` when it only continues the last batch's block. */
  private continuing(entry: RunLogEntry): string[] | undefined {
    const continued = this.continued;
    if (!continued || entry.kind !== "event" || entry.to !== continued.to || entry.from !== continued.from) return undefined;
    const events = (entry.event as { events?: unknown }).events;
    if (entry.event.type !== "model.events" || !Array.isArray(events) || events.length !== 1) return undefined;
    const item = events[0] as Item;
    if (item.contentIndex !== continued.contentIndex || Object.keys(item).length !== 3) return undefined;
    if (item.type === continued.type && typeof item.delta === "string") return [item.delta];
    if (item.$run === continued.type && Array.isArray(item.deltas) && item.deltas.every((delta) => typeof delta === "string")) return item.deltas;
    return undefined;
  }

  private seen(entry: RunLogEntry): void {
    this.t = entry.t;
    if (entry.kind !== "event" || entry.event.type !== "model.events") return;
    const events = (entry.event as { events?: unknown }).events;
    const last = (Array.isArray(events) ? events.at(-1) : undefined) as Item | undefined;
    const type = last?.$run ?? last?.type;
    this.continued =
      typeof type === "string" && type.endsWith("_delta") && typeof last?.contentIndex === "number"
        ? { to: entry.to, from: entry.from, type, contentIndex: last.contentIndex }
        : undefined;
  }
}
