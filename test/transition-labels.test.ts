/**
 * The run viewer's chart and the mermaid diagram label transitions with one
 * walk (transitionsOf in machines/xstate-internals.ts): the same
 * `event [guard]` texts, higher-order guards included.
 */
import { and, not, or, setup } from "xstate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentMachine } from "../src/index.js";
import { machineToMermaid, startRunViewer, type RunViewer } from "../src/devtools/index.js";
import { layoutChart, type ChartLayout } from "../src/devtools/viewer/chart.js";

/** The `source --> target: label` lines of a mermaid diagram. */
function mermaidLabels(source: string): string[] {
  return source
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^\w+ --> \w+: /.test(line));
}

function chartLabels(chart: ChartLayout): string[] {
  return chart.edges.flatMap((edge) => edge.transitions.map((label) => `${edge.source} --> ${edge.target}: ${label}`));
}

describe("transition labels: chart and diagram", () => {
  let viewer: RunViewer;
  beforeAll(async () => {
    viewer = await startRunViewer({ port: 0 });
  });
  afterAll(() => viewer.close());

  it("the viewer's chart of the agent machine labels its top-level transitions as the diagram does", async () => {
    const { agent: chart } = (await (await fetch(new URL("/api/chart", viewer.url))).json()) as { agent: ChartLayout };
    const topLevel = new Set(Object.keys(agentMachine.root.states));
    const diagram = mermaidLabels(machineToMermaid(agentMachine)).filter((line) => {
      const [source, target] = line.split(/ --> |: /);
      return topLevel.has(source!) && topLevel.has(target!);
    });
    expect(diagram.length).toBeGreaterThan(5);
    expect(chartLabels(chart).sort()).toEqual(expect.arrayContaining(diagram.sort()));
  });

  it("both print not, and and or guards", async () => {
    const machine = setup({
      types: { events: {} as { type: "go" } },
      guards: { ready: () => true, busy: () => false },
    }).createMachine({
      id: "guards",
      initial: "a",
      states: {
        a: {
          on: {
            go: [
              { guard: and(["ready", not("busy")]), target: "b" },
              { guard: or(["ready", "busy"]), target: "c" },
            ],
          },
        },
        b: { always: { guard: not("ready"), target: "c" } },
        c: { type: "final" },
      },
    });
    const expected = ["a --> b: go [ready && !busy]", "a --> c: go [ready || busy]", "b --> c: always [!ready]"];
    expect(mermaidLabels(machineToMermaid(machine))).toEqual(expected);
    expect(chartLabels(await layoutChart(machine)).sort()).toEqual(expected);
  });
});
