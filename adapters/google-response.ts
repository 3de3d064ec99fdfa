/**
 * Maps Gemini `GenerateContentResponse` chunks onto an
 * {@link AssistantMessageBuilder}: text and thought parts, whole function
 * calls (given ids when Gemini sent none), thought signatures kept on the
 * block of the part that carried them, usage, finish and block reasons, and
 * an `error` object in the stream.
 */
import type { ModelCost } from "../src/core/types.js";
import { isRecord } from "../src/core/message-checks.js";
import type { AssistantMessageBuilder } from "./assistant-message-builder.js";
import { GENERATED_ID_PREFIX, type GeminiPart } from "./google-request.js";
import { StreamFailure } from "./http-errors.js";
import { mapUsage } from "./openai-response.js";
import { quote, type SseDecoder } from "./sse-engine.js";

/** The fields of a streamed `GenerateContentResponse` we read; everything is optional on the wire. */
export type GeminiChunk = {
  candidates?: { content?: { parts?: GeminiPart[] | null } | null; finishReason?: string; finishMessage?: string }[] | null;
  usageMetadata?: GeminiUsage | null;
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string } | null;
  responseId?: string;
  error?: { code?: number; message?: string; status?: string } | null;
};

/** Gemini's token counts: `promptTokenCount` includes the cached ones, `candidatesTokenCount` excludes the thoughts. */
export type GeminiUsage = {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
};

/** Why Gemini stopped, for each finish reason that is not a normal end. */
const STOPPED: Record<string, string> = {
  SAFETY: "the answer was blocked by Gemini's safety filters",
  RECITATION: "the answer was stopped because it recited protected material",
  LANGUAGE: "the answer is in a language Gemini does not support",
  BLOCKLIST: "the answer contained a term of the blocklist",
  PROHIBITED_CONTENT: "the answer contained prohibited content",
  SPII: "the answer contained sensitive personal information",
  IMAGE_SAFETY: "a generated image was blocked by the safety filters",
  MALFORMED_FUNCTION_CALL: "Gemini wrote a function call it could not parse; try again or simplify the tool's schema",
  UNEXPECTED_TOOL_CALL: "Gemini called a tool although no tool is enabled",
  OTHER: "Gemini stopped for an unspecified reason",
};

/** Statuses of an in-stream `error` worth a retry (before any content). */
const RETRYABLE = new Set(["UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL"]);

