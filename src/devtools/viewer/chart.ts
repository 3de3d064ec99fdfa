/**
 * The run viewer's statechart, drawn from the machine definition: states and
 * targeted transitions of `agentMachine.root` (with substates as chips),
 * laid out by elkjs (layered). The page only paints what this computes.
 */
import type { AnyStateMachine, AnyStateNode } from "xstate";
import { transitionsOf } from "../../../machines/xstate-internals.js";

/** A state box; `substates` are drawn as chips inside it. */
export type ChartNode = {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  substates: string[];
  tags: string[];
  final: boolean;
};

/** A transition arrow (all transitions between two states share one): its event names, and `event [guard]` in full. */
export type ChartEdge = {
  id: string;
  source: string;
  target: string;
  /** Distinct event names, drawn on the arrow. */
  lines: string[];
  /** Every transition as `event [guard]`, for the arrow's tooltip. */
  transitions: string[];
  points: { x: number; y: number }[];
  label: { x: number; y: number; width: number; height: number };
};

/** A laid-out chart: what `GET /api/chart` serves. */
export type ChartLayout = { width: number; height: number; initial: string; nodes: ChartNode[]; edges: ChartEdge[] };

// Label metrics in chart units, for the page's 13px label font (see page-html.ts).
const CHAR = 7.8;
const LINE = 16;

/**
 * The point `fraction` of the way along a polyline (by length): where an edge's label sits, so it reads as
 * that edge's. 0.4 from the source, so the labels of two edges running both ways between a pair do not meet.
 */
export function pointAlong(points: readonly { x: number; y: number }[], fraction = 0.4): { x: number; y: number } {
  if (points.length === 0) return { x: 0, y: 0 };
  const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i]!.x, p.y - points[i]!.y));
  let left = lengths.reduce((a, b) => a + b, 0) * fraction;
  for (let i = 0; i < lengths.length; i++) {
    const from = points[i]!;
    const to = points[i + 1]!;
    if (left <= lengths[i]! && lengths[i]! > 0) {
      const f = left / lengths[i]!;
      return { x: from.x + (to.x - from.x) * f, y: from.y + (to.y - from.y) * f };
    }
    left -= lengths[i]!;
  }
  return points[points.length - 1]!;
}

/** The label box of an edge: centred on a point of the edge (see pointAlong). */
function labelOn(points: readonly { x: number; y: number }[], size: { width: number; height: number }) {
  const mid = pointAlong(points);
  return { x: mid.x - size.width / 2, y: mid.y - size.height / 2, ...size };
}

/** States and grouped transitions of `machine`'s top level, before layout. */
export function chartGraph(machine: AnyStateMachine) {
  const states = Object.values(machine.root.states) as AnyStateNode[];
  const edges = new Map<string, { source: string; target: string; lines: string[]; transitions: string[] }>();
  for (const node of states) {
    for (const { event, label, target } of transitionsOf(node)) {
      let top = target;
      while (top.parent && top.parent !== machine.root) top = top.parent;
      const key = `${node.key}->${top.key}`;
      const edge = edges.get(key) ?? { source: node.key, target: top.key, lines: [], transitions: [] };
      if (!edge.lines.includes(event)) edge.lines.push(event);
      edge.transitions.push(label);
      edges.set(key, edge);
    }
  }
  const nodes = [...states.filter((node) => node.type !== "final"), ...states.filter((node) => node.type === "final")].map((node) => {
    const substates = Object.keys(node.states);
    const chips = substates.reduce((width, key) => width + key.length * CHAR + 22, 0);
    return {
      id: node.key,
      width: Math.max(node.key.length * 9 + 40, chips + 16),
      height: substates.length ? 74 : 44,
      substates,
      tags: [...node.tags],
      final: node.type === "final",
    };
  });
  return { initial: machine.root.initial?.target[0]?.key ?? "", nodes, edges: [...edges.values()] };
}

