/**
 * Maps a tinyagent {@link Context} to a Gemini `streamGenerateContent`
 * request: URL, headers (the key as `x-goog-api-key`) and JSON body.
 * Continuation: thought signatures go back on the parts that carried them,
 * but only to the model that made them; another model's thinking is dropped.
 */
import type { AssistantMessage, Context, ImageContent, JSONSchema, Model, ReasoningLevel, StreamOptions, ToolResultMessage } from "../src/core/types.js";
import type { WireRequest } from "./sse-engine.js";
import { resolveApiKey } from "./api-key.js";
import { TOOL_IMAGES_INTRO, toolResultText } from "./tool-result-text.js";

/** One part of a Gemini `Content`. */
export type GeminiPart = {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  functionCall?: { name: string; args: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
};

/** One turn of `contents`. */
export type GeminiContent = { role: "user" | "model"; parts: GeminiPart[] };

/** Prefix of the ids this adapter makes for calls Gemini sent without one: never sent back as ids. */
export const GENERATED_ID_PREFIX = "gemini_";

/** The stream URL: `baseUrl` is the host root, or already ends in an API version (`…/v1beta`). */
export function googleStreamUrl(baseUrl: string, modelId: string): string {
  const root = baseUrl.replace(/\/+$/, "");
  const versioned = /\/v1(alpha|beta)?$/.test(root) ? root : `${root}/v1beta`;
  return `${versioned}/models/${encodeURIComponent(modelId.replace(/^models\//, ""))}:streamGenerateContent?alt=sse`;
}

/** Gemini 3 takes `thinkingLevel` and JSON output together with tools; 2.x takes `thinkingBudget` and not both. */
function isGemini3(model: Model): boolean {
  return /gemini-3/i.test(model.id);
}

/** Builds the whole request for one call. */
export function buildGoogleRequest(model: Model, context: Context, options: StreamOptions): WireRequest {
  const { key, source } = resolveApiKey("google", options.apiKey);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
    ...(key ? { "x-goog-api-key": key } : {}),
    ...model.headers,
    ...options.headers,
  };
  const body: Record<string, unknown> = { contents: toGeminiContents(model, context) };
  const hasTools = (context.tools?.length ?? 0) > 0;
  const system: GeminiPart[] = context.systemPrompt ? [{ text: context.systemPrompt }] : [];
  const generationConfig: Record<string, unknown> = {};
  if (options.output) {
    const schema = withoutMetaKeys(options.output.schema);
    if (hasTools && !isGemini3(model)) {
      // Gemini 2.x rejects function calling with a JSON response type: the schema becomes an instruction.
      system.push({
        text: `When you give your final answer, reply with only a JSON value (no prose, no code fence) matching this JSON Schema:\n${JSON.stringify(schema)}`,
      });
    } else {
      generationConfig.responseMimeType = "application/json";
      generationConfig.responseJsonSchema = schema;
    }
  }
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (hasTools) {
    body.tools = [
      { functionDeclarations: context.tools!.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: withoutMetaKeys(t.parameters) })) },
    ];
    if (options.toolChoice) body.toolConfig = { functionCallingConfig: functionCalling(options.toolChoice) };
  }
  if (options.maxTokens !== undefined) generationConfig.maxOutputTokens = options.maxTokens;
  if (options.temperature !== undefined) generationConfig.temperature = options.temperature;
  if (options.topP !== undefined) generationConfig.topP = options.topP;
  if (options.stop?.length) generationConfig.stopSequences = options.stop;
  if (options.seed !== undefined) generationConfig.seed = options.seed;
  const thinking = thinkingConfig(model, options.reasoning);
  if (thinking) generationConfig.thinkingConfig = thinking;
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  Object.assign(body, options.extraBody);
  return { url: googleStreamUrl(model.baseUrl, model.id), headers, body: JSON.stringify(body), keySource: source };
}

// `$schema` (zod adds it) is refused by Gemini's schema fields.
function withoutMetaKeys(schema: JSONSchema): JSONSchema {
  const { $schema: _dropped, ...rest } = schema;
  return rest;
}

function functionCalling(choice: NonNullable<StreamOptions["toolChoice"]>): Record<string, unknown> {
  if (typeof choice === "object") return { mode: "ANY", allowedFunctionNames: [choice.name] };
  return { mode: choice === "required" ? "ANY" : choice === "none" ? "NONE" : "AUTO" };
}

