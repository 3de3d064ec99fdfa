/**
 * Tools: definition, the JSON Schema the model sees, and argument validation.
 * A tool's `parameters` is a Standard Schema validator that can give JSON
 * Schema (zod 4, zod 3.25+'s `zod/v4`, or any with `~standard.jsonSchema`) or a
 * plain JSON Schema. Arguments are checked with the validator's own
 * `~standard.validate`; a plain JSON Schema with zod's `z.fromJSONSchema`
 * where the installed zod has it, else with a small built-in checker. zod is a
 * peer dependency: whichever zod the application has is the one used here.
 */
import * as z from "zod/v4";
import { AgentError } from "./errors.js";
import { checkJsonSchema } from "./json-schema-check.js";
import type { StandardIssue, StandardResult, StandardSchemaV1 } from "./standard-schema.js";
import type { AgentTool, AgentToolResult, JSONSchema, ToolCall, ToolParameters, ToolSpec } from "./types.js";

/**
 * Declares a tool; with a zod 4 or other Standard Schema, `execute`'s `args` are typed from it.
 * @example
 * const sum = defineTool({
 *   name: "sum", description: "Add numbers",
 *   parameters: z.object({ numbers: z.array(z.number()) }),
 *   async execute(_id, { numbers }) { return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] } },
 * });
 */
export function defineTool<TArgs = Record<string, unknown>, TDetails = unknown>(
  tool: AgentTool<TArgs, TDetails> & { parameters: ToolParameters<TArgs> },
): AgentTool<TArgs, TDetails> {
  return tool;
}

/** The kinds of `parameters` a tool may have, for error messages. */
export const SUPPORTED_SCHEMAS =
  'a zod 4 schema (zod 4, or zod 3.25+ imported from "zod/v4"), a Standard Schema validator that can give JSON Schema (`~standard.jsonSchema`), or a plain JSON Schema object';

type Validate = (value: unknown) => StandardResult<unknown> | Promise<StandardResult<unknown>>;
type CompiledTool = { spec: ToolSpec; validate: Validate };
const compiled = new WeakMap<AgentTool, CompiledTool>();

function isStandardSchema(value: object): value is StandardSchemaV1 {
  const standard = (value as { "~standard"?: unknown })["~standard"];
  return typeof standard === "object" && standard !== null && typeof (standard as { validate?: unknown }).validate === "function";
}

/** Who owns a schema, for error messages: `Tool "x"` and its `parameters`, or promptObject's `schema`. */
export type SchemaOwner = { name: string; noun: "parameters are" | "schema is"; code: "invalid-tool" | "invalid-input" };

function unsupported(owner: SchemaOwner, what: string): AgentError {
  return new AgentError(owner.code, `${owner.name}: its ${owner.noun} ${what}, which tinyagent cannot turn into JSON Schema. Use ${SUPPORTED_SCHEMAS}.`);
}

/** The JSON Schema of a Standard Schema validator's input, from the validator's own converter. */
function standardJsonSchema(owner: SchemaOwner, schema: StandardSchemaV1): JSONSchema {
  const standard = schema["~standard"];
  try {
    if (typeof standard.jsonSchema?.input === "function") return standard.jsonSchema.input({ target: "draft-2020-12" });
    // zod 4.0/4.1 and zod 3.25's zod/v4: no Standard JSON Schema yet, but zod's own converter.
    if ("_zod" in schema) return z.toJSONSchema(schema as unknown as z.ZodType, { io: "input" }) as JSONSchema;
  } catch (error) {
    throw new AgentError(owner.code, `${owner.name}: its schema cannot be turned into JSON Schema (${(error as Error).message}).`);
  }
  const vendor =
    standard.vendor === "zod"
      ? 'a zod 3 schema (import { z } from "zod/v4" to get zod 4 schemas)'
      : `a "${standard.vendor}" Standard Schema without a JSON Schema converter`;
  throw unsupported(owner, vendor);
}

/** A validator for a plain JSON Schema. */
function jsonSchemaValidator(owner: SchemaOwner, schema: JSONSchema): Validate {
  const fromJSONSchema = (z as { fromJSONSchema?: (schema: JSONSchema) => StandardSchemaV1 }).fromJSONSchema;
  if (typeof fromJSONSchema !== "function") return (value) => checkJsonSchema(schema, value);
  try {
    const validator = fromJSONSchema(schema)["~standard"];
    return (value) => validator.validate(value);
  } catch (error) {
    throw new AgentError(
      owner.code,
      `${owner.name}: its JSON Schema cannot be used (${(error as Error).message}). Give a JSON Schema of an object, or a zod object schema.`,
    );
  }
}

