/**
 * Structured output on top of a normal run (`agent.promptObject`): the run
 * (tools included) gets `output: { schema }` in its stream options, so each
 * provider uses its native JSON mode; the final assistant text is parsed and
 * checked with the schema's own validator (tools' machinery: zod, Standard
 * Schema or JSON Schema). A mismatch goes back to the model as a user message
 * saying what was wrong, a bounded number of times.
 */
import type { AgentActor } from "../machines/agent.machine.js";
import type { PromptInput } from "./agent-input.js";
import { AgentError } from "./core/errors.js";
import { assistantText } from "./core/messages.js";
import type { StandardIssue, StandardSchemaV1 } from "./core/standard-schema.js";
import { type CompiledSchema, compileSchema, formatIssues } from "./core/tools.js";
import type { AssistantMessage, JSONSchema, StreamOptions } from "./core/types.js";

/** What `promptObject` validates the answer with: a zod 4 / Standard Schema validator, or a JSON Schema. */
export type OutputSchema<TOutput = unknown> = StandardSchemaV1<unknown, TOutput> | JSONSchema;

/** Options of `agent.promptObject`. */
export type PromptObjectOptions = {
  /** How many times a non-matching answer is sent back for correction (default 2; 0 = one attempt). */
  maxRetries?: number;
  /** A name for the schema, for providers that take one (OpenAI's `json_schema.name`). */
  name?: string;
};

/** What `promptObject` needs of an agent: its actor (for the stream options) and `prompt`. */
export type ObjectPromptTarget = { readonly actor: AgentActor; prompt(input: PromptInput): Promise<AssistantMessage> };

type Verdict = { ok: true; value: unknown } | { ok: false; problem: string; issues?: readonly StandardIssue[] };

/**
 * Runs `input` and resolves with the final answer parsed and validated by
 * `schema`; rejects with {@link AgentError} "invalid-output" (holding the last
 * message) when the answer still does not match after `maxRetries`
 * corrections, or the run ends with an error or an abort. The caller has
 * checked that a prompt is legal now.
 */
export async function promptObject<TOutput>(
  agent: ObjectPromptTarget,
  input: PromptInput,
  schema: OutputSchema<TOutput>,
  options: PromptObjectOptions = {},
): Promise<TOutput> {
  const compiled = compileSchema(schema, { name: "promptObject", noun: "schema is", code: "invalid-input" });
  const maxRetries = options.maxRetries ?? 2;
  const previous = agent.actor.getSnapshot().context.streamOptions.output;
  setOutput(agent.actor, options.name ? { schema: compiled.schema, name: options.name } : { schema: compiled.schema });
  try {
    let message = await agent.prompt(input);
    for (let attempt = 1; ; attempt++) {
      if (message.stopReason === "error" || message.stopReason === "aborted") {
        const why = message.errorMessage ?? message.stopReason;
        throw new AgentError(
          "invalid-output",
          `promptObject: the run ended with ${message.stopReason === "error" ? "an error" : "an abort"} before a valid answer: ${why}`,
          { lastMessage: message },
        );
      }
      const verdict = await check(message, compiled.validate);
      if (verdict.ok) return verdict.value as TOutput;
      if (attempt > maxRetries) {
        const tries = attempt === 1 ? "1 attempt" : `${attempt} attempts`;
        throw new AgentError("invalid-output", `promptObject: the answer did not match the schema after ${tries}. ${verdict.problem}`, {
          lastMessage: message,
          ...(verdict.issues ? { issues: verdict.issues } : {}),
        });
      }
      message = await agent.prompt(`${verdict.problem}\nReply again with only the corrected JSON value.`);
    }
  } finally {
    setOutput(agent.actor, previous);
  }
}

/** Sets (or, with undefined, removes) `output` in the agent's stream options, keeping the others. */
function setOutput(actor: AgentActor, output: StreamOptions["output"]): void {
  const { output: _replaced, ...rest } = actor.getSnapshot().context.streamOptions;
  actor.send({ type: "agent.configure", settings: { streamOptions: output ? { ...rest, output } : rest } });
}

/** Parses the answer's text as JSON (a code fence around it is tolerated) and validates it. */
async function check(message: AssistantMessage, validate: CompiledSchema["validate"]): Promise<Verdict> {
  const text = assistantText(message).trim();
  const json = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(text)?.[1] ?? text;
  if (json === "") return { ok: false, problem: "Your answer has no text: it must be a JSON value matching the schema." };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { ok: false, problem: `Your answer is not valid JSON (${(error as Error).message}).` };
  }
  const result = await validate(value);
  if (!result.issues) return { ok: true, value: result.value };
  return { ok: false, problem: `Your answer does not match the schema:\n${formatIssues(result.issues)}`, issues: result.issues };
}
