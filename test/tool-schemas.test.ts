import { describe, expect, expectTypeOf, it } from "vitest";
import * as z3 from "zod325";
import { checkJsonSchema } from "../src/core/json-schema-check.js";
import { checkTools, defineTool, toolSpec, validateToolArguments, type AgentTool, type JSONSchema, type StandardSchemaV1 } from "../src/index.js";

/** A hand-written Standard Schema validator (what valibot/ArkType give), with or without Standard JSON Schema. */
function standardSchema<T>(check: (value: unknown) => T | string, jsonSchema?: JSONSchema, options: { async?: boolean } = {}): StandardSchemaV1<unknown, T> {
  const validate = (value: unknown) => {
    const out = check(value);
    const result = typeof out === "string" ? { issues: [{ message: out, path: [{ key: "q" }] }] } : { value: out };
    return options.async ? Promise.resolve(result) : result;
  };
  return {
    "~standard": {
      version: 1 as const,
      vendor: "handmade",
      validate,
      ...(jsonSchema ? { jsonSchema: { input: () => ({ $schema: "x", ...jsonSchema }), output: () => jsonSchema } } : {}),
    },
  };
}

const execute = async () => ({ content: [] });
const qSchema: JSONSchema = { type: "object", properties: { q: { type: "string" } }, required: ["q"] };
const qCheck = (value: unknown) => (typeof (value as { q?: unknown }).q === "string" ? (value as { q: string }) : "Expected q to be a string");

describe("tool schemas", () => {
  it("takes any Standard Schema validator with a JSON Schema converter, and infers from it", async () => {
    const tool = defineTool({
      name: "search",
      description: "Search",
      parameters: standardSchema(qCheck, qSchema),
      async execute(_id, args) {
        expectTypeOf(args).toEqualTypeOf<{ q: string }>();
        return { content: [] };
      },
    });
    expect(toolSpec(tool).parameters).toEqual(qSchema);
    expect(await validateToolArguments(tool, { q: "x" })).toEqual({ ok: true, args: { q: "x" } });
    expect(await validateToolArguments(tool, { q: 1 })).toEqual({
      ok: false,
      message: 'Invalid arguments for tool "search":\n✖ Expected q to be a string\n  → at q\nFix these and call the tool again.',
    });
  });

  it("waits for an asynchronous validator", async () => {
    const tool: AgentTool = { name: "s", description: "d", parameters: standardSchema(qCheck, qSchema, { async: true }), execute };
    const check = validateToolArguments(tool, { q: 2 });
    expect(check).toBeInstanceOf(Promise);
    expect((await check).ok).toBe(false);
  });

  it("refuses a zod 3 schema, a Standard Schema without JSON Schema and a non-object, naming what is supported", () => {
    const supported =
      /Use a zod 4 schema \(zod 4, or zod 3\.25\+ imported from "zod\/v4"\), a Standard Schema validator that can give JSON Schema \(`~standard\.jsonSchema`\), or a plain JSON Schema object\./;
    const zod3 = { name: "z3", description: "d", parameters: z3.z.object({ q: z3.z.string() }) as unknown as JSONSchema, execute };
    expect(() => checkTools([zod3])).toThrow(/Tool "z3": its parameters are a zod 3 schema \(import \{ z \} from "zod\/v4" to get zod 4 schemas\)/);
    expect(() => checkTools([zod3])).toThrow(supported);
    const bare = { name: "bare", description: "d", parameters: standardSchema(qCheck), execute };
    expect(() => checkTools([bare])).toThrow(/Tool "bare": its parameters are a "handmade" Standard Schema without a JSON Schema converter/);
    expect(() => checkTools([bare])).toThrow(supported);
    const text = { name: "text", description: "d", parameters: "{}" as unknown as JSONSchema, execute };
    expect(() => checkTools([text])).toThrow(supported);
    expect(() => checkTools([text])).toThrow(expect.objectContaining({ code: "invalid-tool" }));
  });
});

describe("the built-in JSON Schema checker (zod without fromJSONSchema)", () => {
  const schema: JSONSchema = {
    type: "object",
    properties: {
      city: { type: "string", minLength: 2 },
      days: { type: "integer", minimum: 1, maximum: 7 },
      units: { enum: ["metric", "imperial"] },
      tags: { type: "array", items: { type: "string" }, maxItems: 2 },
      at: { anyOf: [{ type: "string" }, { type: "null" }] },
    },
    required: ["city"],
    additionalProperties: false,
  };

  it("accepts valid arguments as they are", () => {
    const args = { city: "Oslo", days: 3, units: "metric", tags: ["a"], at: null };
    expect(checkJsonSchema(schema, args)).toEqual({ value: args });
  });

  it("reports each problem with its path", () => {
    const result = checkJsonSchema(schema, { days: 1.5, units: "kelvin", tags: ["a", 2, "c"], at: 1, extra: true });
    expect(result.issues?.map((i) => [i.message, (i.path ?? []).join(".")])).toEqual([
      ["Invalid input: expected string, received undefined", "city"],
      ["Invalid input: expected integer, received number", "days"],
      ['Invalid option: expected one of "metric"|"imperial"', "units"],
      ["Too big: expected array to have <=2 items", "tags"],
      ["Invalid input: expected string, received number", "tags.1"],
      ["Invalid input", "at"],
      ['Unrecognized key: "extra"', ""],
    ]);
    expect(checkJsonSchema(schema, [1]).issues?.[0]?.message).toBe("Invalid input: expected object, received array");
  });
});
