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

  it("starts with the two commands", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(readme.indexOf("npm install && npm run demo")).toBeLessThan(readme.indexOf("## Quick start"));
    expect(readme.indexOf("npm test")).toBeLessThan(readme.indexOf("## Quick start"));
  });
});