/** A schema as the model sees it (JSON Schema) and as the agent checks values against it. */
export type CompiledSchema = { schema: JSONSchema; validate: Validate };

/**
 * The JSON Schema and the validator of any schema a tool or `promptObject`
 * takes (see the module comment); throws {@link AgentError} naming `owner`
 * for an unsupported one.
 */
export function compileSchema(parameters: unknown, owner: SchemaOwner): CompiledSchema {
  if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
    throw unsupported(owner, describe(parameters));
  }
  if (isStandardSchema(parameters)) {
    const { $schema: _ignored, ...schema } = standardJsonSchema(owner, parameters);
    const standard = parameters["~standard"];
    return { schema, validate: (value) => standard.validate(value) };
  }
  if ("_def" in parameters && typeof (parameters as { safeParse?: unknown }).safeParse === "function") {
    throw unsupported(owner, 'a zod 3 schema (import { z } from "zod/v4" to get zod 4 schemas)');
  }
  const schema = parameters as JSONSchema;
  return { schema, validate: jsonSchemaValidator(owner, schema) };
}

function compile(tool: AgentTool): CompiledTool {
  let entry = compiled.get(tool);
  if (entry) return entry;
  const { schema, validate } = compileSchema(tool.parameters, { name: `Tool "${tool.name}"`, noun: "parameters are", code: "invalid-tool" });
  if (schema.type !== "object") {
    throw new AgentError(
      "invalid-tool",
      `Tool "${tool.name}": parameters must describe an object (got type ${JSON.stringify(schema.type)}). Wrap the arguments in z.object({ … }) or { type: "object", properties: { … } }.`,
    );
  }
  entry = { spec: { name: tool.name, description: tool.description, parameters: schema }, validate };
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
    if (tool.replay !== undefined && tool.replay !== "never" && tool.replay !== "safe") {
      throw new AgentError(
        "invalid-tool",
        `Tool "${tool.name}" has replay ${describe(tool.replay)}: use "safe" (run again after a restart) or "never" (the default).`,
      );
    }
    compile(tool);
  }
}

/** The outcome of checking a call's arguments. */
export type ArgumentCheck = { ok: true; args: unknown } | { ok: false; message: string };

/** Issues as lines the model can act on (the style of zod's `prettifyError`). */
export function formatIssues(issues: readonly StandardIssue[]): string {
  const lines: string[] = [];
  for (const issue of [...issues].sort((a, b) => (a.path?.length ?? 0) - (b.path?.length ?? 0))) {
    lines.push(`✖ ${issue.message}`);
    if (issue.path?.length) lines.push(`  → at ${dotPath(issue.path)}`);
  }
  return lines.join("\n");
}

function dotPath(path: NonNullable<StandardIssue["path"]>): string {
  let out = "";
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "symbol" || /[^\w$]/.test(key)) out += `[${JSON.stringify(String(key))}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

function outcome(tool: AgentTool, result: StandardResult<unknown>): ArgumentCheck {
  if (!result.issues) return { ok: true, args: result.value };
  return { ok: false, message: `Invalid arguments for tool "${tool.name}":\n${formatIssues(result.issues)}\nFix these and call the tool again.` };
}

/**
 * Validates a call's arguments against the tool's schema, in words the model
 * can act on; `invalid` is the call's {@link ToolCall.invalidArguments}, if any.
 * A promise only when the tool's validator is asynchronous.
 */
export function validateToolArguments(
  tool: AgentTool,
  args: Record<string, unknown>,
  invalid?: ToolCall["invalidArguments"],
): ArgumentCheck | Promise<ArgumentCheck> {
  if (invalid) {
    return {
      ok: false,
      message: `Invalid arguments for tool "${tool.name}": they are not valid JSON (${invalid.error}). Received: ${invalid.raw.slice(0, 200)}. Call the tool again with a JSON object.`,
    };
  }
  const result = compile(tool).validate(args);
  return result instanceof Promise ? result.then((r) => outcome(tool, r)) : outcome(tool, result);
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
