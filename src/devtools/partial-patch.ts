/**
 * How a recording (format 2) keeps a stream's `partial` message without
 * writing it out at every event: as a patch against the previous one. The
 * recorder keeps a mirror (the partial as it reads back from a recording),
 * predicts each text/thinking delta's append to it, and writes only what the
 * prediction missed; the replay applies the same prediction and patch to a
 * copy. A builder appends in place, so a patch is usually empty and the
 * recording grows with the deltas, not with the message times the deltas.
 *
 * Ops: `["=", path, value]` set, `["+", path, text]` append to a string,
 * `["-", path]` delete a key, `["#", path, length]` shorten an array.
 */
import { isRecord } from "../core/message-checks.js";
import { redactCredentials } from "../core/redact.js";
import { encodeRunValue, normalizeRunField } from "./run-log.js";

type Path = (string | number)[];
/** One change to a partial message; see the module comment. */
export type PatchOp = ["=", Path, unknown] | ["+", Path, string] | ["-", Path] | ["#", Path, number];

/** `value` under `key` as it reads back from a recording (the replacer's rules depend on the key). */
function normalized(key: string, value: unknown): unknown {
  return normalizeRunField(key, value);
}

/** Records `["=", path, value]` and returns the mirror's own copy (the op is written later: the mirror must not share it). */
function setOp(ops: PatchOp[], path: Path, key: string, value: unknown): unknown {
  ops.push(["=", path, value]);
  return value !== null && typeof value === "object" ? normalizeRunField(key, value) : value;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value) || typeof (value as { toJSON?: unknown }).toJSON === "function" || value instanceof Error) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof value.execute !== "function";
}

/** Whether JSON leaves this value out of an object (undefined, a function). */
const dropped = (value: unknown) => value === undefined || typeof value === "function";

/**
 * Appends to `ops` what turns `mirror` (a recorded value) into `live` (the
 * value under `key`), and returns the new mirror. Strings are compared by
 * content once and kept by reference, so an unchanged block costs nothing.
 */
function diff(ops: PatchOp[], path: Path, key: string, mirror: unknown, live: unknown): unknown {
  if (typeof live === "string" && redactCredentials(key, live) === live) {
    if (live === mirror) return live;
    if (typeof mirror === "string" && live.length > mirror.length && live.startsWith(mirror)) ops.push(["+", path, live.slice(mirror.length)]);
    else return setOp(ops, path, key, normalized(key, live));
    return live;
  }
  if ((typeof live === "number" && Number.isFinite(live)) || typeof live === "boolean" || live === null) {
    if (live !== mirror) ops.push(["=", path, live]);
    return live;
  }
  if (Array.isArray(live) && Array.isArray(mirror)) {
    if (live.length < mirror.length) {
      ops.push(["#", path, live.length]);
      mirror.length = live.length;
    }
    for (let i = 0; i < live.length; i++) {
      const item = dropped(live[i]) ? null : live[i];
      mirror[i] = i < mirror.length ? diff(ops, [...path, i], String(i), mirror[i], item) : set(ops, [...path, i], String(i), item);
    }
    return mirror;
  }
  if (isPlain(live) && isPlain(mirror) && !Array.isArray(mirror) && key !== "headers") {
    for (const name of Object.keys(mirror)) {
      if (!(name in live) || dropped(live[name])) {
        ops.push(["-", [...path, name]]);
        delete mirror[name];
      }
    }
    for (const name of Object.keys(live)) {
      const value = live[name];
      if (dropped(value)) continue;
      mirror[name] = name in mirror ? diff(ops, [...path, name], name, mirror[name], value) : set(ops, [...path, name], name, value);
    }
    return mirror;
  }
  // Anything else (a new object, an Error, a non-finite number, a redacted field): compare as recorded.
  const value = normalized(key, live);
  return encodeRunValue(value) !== encodeRunValue(mirror) ? setOp(ops, path, key, value) : mirror;
}

function set(ops: PatchOp[], path: Path, key: string, live: unknown): unknown {
  const value = setOp(ops, path, key, normalized(key, live));
  // Strings stay the live ones (same content), so the next comparison is by reference.
  return typeof live === "string" && value === live ? live : value;
}

/** Appends each text or thinking delta to its block, as a builder does: what patches are relative to. */
export function predictDelta(partial: unknown, event: { type: string; contentIndex?: unknown; delta?: unknown }): unknown {
  const field = event.type === "text_delta" ? "text" : event.type === "thinking_delta" ? "thinking" : undefined;
  if (!field || typeof event.delta !== "string" || typeof event.contentIndex !== "number" || !isRecord(partial)) return partial;
  const content = partial.content;
  const block = Array.isArray(content) ? content[event.contentIndex] : undefined;
  if (!isRecord(block) || typeof block[field] !== "string") return partial;
  const nextContent = (content as unknown[]).slice();
  nextContent[event.contentIndex] = { ...block, [field]: (block[field] as string) + event.delta };
  return { ...partial, content: nextContent };
}

/** Same as {@link predictDelta}, in place (the recorder's own mirror). */
function predictInPlace(mirror: unknown, event: { type: string; contentIndex?: unknown; delta?: unknown }): void {
  const field = event.type === "text_delta" ? "text" : event.type === "thinking_delta" ? "thinking" : undefined;
  if (!field || typeof event.delta !== "string" || typeof event.contentIndex !== "number" || !isRecord(mirror)) return;
  const block = Array.isArray(mirror.content) ? mirror.content[event.contentIndex] : undefined;
  if (isRecord(block) && typeof block[field] === "string") block[field] = (block[field] as string) + event.delta;
}

/** The recorder's side: the last partial written, as the replay will have it. */
export class PartialMirror {
  private mirror: unknown = undefined;

  /** The patch that takes the mirror, after `events`' predicted deltas, to `live`; the mirror becomes `live`. */
  patch(events: readonly { type: string }[], live: unknown): PatchOp[] {
    for (const event of events) predictInPlace(this.mirror, event);
    const ops: PatchOp[] = [];
    this.mirror = diff(ops, [], "partial", this.mirror, live);
    return ops;
  }
}

/** Applies `ops` to `value` without changing it: objects on a changed path are copied. */
export function applyPatch(value: unknown, ops: readonly PatchOp[]): unknown {
  for (const op of ops) value = applyOp(value, op, 0);
  return value;
}

function applyOp(node: unknown, op: PatchOp, depth: number): unknown {
  const path = op[1];
  if (depth === path.length) {
    if (op[0] === "=") return op[2];
    if (op[0] === "+") return `${typeof node === "string" ? node : ""}${op[2]}`;
    if (op[0] === "#") return Array.isArray(node) ? node.slice(0, op[2]) : node;
    return node;
  }
  const key = path[depth]!;
  const copy = (Array.isArray(node) ? node.slice() : { ...(isRecord(node) ? node : {}) }) as Record<string | number, unknown>;
  if (op[0] === "-" && depth === path.length - 1) delete copy[key];
  else copy[key] = applyOp(copy[key], op, depth + 1);
  return copy;
}
