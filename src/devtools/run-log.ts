/**
 * The run recording format: JSON lines. The first line is a header with the
 * agent's state when recording began; every later line is an event one of the
 * run's machines received, or a reading of the machine's clock.
 *
 *   {"kind":"tinyagent-run","version":3,"t":…,"value":"idle","context":{…}}
 *   {"kind":"event","t":…,"to":"root","from":null,"event":{"type":"agent.prompt",…}}
 *   {"kind":"event","t":…,"to":"root","from":"model","event":{"type":"model.events",…},"partial":[…]}
 *   {"kind":"clock","t":…}
 *   [dt,"delta",…]
 *
 * The last form (format 3) is a stream batch that only continues the one
 * before it: see delta-lines.ts.
 *
 * Functions (tools' `execute`, the stream function, hooks) do not cross into
 * the file: tools are kept as their public description, and what the
 * functions produced is recorded as the events they caused.
 */
import { AgentError } from "../core/errors.js";
import { isRecord } from "../core/message-checks.js";
import { isCredentialField, REDACTED, redactCredentials } from "../core/redact.js";
import { toolSpec } from "../core/tools.js";
import type { AgentTool } from "../core/types.js";

/**
 * The format version this library writes. Version 2 writes stream batches
 * without each event's `partial` message (see model-events-codec.ts);
 * version 3 writes a batch that only continues the last one's deltas as a
 * terse `[dt, …deltas]` line (delta-lines.ts). Versions 1 and 2 are still read.
 */
export const RUN_LOG_VERSION = 3;
/** Every version this library reads. */
const READABLE_VERSIONS: readonly unknown[] = [1, 2, 3];

/** First line of a recording: the agent's state when recording began. */
export type RunLogHeader = { kind: "tinyagent-run"; version: number; t: number; value: unknown; context: Record<string, unknown> };

/**
 * An event a machine of the run received. `to` and `from` are actor paths:
 * "root" for the agent machine, a child's id (`tool-1-0`, `model`, `decision`),
 * or `parent/child` below that; `from` is null for events sent from outside.
 */
export type RunLogEvent = {
  kind: "event";
  t: number;
  to: string;
  from: string | null;
  event: { type: string; [key: string]: unknown };
  /** Format 2, `model.events` only: the batch's partial message as a patch (see model-events-codec.ts). */
  partial?: unknown[];
  /** Format 2, `model.events` only: a patch per event, when the batch's events carry different messages. */
  partials?: (unknown[] | null)[];
};

/** A reading of the machine's clock (see `actorNow`), in the order the machine read it. */
export type RunLogClock = { kind: "clock"; t: number };

/** One line of a recording after the header, as read (a terse delta line reads as the `RunLogEvent` it stands for). */
export type RunLogEntry = RunLogEvent | RunLogClock;

/** A recording that cannot be read or replayed; `line` is 1-based. */
export class RecordingError extends AgentError {
  constructor(
    /** The line of the recording at fault (1-based). */
    readonly line: number,
    message: string,
  ) {
    super("invalid-input", `Recording line ${line}: ${message}`);
  }
}

function isTool(value: object): value is AgentTool {
  const candidate = value as Partial<AgentTool>;
  return typeof candidate.execute === "function" && typeof candidate.name === "string" && "parameters" in candidate;
}

/** What a recording keeps of a tool: its public description and the settings the tool-call machine reads. */
function describeTool(tool: AgentTool): Record<string, unknown> {
  const rule = tool.requiresApproval;
  return {
    ...toolSpec(tool),
    label: tool.label,
    requiresApproval: typeof rule === "function" ? "function" : rule,
    timeoutMs: tool.timeoutMs,
  };
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === "function") return undefined;
  value = redactCredentials(key, value);
  if (typeof value === "number" && !Number.isFinite(value)) return { $number: String(value) };
  if (value instanceof Error) return { $error: { name: value.name, message: value.message } };
  if (value && typeof value === "object" && isTool(value)) return describeTool(value);
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record.$number === "string" && Object.keys(record).length === 1) return Number(record.$number);
    const error = record.$error as { name?: string; message?: string } | undefined;
    if (error && Object.keys(record).length === 1) {
      const revived = new Error(error.message ?? "");
      if (error.name) revived.name = error.name;
      return revived;
    }
  }
  return value;
}

/** Serialises a value as a recording does: no functions, tools described, secrets redacted. */
export function encodeRunValue(value: unknown): string {
  // Plain parts copied, special ones through the replacer, then one stringify without a replacer (V8's fast path).
  return JSON.stringify(copyAt("", value, wireForm));
}

/** What the replacer writes for `value` under `key`, as plain JSON data. */
function wireForm(key: string, value: unknown): unknown {
  const text = JSON.stringify({ [key]: value }, replacer);
  return (JSON.parse(text) as Record<string, unknown>)[key];
}

/** Reads what {@link encodeRunValue} wrote (restores non-finite numbers and errors). */
export function decodeRunValue(text: string): unknown {
  return JSON.parse(text, reviver);
}

