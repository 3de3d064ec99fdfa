/**
 * One check of a zod flavour: a tool whose schema comes from it gives the
 * model a JSON Schema and validates arguments with zod's messages.
 */
import { expect } from "vitest";
import { toolSpec, validateToolArguments, type AgentTool } from "../../src/index.js";

export async function expectWorkingTool(tool: AgentTool): Promise<void> {
  expect(toolSpec(tool).parameters).toMatchObject({
    type: "object",
    properties: { city: { type: "string" }, days: { type: "number" } },
    required: ["city"],
  });
  expect(toolSpec(tool).parameters).not.toHaveProperty("$schema");
  expect(await validateToolArguments(tool, { city: "Oslo", days: 2 })).toEqual({ ok: true, args: { city: "Oslo", days: 2 } });
  const bad = await validateToolArguments(tool, { city: 3 });
  expect(bad.ok).toBe(false);
  expect(!bad.ok && bad.message).toMatch(/✖ Invalid input: expected string, received number\n {2}→ at city/);
}
