/**
 * Tools: definition, the JSON Schema the model sees, and argument validation.
 * Both zod 4 schemas and plain JSON Schemas are validated with zod
 * (`z.fromJSONSchema` for the latter), so errors read the same either way.
 */
import { z, type ZodType } from "zod";
import { AgentError } from "./errors.js";
import type { AgentTool, AgentToolResult, JSONSchema, ToolCall, ToolSpec } from "./types.js";

/**
 * Declares a tool; with a zod schema, `execute`'s `args` are typed from it.
 * @example
 * const sum = defineTool({
 *   name: "sum", description: "Add numbers",
 *   parameters: z.object({ numbers: z.array(z.number()) }),
 *   async execute(_id, { numbers }) { return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] } },
 * });
 */
export function defineTool<TArgs = Record<string, unknown>, TDetails = unknown>(
  tool: AgentTool<TArgs, TDetails> & { parameters: ZodType<TArgs> | JSONSchema },
): AgentTool<TArgs, TDetails> {
  return tool;
}

function isZodSchema(parameters: unknown): parameters is ZodType {
  return typeof parameters === "object" && parameters !== null && "_zod" in parameters;
}

type CompiledTool = { spec: ToolSpec; validator: ZodType };
const compiled = new WeakMap<AgentTool, CompiledTool>();

function compile(tool: AgentTool): CompiledTool {
  let entry = compiled.get(tool);
  if (entry) return entry;
  const { parameters } = tool;
  let schema: JSONSchema;
  let validator: ZodType;
  if (isZodSchema(parameters)) {
    validator = parameters;
    const { $schema: _ignored, ...rest } = z.toJSONSchema(parameters, { io: "input" }) as JSONSchema;
    schema = rest;
  } else {
    schema = parameters as JSONSchema;
    try {
      validator = z.fromJSONSchema(parameters as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (error) {
      throw new AgentError(
        "invalid-tool",
        `Tool "${tool.name}": its JSON Schema cannot be used (${(error as Error).message}). Give a JSON Schema of an object, or a zod object schema.`,
      );
    }
  }
  if (schema.type !== "object") {
    throw new AgentError(
      "invalid-tool",
      `Tool "${tool.name}": parameters must describe an object (got type ${JSON.stringify(schema.type)}). Wrap the arguments in z.object({ … }) or { type: "object", properties: { … } }.`,
    );
  }
  entry = { spec: { name: tool.name, description: tool.description, parameters: schema }, validator };
  compiled.set(tool, entry);
  return entry;
}

/** The tool as the model sees it: name, description and a JSON Schema of its arguments. */
export function toolSpec(tool: AgentTool): ToolSpec {
  return compile(tool).spec;
}

/**
 * Checks a tool list before an agent uses it: names must be non-empty and
 * unique, schemas must describe objects. Throws {@link AgentError} otherwise.
 */
export function checkTools(tools: readonly AgentTool[]): void {
  if (!Array.isArray(tools)) throw new AgentError("invalid-tool", `Tools must be an array of tools; got ${describe(tools)}.`);
  const seen = new Set<string>();
  for (const tool of tools) {
    if (!tool || typeof tool.name !== "string" || tool.name === "" || typeof tool.execute !== "function") {
      throw new AgentError("invalid-tool", `Every tool needs a non-empty "name" and an "execute" function; got ${describe(tool)}.`);
    }
    if (seen.has(tool.name)) {
      throw new AgentError("duplicate-tool", `Two tools are named "${tool.name}". Tool names must be unique: rename one.`);
    }
    seen.add(tool.name);
    compile(tool);
  }
}

/** The outcome of checking a call's arguments. */
export type ArgumentCheck = { ok: true; args: unknown } | { ok: false; message: string };

/**
 * Validates a call's arguments against the tool's schema, in words the model
 * can act on; `invalid` is the call's {@link ToolCall.invalidArguments}, if any.
 */
export function validateToolArguments(tool: AgentTool, args: Record<string, unknown>, invalid?: ToolCall["invalidArguments"]): ArgumentCheck {
  if (invalid) {
    return {
      ok: false,
      message: `Invalid arguments for tool "${tool.name}": they are not valid JSON (${invalid.error}). Received: ${invalid.raw.slice(0, 200)}. Call the tool again with a JSON object.`,
    };
  }
  const result = compile(tool).validator.safeParse(args);
  if (result.success) return { ok: true, args: result.data };
  return {
    ok: false,
    message: `Invalid arguments for tool "${tool.name}":\n${z.prettifyError(result.error)}\nFix these and call the tool again.`,
  };
}

/** A tool result holding one text block. */
export function textResult(text: string, details?: unknown): AgentToolResult {
  return details === undefined ? { content: [{ type: "text", text }] } : { content: [{ type: "text", text }], details };
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    return String(value);
  }
}
