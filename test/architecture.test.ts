/**
 * The import directions of ../shared/ARCHITECTURE.md, checked on the source:
 * src/core imports nothing of ours; machines/ and adapters/ import only
 * src/core (and themselves); the facade (src/*.ts) imports machines, adapters
 * and core; each subpath entry (src/<entry>/) imports the facade or below,
 * never another entry. And no import circle, type imports included.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOTS = ["src", "machines", "adapters"];
// Every import and re-export, value or type, static or dynamic with a literal specifier.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** "core", "machines", "adapters", "facade" or "entry:<name>". */
function layerOf(file: string): string {
  const [top, second] = file.split("/");
  if (top !== "src") return top!;
  if (second === "core") return "core";
  return second && !second.includes(".") ? `entry:${second}` : "facade";
}

const ALLOWED: Record<string, (target: string) => boolean> = {
  core: (t) => t === "core",
  machines: (t) => t === "machines" || t === "core",
  adapters: (t) => t === "adapters" || t === "core",
  facade: (t) => ["facade", "machines", "adapters", "core"].includes(t),
};

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of ROOTS.flatMap(sourceFiles)) {
    const targets: string[] = [];
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      const base = join(dirname(file), specifier);
      const target = [base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"), base].find((p) => existsSync(p) && statSync(p).isFile());
      if (target) targets.push(relative(".", target));
    }
    graph.set(relative(".", file), targets);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): the circles. */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe("architecture (../shared/ARCHITECTURE.md)", () => {
  const graph = importGraph();

  it("imports run only downward: core ← machines/adapters ← facade ← entries, and no entry imports another", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        const ok = from.startsWith("entry:") ? to === from || !to.startsWith("entry:") : ALLOWED[from]!(to);
        if (!ok) upward.push(`${file} (${from}) → ${target} (${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no import circle", () => {
    expect(circles(graph)).toEqual([]);
  });

  it("machines take their data as typed params: no action or guard casts `event`", () => {
    const casts = sourceFiles("machines").flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) => (/\bevent\)?\s+as\s/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(casts).toEqual([]);
  });

  it("sees the files it checks (a sanity check of the walk itself)", () => {
    expect(graph.get("src/agent.ts")).toContain("machines/agent.machine.ts");
    expect(layerOf("src/devtools/index.ts")).toBe("entry:devtools");
  });
});