const BUDGETS: Record<Exclude<ReasoningLevel, "off">, number> = { minimal: 1024, low: 4096, medium: 8192, high: 16384, xhigh: 24576 };

/**
 * `thinkingConfig` for a reasoning level. Unset on a reasoning model: thoughts
 * are included (so their signatures come back). "off": a zero budget where the
 * model allows one; Gemini 3 and 2.5 Pro cannot stop thinking, so they get none.
 */
function thinkingConfig(model: Model, level: ReasoningLevel | undefined): Record<string, unknown> | undefined {
  if (level === undefined) return model.reasoning ? { includeThoughts: true } : undefined;
  if (level === "off") return isGemini3(model) || /gemini-2\.5-pro/i.test(model.id) ? undefined : { thinkingBudget: 0 };
  if (isGemini3(model)) return { includeThoughts: true, thinkingLevel: level === "minimal" || level === "low" ? "low" : "high" };
  return { includeThoughts: true, thinkingBudget: BUDGETS[level] };
}

/**
 * The `contents` array. A run of tool results becomes one user turn of
 * `functionResponse` parts, in call order (Gemini pairs them with the calls of
 * the turn before); their images follow in a user turn of their own.
 */
export function toGeminiContents(model: Model, context: Context): GeminiContent[] {
  const out: GeminiContent[] = [];
  // Ids Gemini itself gave calls: their responses echo them.
  const wireIds = new Set<string>();
  let responses: GeminiPart[] | undefined;
  let images: GeminiPart[] = [];
  const flush = () => {
    if (images.length > 0) out.push({ role: "user", parts: [{ text: TOOL_IMAGES_INTRO }, ...images] });
    responses = undefined;
    images = [];
  };
  for (const message of context.messages) {
    if (message.role === "toolResult") {
      if (!responses) {
        responses = [];
        out.push({ role: "user", parts: responses });
      }
      responses.push(functionResponse(message, wireIds.has(message.toolCallId) ? message.toolCallId : undefined));
      for (const c of message.content) if (c.type === "image") images.push(inlineData(c));
      continue;
    }
    flush();
    if (message.role === "user") {
      const parts =
        typeof message.content === "string" ? [{ text: message.content }] : message.content.map((c) => (c.type === "text" ? { text: c.text } : inlineData(c)));
      const kept = parts.filter((p) => p.text !== "");
      if (kept.length > 0) out.push({ role: "user", parts: kept });
    } else {
      const parts = modelParts(model, message, wireIds);
      if (parts.length > 0) out.push({ role: "model", parts });
    }
  }
  flush();
  return out;
}

function inlineData(image: ImageContent): GeminiPart {
  return { inlineData: { mimeType: image.mimeType, data: image.data } };
}

function functionResponse(message: ToolResultMessage, wireId: string | undefined): GeminiPart {
  const value = toolResultText(message);
  const part: GeminiPart = { functionResponse: { name: message.toolName, response: message.isError ? { error: value } : { output: value } } };
  if (wireId) part.functionResponse!.id = wireId;
  return part;
}

/** An assistant message as model parts: signatures and thought parts only for the model that made them. */
function modelParts(model: Model, message: AssistantMessage, wireIds: Set<string>): GeminiPart[] {
  const same = message.api === model.api && message.provider === model.provider && message.model === model.id;
  const parts: GeminiPart[] = [];
  for (const block of message.content) {
    const signature = same ? block.signature : undefined;
    const signed = signature ? { thoughtSignature: signature } : {};
    if (block.type === "text") {
      if (block.text !== "" || signature) parts.push({ text: block.text, ...signed });
    } else if (block.type === "thinking") {
      // Another model's reasoning is not Gemini's to continue: dropped, as is redacted reasoning.
      if (!same || block.redacted) continue;
      if (block.thinking !== "" || signature) parts.push({ text: block.thinking, thought: true, ...signed });
    } else {
      const call: NonNullable<GeminiPart["functionCall"]> = { name: block.name, args: block.arguments };
      if (same && !block.id.startsWith(GENERATED_ID_PREFIX)) {
        call.id = block.id;
        wireIds.add(block.id);
      }
      parts.push({ functionCall: call, ...signed });
    }
  }
  return parts;
}
