/**
 * Draws a state machine as a mermaid state diagram from its definition, so
 * the README's picture of the agent machine cannot drift from the code.
 */
import type { AnyStateMachine, AnyStateNode } from "xstate";
import { transitionsOf } from "../../machines/xstate-internals.js";

/** The transitions of `node` (and, nested in a composite block, of its substates). */
function drawNode(node: AnyStateNode, indent: string, lines: string[], seen: Set<string>): void {
  const children = Object.values(node.states) as AnyStateNode[];
  if (children.length > 0) {
    lines.push(`${indent}state ${node.key} {`, `${indent}  [*] --> ${node.initial?.target[0]?.key ?? "?"}`);
    for (const child of children) drawNode(child, `${indent}  `, lines, seen);
    lines.push(`${indent}}`);
  }
  for (const { label, target } of transitionsOf(node)) {
    const line = `${indent}${node.key} --> ${target.key}: ${label}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
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
