/**
 * A small JSON Schema checker for tool arguments, used when the installed zod
 * has no `z.fromJSONSchema` (zod < 4.2, zod 3.25's `zod/v4`). It covers what
 * tool schemas use: type, properties, required, additionalProperties, items,
 * enum, const, anyOf/oneOf/allOf, string/number/array bounds. Keywords it
 * does not know (`$ref`, `pattern`, `format`, …) are not checked. Issues read
 * like zod's, so the model sees one style of message.
 */
import type { StandardIssue, StandardResult } from "./standard-schema.js";
import type { JSONSchema } from "./types.js";

type Path = (string | number)[];

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return typeOf(value) === type;
  }
}

function isSchema(value: unknown): value is JSONSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function check(schema: unknown, value: unknown, path: Path, issues: StandardIssue[]): void {
  if (schema === false) issues.push({ message: "Unexpected value", path });
  if (!isSchema(schema)) return;
  const push = (message: string, at: Path = path): void => void issues.push({ message, path: at });
  const types = schema.type === undefined ? undefined : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((t) => typeof t === "string" && matchesType(value, t))) {
    return push(`Invalid input: expected ${types.join(" | ")}, received ${typeOf(value)}`);
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    return push(`Invalid input: expected ${JSON.stringify(schema.const)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
    return push(`Invalid option: expected one of ${schema.enum.map((o) => JSON.stringify(o)).join("|")}`);
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && !options.some((option) => collect(option, value, path).length === 0)) push("Invalid input");
  }
  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) check(part, value, path, issues);
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) push(`Too small: expected string to have >=${schema.minLength} characters`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) push(`Too big: expected string to have <=${schema.maxLength} characters`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) push(`Too small: expected number to be >=${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) push(`Too big: expected number to be <=${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) push(`Too small: expected number to be >${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) push(`Too big: expected number to be <${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) push(`Too small: expected array to have >=${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) push(`Too big: expected array to have <=${schema.maxItems} items`);
    if (isSchema(schema.items)) value.forEach((item, index) => check(schema.items, item, [...path, index], issues));
  }
  if (matchesType(value, "object")) {
    const object = value as Record<string, unknown>;
    const properties = isSchema(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const key of schema.required) {
        if (typeof key === "string" && object[key] === undefined) {
          const expected = isSchema(properties[key]) && properties[key].type !== undefined ? String(properties[key].type) : "value";
          push(`Invalid input: expected ${expected}, received undefined`, [...path, key]);
        }
      }
    }
    for (const [key, item] of Object.entries(object)) {
      if (key in properties) check(properties[key], item, [...path, key], issues);
      else if (schema.additionalProperties === false) push(`Unrecognized key: "${key}"`);
      else if (isSchema(schema.additionalProperties)) check(schema.additionalProperties, item, [...path, key], issues);
    }
  }
}

function collect(schema: unknown, value: unknown, path: Path): StandardIssue[] {
  const issues: StandardIssue[] = [];
  check(schema, value, path, issues);
  return issues;
}

/** Checks `value` against a JSON Schema, Standard-Schema style: the value back, or its issues. */
export function checkJsonSchema(schema: JSONSchema, value: unknown): StandardResult<unknown> {
  const issues = collect(schema, value, []);
  return issues.length === 0 ? { value } : { issues };
}
