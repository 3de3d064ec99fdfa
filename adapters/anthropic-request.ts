/**
 * Maps a tinyagent {@link Context} to an Anthropic Messages request: URL,
 * headers (`x-api-key`, `anthropic-version`) and JSON body, with the
 * thinking budget, prompt-cache breakpoints and structured output.
 */
import type { Context, JSONSchema, Model, ReasoningLevel, StreamOptions } from "../src/core/types.js";
import { toAnthropicMessages, type WireBlock } from "./anthropic-messages.js";
import { resolveApiKey } from "./api-key.js";
import type { WireRequest } from "./sse-engine.js";

/** The `anthropic-version` header sent. */
export const ANTHROPIC_VERSION = "2023-06-01";
/** `max_tokens` (which Anthropic requires) when neither the options nor the model give one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 8192;
/** Thinking budget per reasoning level, in tokens; Anthropic's minimum is 1024. */
const THINKING_BUDGETS: Record<Exclude<ReasoningLevel, "off">, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768 };
const MIN_THINKING_BUDGET = 1024;
/** Effort of models that think adaptively (no budget). */
const EFFORTS: Record<Exclude<ReasoningLevel, "off">, string> = { minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "high" };

type CacheControl = { type: "ephemeral"; ttl?: "1h" };

/** `baseUrl` is the API root (`https://api.anthropic.com`); a root ending in `/v1` or the full `/v1/messages` URL work too. */
export function anthropicMessagesUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  if (trimmed.endsWith("/v1/messages")) return trimmed;
  return trimmed.endsWith("/v1") ? `${trimmed}/messages` : `${trimmed}/v1/messages`;
}

/** Builds the whole request for one call. */
export function buildAnthropicRequest(model: Model, context: Context, options: StreamOptions): WireRequest {
  const { key, source } = resolveApiKey(model.provider, options.apiKey);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
    "anthropic-version": ANTHROPIC_VERSION,
    ...(key ? { "x-api-key": key } : {}),
    ...model.headers,
    ...options.headers,
  };
  const cache = cacheControl(options.cacheRetention);
  const tools = context.tools ?? [];
  // Anthropic refuses a forced tool (tool_choice "any" or a named tool) while thinking: the explicit choice wins, this request does not think.
  const forced = tools.length > 0 && (options.toolChoice === "required" || typeof options.toolChoice === "object");
  const thinking = thinkingConfig(model, forced ? { ...options, reasoning: "off" } : options);
  const messages = toAnthropicMessages(model, context.messages);
  const body: Record<string, unknown> = { model: model.id, max_tokens: thinking.maxTokens, messages, stream: true };
  if (context.systemPrompt) body.system = [withCache({ type: "text", text: context.systemPrompt }, cache)];
  if (tools.length > 0) {
    body.tools = tools.map((t, i) => {
      const tool: WireBlock = { name: t.name, description: t.description, input_schema: t.parameters };
      return i === tools.length - 1 ? withCache(tool, cache) : tool;
    });
    if (options.toolChoice !== undefined) body.tool_choice = toolChoice(options.toolChoice);
  }
  // The last user message (text or tool results) is the breakpoint that caches the conversation so far.
  const lastUser = messages.findLast((m) => m.role === "user")?.content;
  if (lastUser && lastUser.length > 0) withCache(lastUser[lastUser.length - 1]!, cache);
  if (thinking.thinking) body.thinking = thinking.thinking;
  // Anthropic rejects a temperature while thinking.
  else if (options.temperature !== undefined) body.temperature = options.temperature;
  if (options.topP !== undefined) body.top_p = options.topP;
  if (options.stop && options.stop.length > 0) body.stop_sequences = options.stop;
  const outputConfig: Record<string, unknown> = {};
  if (thinking.effort) outputConfig.effort = thinking.effort;
  if (options.output) outputConfig.format = { type: "json_schema", schema: strictObjects(options.output.schema) };
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  Object.assign(body, options.extraBody);
  return { url: anthropicMessagesUrl(model.baseUrl), headers, body: JSON.stringify(body), keySource: source };
}

/** "short" (the default): 5-minute breakpoints; "long": the 1-hour TTL; "none": no breakpoints. */
function cacheControl(retention: StreamOptions["cacheRetention"]): CacheControl | undefined {
  if (retention === "none") return undefined;
  return retention === "long" ? { type: "ephemeral", ttl: "1h" } : { type: "ephemeral" };
}

function withCache(block: WireBlock, cache: CacheControl | undefined): WireBlock {
  if (cache) block.cache_control = cache;
  return block;
}

function toolChoice(choice: NonNullable<StreamOptions["toolChoice"]>): Record<string, string> {
  if (typeof choice === "object") return { type: "tool", name: choice.name };
  return { type: choice === "required" ? "any" : choice };
}

/**
 * The thinking request and the `max_tokens` that fits it. No level, or
 * "off", sends none. Models that think adaptively (Claude 4.6 and later) get
 * an effort; the others a budget, which `max_tokens` must exceed.
 */
function thinkingConfig(model: Model, options: StreamOptions): { maxTokens: number; thinking?: Record<string, unknown>; effort?: string } {
  const level = options.reasoning;
  const given = options.maxTokens ?? model.maxTokens;
  if (level === undefined || level === "off" || model.reasoning === false) return { maxTokens: given ?? DEFAULT_ANTHROPIC_MAX_TOKENS };
  if (thinksAdaptively(model.id)) {
    return { maxTokens: given ?? DEFAULT_ANTHROPIC_MAX_TOKENS, thinking: { type: "adaptive" }, effort: EFFORTS[level] };
  }
  const wanted = THINKING_BUDGETS[level];
  const maxTokens = given ?? DEFAULT_ANTHROPIC_MAX_TOKENS + wanted;
  // Leave at least MIN_THINKING_BUDGET tokens for the answer.
  const budget = Math.max(MIN_THINKING_BUDGET, Math.min(wanted, maxTokens - MIN_THINKING_BUDGET));
  return { maxTokens: Math.max(maxTokens, budget + MIN_THINKING_BUDGET), thinking: { type: "enabled", budget_tokens: budget } };
}

/** Claude 4.6 and later ("claude-opus-4-6", "claude-sonnet-4-6-…", "claude-opus-5"): thinking budgets are deprecated there. */
function thinksAdaptively(modelId: string): boolean {
  const match = /claude-(?:opus|sonnet|haiku)-(\d+)(?:[-.](\d{1,2}))?(?:$|[-@])/.exec(modelId);
  if (!match) return false;
  const major = Number(match[1]);
  return major > 4 || (major === 4 && Number(match[2] ?? 0) >= 6);
}

/** Anthropic's JSON-schema output needs `additionalProperties: false` on every object and no `$schema`; the rest goes as given. */
function strictObjects(schema: JSONSchema): JSONSchema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== "object" || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      // `properties`, `$defs` and `definitions` map names to schemas; `enum`/`const` values are data.
      if (key === "properties" || key === "$defs" || key === "definitions" || key === "patternProperties") {
        out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, sub]) => [name, visit(sub)]));
      } else if (key === "enum" || key === "const" || key === "default" || key === "examples") out[key] = value;
      else out[key] = typeof value === "object" ? visit(value) : value;
    }
    if (out.type === "object" && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
  };
  const { $schema: _dialect, ...strict } = visit(schema) as JSONSchema;
  return strict;
}
