import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineTool, toolSpec, type AgentToolResult } from "../src/index.js";

describe("defineTool", () => {
  it("infers execute's args from a zod schema", () => {
    const tool = defineTool({
      name: "sum",
      description: "Add",
      parameters: z.object({ numbers: z.array(z.number()), label: z.string().optional() }),
      async execute(_id, args) {
        expectTypeOf(args).toEqualTypeOf<{ numbers: number[]; label?: string | undefined }>();
        return { content: [{ type: "text", text: String(args.numbers.length) }] };
      },
    });
    expectTypeOf(tool.execute).returns.toEqualTypeOf<Promise<AgentToolResult<unknown>>>();
  });

  it("the model sees JSON Schema (without $schema) for zod and plain schemas alike", () => {
    const zodTool = defineTool({
      name: "a",
      description: "d",
      parameters: z.object({ n: z.number().describe("a number") }),
      execute: async () => ({ content: [] }),
    });
    expect(toolSpec(zodTool)).toEqual({
      name: "a",
      description: "d",
      parameters: {
        type: "object",
        properties: { n: { type: "number", description: "a number" } },
        required: ["n"],
      },
    });
    const plain = { type: "object", properties: { q: { type: "string" } } };
    expect(toolSpec({ name: "b", description: "d", parameters: plain, execute: async () => ({ content: [] }) }).parameters).toBe(plain);
  });
});
