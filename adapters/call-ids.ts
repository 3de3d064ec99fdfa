/**
 * Tool-call ids made valid for a provider that restricts them. A transcript
 * begun elsewhere may carry ids another API rejects (too long, other
 * characters, or none at all); each call and its result must still agree,
 * so one mapper per request rewrites both the same way.
 */
import { fnv1a } from "../src/core/fnv1a.js";

/** Rewrites tool-call ids of one request; the same input id always gives the same output id. */
export type CallIdMapper = {
  /** The id to send for a call (an empty id gets a fresh one, remembered for its result). */
  call(id: string): string;
  /** The id to send for a result of the call with `id`. */
  result(id: string): string;
};

/**
 * A mapper for ids of `[A-Za-z0-9_-]`, at most `maxLength` characters: an
 * id that breaks the rule keeps its start (other characters as `_`) and gains
 * a hash of the whole, so two rewritten ids stay apart. Calls without an id get `call_<n>`, and
 * results without one take those in call order (the transcript's invariant).
 */
export function callIdMapper(maxLength = 64): CallIdMapper {
  let fresh = 0;
  const unnamed: string[] = [];
  // A valid id is kept; any other becomes its cleaned start plus a hash of the whole (at most maxLength).
  const valid = (id: string) =>
    id.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(id) ? id : `${id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, maxLength - 9)}_${fnv1a(id)}`;
  return {
    call(id) {
      if (id !== "") return valid(id);
      const made = `call_${fresh++}`;
      unnamed.push(made);
      return made;
    },
    result(id) {
      if (id !== "") return valid(id);
      return unnamed.shift() ?? `call_${fresh++}`;
    },
  };
}
