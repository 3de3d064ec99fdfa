/**
 * The Standard Schema (https://standardschema.dev) and Standard JSON Schema
 * interfaces, written out here as the spec recommends, so tool types depend
 * on no validator library. zod 4 (and zod 3.25+'s `zod/v4`) schemas, valibot,
 * ArkType and others implement `~standard`; those that can describe
 * themselves as JSON Schema also have `~standard.jsonSchema`.
 */

/** The path segment of a validation issue. */
export type StandardPathSegment = { readonly key: PropertyKey };

/** One problem a Standard Schema validator found. */
export type StandardIssue = {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | StandardPathSegment> | undefined;
};

/** What `~standard.validate` returns: the value, or the issues. */
export type StandardResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<StandardIssue> };

/** The JSON Schema dialect asked of a Standard JSON Schema converter. */
export type StandardJSONSchemaTarget = "draft-2020-12" | "draft-07" | "openapi-3.0" | ({} & string);

/** Standard JSON Schema: turns a schema's input or output type into JSON Schema. May throw. */
export type StandardJSONSchemaConverter = {
  readonly input: (options: {
    readonly target: StandardJSONSchemaTarget;
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }) => Record<string, unknown>;
  readonly output: (options: {
    readonly target: StandardJSONSchemaTarget;
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }) => Record<string, unknown>;
};

/** The `~standard` properties of a {@link StandardSchemaV1}. */
export type StandardSchemaV1Props<Input = unknown, Output = Input> = {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (
    value: unknown,
    options?: { readonly libraryOptions?: Record<string, unknown> | undefined } | undefined,
  ) => StandardResult<Output> | Promise<StandardResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  /** Present on validators that implement Standard JSON Schema (e.g. zod ≥ 4.2). */
  readonly jsonSchema?: StandardJSONSchemaConverter | undefined;
};

/** A Standard Schema validator, e.g. a zod 4 schema; `Output` is what validation yields. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaV1Props<Input, Output>;
}

/** The type a Standard Schema validator yields. */
export type InferSchemaOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;
