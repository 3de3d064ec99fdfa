/**
 * Every use of XState's private internals, in one file (see
 * test/xstate-internals.test.ts, which names the version this was written
 * against; xstate is pinned to that minor in package.json):
 *
 * - `emitAll`: one built-in-shaped action that emits many events (speed);
 * - `parentOf`: an actor's parent (`_parent`), for actor paths in traces;
 * - `guardLabel`: the name of a guard, with xstate's higher-order `not`/`and`/`or`
 *   guards told apart by their check functions' names;
 * - `transitionsOf`: a state node's targeted transitions labelled `event [guard]`,
 *   the one walk the mermaid diagram and the run viewer's chart both draw from;
 * - `withTransition`: a machine whose `transition` runs a hook first (agentLogic
 *   uses it to close a run when its actor is stopped, which XState reports to
 *   no action), and may recover from a transition that throws (the agent
 *   machine does: XState would stop the actor and rethrow from a timer);
 *   the failed step's deferred effects (`scope.defer`: emits, spawns, sends)
 *   are dropped, which relies on XState deferring every effect that way.
 *
 * `emitAll` — why: the agent emits one `message_update` per stream delta. Through
 * `enqueue.emit`, each costs a built-in action of its own — action object,
 * resolution, executor record, deferred closure — about 0.7 µs per delta on
 * the bench machine, more than parsing the delta. A batch of deltas (one
 * network read) now costs one action: the full Agent went from 2.9 to 1.5 µs
 * of CPU per delta on a synthetic 50k-delta stream.
 * How: it has the shape of XState's own built-in actions (xstate's
 * `actions/emit.ts`): `resolve` returns the params, `execute` defers the
 * emission until the snapshot is committed, like `emit` does. Inspection
 * shows one `tinyagent.emitAll` action per batch, its params the events.
 */
import type { AnyActorRef, AnyStateMachine, AnyStateNode, EventObject } from "xstate";

/** What XState hands a built-in action's `execute`: the part of the actor scope used here. */
type EmitScope = { defer(fn: () => void): void; emit(event: EventObject): void };

/** The action's resolved params (what inspection shows). */
export type EmitAllParams<TEvent extends EventObject> = { events: readonly TEvent[] };

/**
 * An action emitting `events` in order after the current step, one emitted
 * event each; for `enqueue(emitAll(events))` inside `enqueueActions`.
 * @example
 * applyBatch: enqueueActions(({ enqueue, event }) => {
 *   enqueue(emitAll(event.items.map((item) => ({ type: "item", item }))));
 * }),
 */
export function emitAll<TEvent extends EventObject>(events: readonly TEvent[]) {
  function emitAllAction(): void {}
  emitAllAction.type = "tinyagent.emitAll";
  emitAllAction.resolve = (_scope: unknown, snapshot: unknown): [unknown, EmitAllParams<TEvent>, undefined] => [snapshot, { events }, undefined];
  emitAllAction.execute = (scope: EmitScope, params: EmitAllParams<TEvent>): void =>
    scope.defer(() => {
      for (const event of params.events) scope.emit(event);
    });
  return emitAllAction;
}

/** The actor that spawned or invoked `ref`, if any. */
export function parentOf(ref: AnyActorRef): AnyActorRef | undefined {
  return ref._parent;
}

/** A guard as words: its name, `!a` for `not(a)`, `a && b` / `a || b` for `and`/`or`. */
export function guardLabel(guard: unknown): string | undefined {
  if (typeof guard === "string") return guard;
  if (!guard || (typeof guard !== "object" && typeof guard !== "function")) return undefined;
  const { type, guards, check } = guard as { type?: unknown; guards?: unknown[]; check?: { name?: string } };
  // xstate's higher-order guards (`not`, `and`, `or`) carry their operands and a named check function.
  if (guards) {
    const operands = guards.map(guardLabel);
    if (check?.name === "checkNot") return `!${operands[0]}`;
    return operands.join(check?.name === "checkAnd" ? " && " : " || ");
  }
  return type === undefined ? undefined : String(type);
}