/** The decoder of one attempt. */
export function geminiDecoder(builder: AssistantMessageBuilder, cost: ModelCost | undefined, url: string): SseDecoder {
  let finishReason: string | undefined;
  let finishMessage: string | undefined;
  let usage: GeminiUsage | undefined;
  let responseId: string | undefined;
  let calls = 0;
  const apply = (chunk: GeminiChunk) => {
    if (chunk.error) {
      const { message, status, code } = chunk.error;
      const what = [status, code !== undefined ? `code ${code}` : undefined].filter(Boolean).join(", ");
      const retryable = (status !== undefined && RETRYABLE.has(status)) || code === 429 || code === 500 || code === 503;
      throw new StreamFailure(`Gemini reported an error mid-stream: ${message ?? JSON.stringify(chunk.error)}${what ? ` (${what})` : ""}`, retryable);
    }
    responseId ??= chunk.responseId;
    if (chunk.usageMetadata) usage = chunk.usageMetadata;
    const block = chunk.promptFeedback?.blockReason;
    if (block) {
      const said = chunk.promptFeedback?.blockReasonMessage;
      throw new StreamFailure(
        `Gemini blocked the prompt (blockReason ${block})${said ? `: ${said}` : ""}. Rephrase the request or adjust the safety settings (extraBody.safetySettings).`,
      );
    }
    const candidate = chunk.candidates?.[0];
    if (!candidate) return;
    const parts = candidate.content?.parts;
    if (Array.isArray(parts)) for (const part of parts) applyPart(part);
    if (candidate.finishReason) {
      finishReason = candidate.finishReason;
      finishMessage = candidate.finishMessage;
    }
  };
  const applyPart = (part: GeminiPart) => {
    const signature = part.thoughtSignature || undefined;
    if (part.functionCall) {
      const { name, args, id } = part.functionCall;
      const n = calls++;
      builder.toolCall(`call${n}`, {
        id: id || `${GENERATED_ID_PREFIX}${responseId ?? "call"}_${n}`,
        name,
        arguments: JSON.stringify(args ?? {}),
        // Already parsed: the text need not be parsed twice (a non-object still goes through the text's checks).
        parsed: isRecord(args) ? args : args === undefined || args === null ? {} : undefined,
        signature,
      });
      return;
    }
    if (typeof part.text !== "string" && !signature) return;
    const text = typeof part.text === "string" ? part.text : "";
    if (part.thought) builder.thinking(text, signature);
    else builder.text(text, signature);
    // A signature belongs to its own part: the next part starts a new block.
    if (signature) builder.endBlock();
  };
  return {
    done: false,
    get finishing() {
      return finishReason !== undefined;
    },
    event: (data) => apply(data as GeminiChunk),
    // `streamGenerateContent` without `alt=sse` answers with a JSON array of chunks.
    json: (body) => {
      for (const chunk of Array.isArray(body) ? body : [body]) {
        if (typeof chunk !== "object" || chunk === null)
          throw new StreamFailure(`The JSON response from ${url} is not a Gemini response: ${quote(JSON.stringify(body))}`);
        apply(chunk as GeminiChunk);
      }
    },
    end: () => {
      if (usage) builder.setUsage(geminiUsage(usage, cost));
      if (finishReason === undefined) {
        throw new StreamFailure(
          `The stream from ${url} ended before the model finished (no finishReason)${builder.hasContent ? "; the partial answer is kept" : ""}.`,
        );
      }
      if (finishReason === "MAX_TOKENS") return builder.finish("length");
      if (finishReason === "STOP" || finishReason === "FINISH_REASON_UNSPECIFIED") {
        return builder.finish(builder.message.content.some((c) => c.type === "toolCall") ? "toolUse" : "stop");
      }
      const why = STOPPED[finishReason] ?? "Gemini stopped the answer";
      throw new StreamFailure(`${why} (finishReason ${finishReason})${finishMessage ? `: ${finishMessage}` : ""}.`);
    },
  };
}

/** Gemini's counts as {@link Usage}: thoughts count as output, cached tokens as cache reads. */
function geminiUsage(raw: GeminiUsage, cost: ModelCost | undefined) {
  return mapUsage(
    {
      prompt_tokens: (raw.promptTokenCount ?? 0) + (raw.toolUsePromptTokenCount ?? 0),
      completion_tokens: (raw.candidatesTokenCount ?? 0) + (raw.thoughtsTokenCount ?? 0),
      prompt_tokens_details: { cached_tokens: raw.cachedContentTokenCount ?? 0 },
    },
    cost,
  );
}

/**
 * The wait a Gemini error body asks for: a 429 carries it as a
 * `google.rpc.RetryInfo` detail (`"retryDelay": "38s"`, a protobuf Duration),
 * not as a `retry-after` header. Undefined when the body states none.
 */
export function geminiRetryDelayMs(errorBody: string): number | undefined {
  let details: unknown;
  try {
    details = (JSON.parse(errorBody) as { error?: { details?: unknown } }).error?.details;
  } catch {
    return undefined;
  }
  if (!Array.isArray(details)) return undefined;
  for (const detail of details as { "@type"?: unknown; retryDelay?: unknown }[]) {
    if (typeof detail?.["@type"] !== "string" || !detail["@type"].endsWith("google.rpc.RetryInfo")) continue;
    const seconds = typeof detail.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay.trim())?.[1] : undefined;
    if (seconds !== undefined) return Math.round(Number(seconds) * 1000);
  }
  return undefined;
}
