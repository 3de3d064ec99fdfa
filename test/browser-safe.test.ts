import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const NODE_BUILTINS = new Set(builtinModules);
// Value imports and re-exports (`import type` / `export type` vanish from bundles).
const IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;

/** Every node builtin reachable by value imports from `entry`, as "file → module" lines. */
function nodeImportsReachableFrom(entry: string): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(IMPORT)) {
      if (specifier!.startsWith(".")) {
        const target = join(dirname(file), specifier!.replace(/\.js$/, ".ts"));
        if (existsSync(target)) visit(target);
      } else if (specifier!.startsWith("node:") || NODE_BUILTINS.has(specifier!.split("/")[0]!)) {
        found.push(`${relative(process.cwd(), file)} → ${specifier}`);
      }
    }
  };
  visit(join(process.cwd(), entry));
  return found;
}

describe("the main entry is browser-safe (the web chat bundles it)", () => {
  it("no module reachable from src/index.ts imports a node builtin (node-only code belongs in tinyagent/proxy, tinyagent/testing or a node subpath)", () => {
    expect(nodeImportsReachableFrom("src/index.ts")).toEqual([]);
  });

  it("nor from src/proxy-browser.ts, what `tinyagent/proxy` resolves to under the browser condition (streamProxy, proxyRequestHandler)", () => {
    expect(nodeImportsReachableFrom("src/proxy-browser.ts")).toEqual([]);
    // The check bites: the node build of the entry reaches node:http.
    expect(nodeImportsReachableFrom("src/proxy.ts")).toContain("adapters/proxy-server.ts → node:http");
  });
});
