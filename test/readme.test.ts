import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diagramBlock } from "../scripts/diagram.js";

describe("README", () => {
  it("shows the agent machine diagram generated from the current machine (run `npm run diagram` after changing it)", () => {
    expect(readFileSync("README.md", "utf8")).toContain(diagramBlock());
  });

  it("draws substates as composite states, with higher-order guards spelled out", () => {
    const block = diagramBlock();
    expect(block).toContain("state executingTools {");
    expect(block).toContain("awaitingApproval --> running: always [!approvalWaiting]");
  });

  it("lists every entry of package.json's exports, with names each exports and the optional peers they need", async () => {
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## Entries"), readme.indexOf("## Quick start"));
    const rows = section
      .split("\n")
      .filter((line) => line.startsWith("| `tinyagent"))
      .map((line) => {
        const [entry, names, peers] = line
          .split("|")
          .slice(1, 4)
          .map((cell) => cell.trim());
        return { entry: entry!.slice(1, -1), names: names!, peers: peers! };
      });
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
      exports: Record<string, unknown>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const entries = Object.keys(pkg.exports)
      .filter((key) => key !== "./package.json")
      .map((key) => (key === "." ? "tinyagent" : `tinyagent/${key.slice(2)}`));
    expect(rows.map((row) => row.entry)).toEqual(entries);
    for (const { entry, names } of rows) {
      const exported = (await import(entry)) as Record<string, unknown>;
      const listed = [...names.matchAll(/`(\w+)`/g)].map((match) => match[1]!);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.filter((name) => !(name in exported))).toEqual([]);
    }
    const peers = rows.flatMap((row) => [...row.peers.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
    const optional = Object.entries(pkg.peerDependenciesMeta).flatMap(([name, meta]) => (meta.optional ? [name] : []));
    expect(peers.sort()).toEqual(optional.sort());
  });

  it("starts with the two commands", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(readme.indexOf("npm install && npm run demo")).toBeLessThan(readme.indexOf("## Quick start"));
    expect(readme.indexOf("npm test")).toBeLessThan(readme.indexOf("## Quick start"));
  });
});
