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
  if (!guard || (typeof guard !== "object" && typeof guard !== "function")) return undefined;
  const { type, guards, check } = guard as { type?: unknown; guards?: unknown[]; check?: { name?: string } };
  // xstate's higher-order guards (`not`, `and`, `or`) carry their operands and a named check function.
  if (guards) {
    const operands = guards.map(guardName);
    if (check?.name === "checkNot") return `!${operands[0]}`;
    return operands.join(check?.name === "checkAnd" ? " && " : " || ");
  }
  return type === undefined ? undefined : String(type);
}

/** The transitions of `node` (and, nested in a composite block, of its substates). */
function drawNode(node: AnyStateNode, indent: string, lines: string[], seen: Set<string>): void {
  const children = Object.values(node.states) as AnyStateNode[];
  if (children.length > 0) {
    lines.push(`${indent}state ${node.key} {`, `${indent}  [*] --> ${node.initial?.target[0]?.key ?? "?"}`);
    for (const child of children) drawNode(child, `${indent}  `, lines, seen);
    lines.push(`${indent}}`);
  }
  const invokeIds = new Map(node.invoke.map((invoke) => [invoke.id, String(invoke.src)]));
  const always: [string, NonNullable<typeof node.always>][] = node.always ? [["", node.always]] : [];
  for (const [eventType, transitions] of [...always, ...node.transitions]) {
    for (const transition of transitions) {
      const target = transition.target?.[0];
      if (!target) continue;
      const guard = guardName(transition.guard);
      const line = `${indent}${node.key} --> ${target.key}: ${label(eventType, invokeIds)}${guard ? ` [${guard}]` : ""}`;
      if (!seen.has(line)) lines.push(line);
      seen.add(line);
    }
  }
}

/**
 * The mermaid `stateDiagram-v2` source of a machine: its states (substates
 * as composite states) and their targeted transitions, labelled `event [guard]`.
 * @example
 * console.log(machineToMermaid(agentMachine));
 */
export function machineToMermaid(machine: AnyStateMachine): string {
  const lines = ["stateDiagram-v2", `  [*] --> ${machine.root.initial?.target[0]?.key ?? "?"}`];
  const seen = new Set<string>();
  for (const node of Object.values(machine.root.states) as AnyStateNode[]) drawNode(node, "  ", lines, seen);
  return lines.join("\n");
}
