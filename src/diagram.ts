/**
 * Draws a state machine as a mermaid state diagram from its definition, so
 * the README's picture of the agent machine cannot drift from the code.
 */
import type { AnyStateMachine, AnyStateNode } from "xstate";

function label(eventType: string, invokeIds: Map<string, string>): string {
  if (eventType === "") return "always";
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (!done) return eventType;
  const src = invokeIds.get(done[2]!) ?? done[2];
  return `${done[1]}: ${src}`;
}

function guardName(guard: unknown): string | undefined {
  if (typeof guard === "string") return guard;
  if (guard && typeof guard === "object" && "type" in guard) return String((guard as { type: unknown }).type);
  return undefined;
}

/**
 * The mermaid `stateDiagram-v2` source of a machine's top-level states and
 * their targeted transitions, labelled `event [guard]`.
 * @example
 * console.log(machineToMermaid(agentMachine));
 */
export function machineToMermaid(machine: AnyStateMachine): string {
  const lines = ["stateDiagram-v2", `  [*] --> ${machine.root.initial?.target[0]?.key ?? "?"}`];
  const seen = new Set<string>();
  for (const node of Object.values(machine.root.states) as AnyStateNode[]) {
    const invokeIds = new Map(node.invoke.map((invoke) => [invoke.id, String(invoke.src)]));
    const always: [string, NonNullable<typeof node.always>][] = node.always ? [["", node.always]] : [];
    for (const [eventType, transitions] of [...always, ...node.transitions]) {
      for (const transition of transitions) {
        const target = transition.target?.[0];
        if (!target) continue;
        const guard = guardName(transition.guard);
        const line = `  ${node.key} --> ${target.key}: ${label(eventType, invokeIds)}${guard ? ` [${guard}]` : ""}`;
        if (!seen.has(line)) lines.push(line);
        seen.add(line);
      }
    }
  }
  return lines.join("\n");
}