/** A value as it reads back from a recording: the form in which live and replayed snapshots compare. */
export function normalizeRunValue<T>(value: T): T {
  const normalized = copyAt("", value, roundTrip);
  return (normalized === undefined ? null : normalized) as T;
}

/**
 * What `decodeRunValue(encodeRunValue({ [key]: value }))[key]` is, without
 * the text in between (undefined: JSON leaves it out). Plain objects, arrays
 * and primitives are copied directly — the per-event hot path of a trace —
 * and everything the replacer or reviver treats specially goes the JSON way.
 */
export function normalizeRunField(key: string, value: unknown): unknown {
  return copyAt(key, value, roundTrip);
}

/** `value` under `key` with plain parts copied as they are and every other part made by `special`. */
function copyAt(key: string, value: unknown, special: (key: string, value: unknown) => unknown): unknown {
  switch (typeof value) {
    case "string":
      return isCredentialField(key) && value !== REDACTED ? special(key, value) : value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : special(key, value);
    case "boolean":
      return value;
    case "undefined":
    case "function":
      return undefined;
    case "object":
      if (value === null) return null;
      if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          // Index keys never meet a rule of the replacer (they only look at names): one key for all.
          const item = copyAt("0", value[i], special);
          out[i] = item === undefined ? null : item;
        }
        return out;
      }
      if (isCopyable(key, value)) {
        const out: Record<string, unknown> = {};
        for (const name of Object.keys(value)) {
          const item = copyAt(name, (value as Record<string, unknown>)[name], special);
          if (item !== undefined) out[name] = item;
        }
        return out;
      }
      return special(key, value);
    default:
      return special(key, value);
  }
}

/** A plain object the replacer and reviver leave as it is (no toJSON, not a tool or an error, no `$number`/`$error` key, not a headers map). */
function isCopyable(key: string, value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || key === "headers") return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.toJSON !== "function" &&
    typeof record.execute !== "function" &&
    !("$number" in record) &&
    !("$error" in record) &&
    !Object.hasOwn(record, "__proto__")
  );
}

function roundTrip(key: string, value: unknown): unknown {
  const text = encodeRunValue({ [key]: value });
  return (decodeRunValue(text) as Record<string, unknown>)[key];
}

/** Splits a recording's text into lines, dropping a trailing empty line. */
export function splitRunLog(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Parses and checks a recording's header (line 1). */
export function parseRunHeader(line: string | undefined): RunLogHeader {
  if (line === undefined || line.trim() === "") throw new RecordingError(1, "the recording is empty; expected a tinyagent-run header.");
  const header = parseLine(line, 1);
  if (header.kind !== "tinyagent-run") {
    throw new RecordingError(1, `expected a header with "kind":"tinyagent-run", got ${JSON.stringify(header.kind)}. Is this a tinyagent recording?`);
  }
  if (!READABLE_VERSIONS.includes(header.version)) {
    throw new RecordingError(
      1,
      `unsupported recording version ${JSON.stringify(header.version)}; this tinyagent reads versions ${READABLE_VERSIONS.slice(0, -1).join(", ")} and ${READABLE_VERSIONS.at(-1)}.`,
    );
  }
  if (!isRecord(header.context) || typeof header.t !== "number") {
    throw new RecordingError(1, "the header lacks the agent's starting context or its time (t).");
  }
  return header as unknown as RunLogHeader;
}

/** Parses and checks one line after the header; `lineNumber` is 1-based, for errors. */
export function parseRunEntry(line: string, lineNumber: number): RunLogEntry {
  const entry = parseLine(line, lineNumber);
  if (typeof entry.t !== "number") throw new RecordingError(lineNumber, `the entry has no time "t": ${preview(line)}`);
  if (entry.kind === "clock") return entry as unknown as RunLogClock;
  if (entry.kind !== "event") {
    throw new RecordingError(lineNumber, `unknown entry kind ${JSON.stringify(entry.kind)}; expected "event" or "clock".`);
  }
  const event = entry.event;
  if (!isRecord(event) || typeof event.type !== "string" || typeof entry.to !== "string") {
    throw new RecordingError(lineNumber, `an event entry needs "to" and an "event" with a "type": ${preview(line)}`);
  }
  return entry as unknown as RunLogEvent;
}

/**
 * Decodes one line of a recording, any of its forms (`lineNumber` is 1-based,
 * for errors): the one JSON decode of the header, entries and terse delta
 * lines, so a line that is not JSON reads the same error in every form.
 */
export function decodeRunLine(line: string, lineNumber: number): unknown {
  try {
    return decodeRunValue(line);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new RecordingError(lineNumber, `not valid JSON (${why}); the file may be truncated: ${preview(line)}`);
  }
}

function parseLine(line: string, lineNumber: number): Record<string, unknown> {
  const value = decodeRunLine(line, lineNumber);
  if (!isRecord(value)) throw new RecordingError(lineNumber, `expected a JSON object, got ${preview(line)}`);
  return value;
}

function preview(line: string): string {
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}