/** One targeted transition of a state node, labelled for people. */
export type LabelledTransition = {
  /** `always`, the event type, or `done: <src>` / `error: <src>` for an invoked actor's end. */
  event: string;
  /** The guard in words (see {@link guardLabel}), if the transition has one. */
  guard: string | undefined;
  /** `event [guard]`. */
  label: string;
  target: AnyStateNode;
};

/** The targeted transitions of `node` (its own, not its substates'), `always` first. */
export function transitionsOf(node: AnyStateNode): LabelledTransition[] {
  const always: [string, NonNullable<typeof node.always>][] = node.always ? [["", node.always]] : [];
  const found: LabelledTransition[] = [];
  for (const [eventType, transitions] of [...always, ...node.transitions]) {
    for (const transition of transitions) {
      const target = transition.target?.[0];
      if (!target) continue;
      const event = eventLabel(eventType, node);
      const guard = guardLabel(transition.guard);
      found.push({ event, guard, label: guard ? `${event} [${guard}]` : event, target });
    }
  }
  return found;
}

function eventLabel(eventType: string, node: AnyStateNode): string {
  if (eventType === "") return "always";
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (!done) return eventType;
  const invoke = node.invoke.find((candidate) => candidate.id === done[2]);
  return `${done[1]}: ${invoke ? String(invoke.src) : done[2]}`;
}

/**
 * `machine` with `before(snapshot, event, scope)` run ahead of each of its
 * transitions and `recover(…)` giving the snapshot to go on with when one
 * throws (both kept through `provide`); `getInitialSnapshot` may be
 * replaced too (to map another input). XState calls `transition` for every
 * event an actor takes, `xstate.stop` included.
 */
export function withTransition<TMachine extends AnyStateMachine>(
  machine: TMachine,
  hooks: {
    /** `event` may also be one of XState's own (`xstate.stop`), hence the wide type. */
    before?(snapshot: ReturnType<TMachine["transition"]>, event: EventObject, scope: Parameters<TMachine["transition"]>[2]): void;
    recover?(
      machine: TMachine,
      snapshot: ReturnType<TMachine["transition"]>,
      event: EventObject,
      scope: Parameters<TMachine["transition"]>[2],
      error: unknown,
    ): ReturnType<TMachine["transition"]>;
    getInitialSnapshot?(machine: TMachine, scope: Parameters<TMachine["getInitialSnapshot"]>[0], input: unknown): ReturnType<TMachine["getInitialSnapshot"]>;
  },
): TMachine {
  const logic = Object.create(machine) as TMachine;
  Object.defineProperties(logic, {
    transition: {
      value: (snapshot: ReturnType<TMachine["transition"]>, event: Parameters<TMachine["transition"]>[1], scope: Parameters<TMachine["transition"]>[2]) => {
        hooks.before?.(snapshot, event, scope);
        if (!hooks.recover) return machine.transition(snapshot, event, scope);
        // A step's effects (emits, spawns, sends) are deferred through `scope.defer` until its snapshot is
        // committed; held back here, a step that throws has none: its emits never reach a listener.
        const deferred: (() => void)[] = [];
        const held = { ...scope, defer: (effect: () => void) => void deferred.push(effect) };
        let next: ReturnType<TMachine["transition"]>;
        try {
          next = machine.transition(snapshot, event, held) as ReturnType<TMachine["transition"]>;
        } catch (error) {
          return hooks.recover(machine, snapshot, event, scope, error);
        }
        for (const effect of deferred) scope.defer(effect);
        return next;
      },
    },
    provide: { value: (implementations: Parameters<TMachine["provide"]>[0]) => withTransition(machine.provide(implementations) as TMachine, hooks) },
  });
  if (hooks.getInitialSnapshot) {
    const make = hooks.getInitialSnapshot;
    Object.defineProperty(logic, "getInitialSnapshot", {
      value: (scope: Parameters<TMachine["getInitialSnapshot"]>[0], input: unknown) => make(machine, scope, input),
    });
  }
  return logic;
}
