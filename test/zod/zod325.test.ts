import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod325/v4";
import { defineTool, type AgentTool } from "../../src/index.js";
import { expectWorkingTool } from "./shared.js";

const forecast = defineTool({
  name: "forecast",
  description: "Weather forecast",
  parameters: z.object({ city: z.string().describe("City name"), days: z.number().optional() }),
  async execute(_id, args) {
    expectTypeOf(args).toEqualTypeOf<{ city: string; days?: number | undefined }>();
    return { content: [{ type: "text", text: `${args.city}: sunny` }] };
  },
});

describe('a tool with a schema from "zod325/v4"', () => {
  it("infers execute's arguments and fits an AgentTool list", () => {
    expectTypeOf(forecast).toEqualTypeOf<AgentTool<{ city: string; days?: number | undefined }, unknown>>();
    const tools: AgentTool[] = [forecast];
    expectTypeOf(tools).toEqualTypeOf<AgentTool<unknown, unknown>[]>();
  });

  it("gives the model its JSON Schema and validates arguments", async () => {
    await expectWorkingTool(forecast);
  });
});