type Elk = { layout(graph: unknown): Promise<ElkResult> };
type ElkResult = {
  width?: number;
  height?: number;
  children?: { id: string; x?: number; y?: number }[];
  edges?: {
    id: string;
    sections?: { startPoint: { x: number; y: number }; endPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[] }[];
  }[];
};

async function loadElk(): Promise<Elk | undefined> {
  try {
    const module = (await import("elkjs/lib/elk.bundled.js")) as unknown as { default: new () => Elk };
    return new module.default();
  } catch {
    return undefined; // elkjs not installed: use the simple layout below
  }
}

/**
 * Lays out `machine`'s chart with elkjs (layered, top to bottom); without
 * elkjs, with a plain column of states.
 * @example
 * const chart = await layoutChart(agentMachine);
 */
export async function layoutChart(machine: AnyStateMachine): Promise<ChartLayout> {
  const graph = chartGraph(machine);
  const elk = await loadElk();
  const edges = graph.edges.map((edge, i) => ({ ...edge, id: `e${i}` }));
  const labelSize = (lines: string[]) => ({ width: Math.max(...lines.map((l) => l.length)) * CHAR + 8, height: lines.length * LINE + 4 });
  if (!elk) return columnLayout(graph, edges, labelSize);
  const result = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      // Layers follow the states' order in the machine (idle first, final states last), so the loop reads top to bottom.
      "elk.layered.cycleBreaking.strategy": "MODEL_ORDER",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.edgeRouting": "POLYLINE",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "60",
      // Labels sit centred on their edges (the page draws them at a point of the edge); ELK keeps room for them.
      "elk.edgeLabels.inline": "true",
      "elk.edgeLabels.placement": "CENTER",
      "elk.spacing.edgeLabel": "6",
      "elk.spacing.edgeEdge": "24",
      "elk.padding": "[top=30,left=30,bottom=30,right=30]",
    },
    children: graph.nodes.map((node) => ({ id: node.id, width: node.width, height: node.height })),
    edges: edges.map((edge) => ({
      id: edge.id,
      sources: [edge.source],
      targets: [edge.target],
      labels: [{ text: edge.lines.join("\n"), ...labelSize(edge.lines) }],
    })),
  });
  const placed = new Map((result.children ?? []).map((child) => [child.id, child]));
  const laidEdges = new Map((result.edges ?? []).map((edge) => [edge.id, edge]));
  return {
    width: result.width ?? 600,
    height: result.height ?? 400,
    initial: graph.initial,
    nodes: graph.nodes.map((node) => ({ ...node, x: placed.get(node.id)?.x ?? 0, y: placed.get(node.id)?.y ?? 0 })),
    edges: edges.map((edge) => {
      const laid = laidEdges.get(edge.id);
      const section = laid?.sections?.[0];
      const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [];
      return { ...edge, points, label: labelOn(points, labelSize(edge.lines)) };
    }),
  };
}

function columnLayout(
  graph: ReturnType<typeof chartGraph>,
  edges: (ReturnType<typeof chartGraph>["edges"][number] & { id: string })[],
  labelSize: (lines: string[]) => { width: number; height: number },
): ChartLayout {
  let y = 30;
  const nodes = graph.nodes.map((node) => {
    const placed = { ...node, x: 40, y };
    y += node.height + 90;
    return placed;
  });
  const byId = new Map(nodes.map((node) => [node.id, node]));
  return {
    width: 900,
    height: y,
    initial: graph.initial,
    nodes,
    edges: edges.map((edge, i) => {
      const from = byId.get(edge.source)!;
      const to = byId.get(edge.target)!;
      const start = { x: from.x + from.width / 2 + i * 6, y: from.y + from.height };
      const end = { x: to.x + to.width / 2 + i * 6, y: to.y };
      return { ...edge, points: [start, end], label: labelOn([start, end], labelSize(edge.lines)) };
    }),
  };
}
