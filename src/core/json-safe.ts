/**
 * Values that must survive `JSON.stringify`: a tool's `details`, a message
 * the app made, anything a snapshot, a recording or the server's wire writes
 * down. `JSON.stringify` throws on a cycle, a BigInt or a getter that throws,
 * and overflows the stack on very deep nesting; {@link jsonSafe} gives a copy
 * where each of those is a string saying what was there, and the value itself
 * when it has none (the common case costs one walk and no copy).
 */

import { errorText } from "./errors.js";

/** Nesting deeper than this is cut: `JSON.stringify` would overflow the stack long before a transcript needs it. */
const MAX_DEPTH = 512;

type Visit = { ancestors: object[]; unsafe: boolean };

/** `value` if `JSON.stringify` can write it; else a copy where cycles, BigInts, throwing getters and over-deep nesting are strings. */
export function jsonSafe<T>(value: T): T {
  const visit: Visit = { ancestors: [], unsafe: false };
  walk(value, visit, false);
  if (!visit.unsafe) return value;
  return walk(value, { ancestors: [], unsafe: false }, true) as T;
}

/** Walks `value` as `JSON.stringify` would; with `copying`, returns the safe copy (else `value`, and `visit.unsafe` says). */
function walk(value: unknown, visit: Visit, copying: boolean): unknown {
  if (typeof value === "bigint") return flag(visit, `${value}n`);
  if (typeof value !== "object" || value === null) return value;
  if (visit.ancestors.includes(value)) return flag(visit, "[Circular]");
  if (visit.ancestors.length >= MAX_DEPTH) return flag(visit, "[Too deep]");
  let source: unknown = value;
  const toJSON = read(value, "toJSON", visit);
  if (typeof toJSON === "function") {
    try {
      source = toJSON.call(value);
    } catch (error) {
      return flag(visit, unreadable(error));
    }
    if (typeof source !== "object" || source === null) return walk(source, visit, copying);
  }
  visit.ancestors.push(value);
  let result: unknown = value;
  if (Array.isArray(source)) {
    if (copying) result = source.map((item: unknown) => walk(item, visit, true));
    else for (const item of source) walk(item, visit, false);
  } else {
    const record = source as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of keysOf(record, visit)) {
      const field = walk(read(record, key, visit), visit, copying);
      if (copying) copy[key] = field;
    }
    if (copying) result = copy;
  }
  visit.ancestors.pop();
  return result;
}

function keysOf(target: object, visit: Visit): string[] {
  try {
    return Object.keys(target);
  } catch (error) {
    flag(visit, unreadable(error));
    return [];
  }
}

function read(target: object, key: string, visit: Visit): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch (error) {
    return flag(visit, unreadable(error));
  }
}

function flag(visit: Visit, replacement: string): string {
  visit.unsafe = true;
  return replacement;
}

function unreadable(error: unknown): string {
  return `[Unreadable: ${errorText(error)}]`;
}
