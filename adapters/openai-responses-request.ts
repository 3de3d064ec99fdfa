/**
 * Maps a tinyagent {@link Context} and {@link StreamOptions} to an OpenAI
 * Responses request (`POST {baseUrl}/responses`). Nothing is stored on
 * OpenAI's side (`store: false`): each request carries the whole transcript,
 * and reasoning goes back as the encrypted items the model produced.
 */
import type { AssistantMessage, Context, ImageContent, Model, StreamOptions, TextContent } from "../src/core/types.js";
import { type CallIdMapper, callIdMapper } from "./call-ids.js";
import { bearerHeaders } from "./api-key.js";
import type { WireRequest } from "./sse-engine.js";
import { imageHold, TOOL_IMAGES_INTRO, toolResultImages, toolResultText } from "./tool-result-text.js";

/** The `api` id of OpenAI Responses models. */
export const OPENAI_RESPONSES_API = "openai-responses";

type InputContent = { type: "input_text"; text: string } | { type: "input_image"; image_url: string; detail: "auto" };
type OutputText = { type: "output_text"; text: string; annotations: [] };

/** One item of the request's `input`. */
export type ResponsesInputItem =
  | { role: "user"; content: InputContent[] }
  | { role: "assistant"; content: string }
  | { type: "message"; id: string; role: "assistant"; status: "completed"; content: OutputText[] }
  | { type: "reasoning"; id: string; encrypted_content: string; summary: { type: "summary_text"; text: string }[] }
  | { type: "function_call"; id?: string; call_id: string; name: string; arguments: string }
  | { type: "function_call_output"; call_id: string; output: string };

/** A reasoning item's continuation token as kept in `ThinkingContent.signature`. */
type ReasoningToken = { id: string; encrypted_content: string };

/** The `signature` of a thinking block for reasoning item `id`: JSON of the item id and its encrypted content. */
export function reasoningSignature(id: string, encryptedContent: string): string {
  return JSON.stringify({ id, encrypted_content: encryptedContent } satisfies ReasoningToken);
}

function parseReasoningSignature(signature: string | undefined): ReasoningToken | undefined {
  if (!signature?.startsWith("{")) return undefined;
  try {
    const token = JSON.parse(signature) as Partial<ReasoningToken>;
    return typeof token.id === "string" && typeof token.encrypted_content === "string" ? (token as ReasoningToken) : undefined;
  } catch {
    return undefined;
  }
}

/** `baseUrl` may be the API root (`…/v1`) or the full `…/responses` URL. */
export function responsesUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return trimmed.endsWith("/responses") ? trimmed : `${trimmed}/responses`;
}

/** Builds the whole request for one call. */
export function buildResponsesRequest(model: Model, context: Context, options: StreamOptions): WireRequest {
  const { headers, source } = bearerHeaders(model, options);
  const body: Record<string, unknown> = { model: model.id, input: toResponsesInput(model, context), stream: true, store: false };
  if (context.systemPrompt) body.instructions = context.systemPrompt;
  if (context.tools && context.tools.length > 0) {
    // `strict` defaults to true on this API, which rejects most hand-written schemas.
    body.tools = context.tools.map((t) => ({ type: "function", name: t.name, description: t.description, parameters: t.parameters, strict: false }));
  }
  const choice = options.toolChoice;
  if (choice !== undefined) body.tool_choice = typeof choice === "string" ? choice : { type: "function", name: choice.name };
  if (options.maxTokens !== undefined) body.max_output_tokens = options.maxTokens;
  if (options.temperature !== undefined) body.temperature = options.temperature;
  if (options.topP !== undefined) body.top_p = options.topP;
  const level = options.reasoning;
  if (level !== undefined && level !== "off") body.reasoning = { effort: level, summary: "auto" };
  else if (level === undefined && model.reasoning) body.reasoning = { summary: "auto" };
  // A reasoning model reasons even when asked for no effort: its items must come back encrypted to be replayable.
  if (body.reasoning !== undefined || model.reasoning) body.include = ["reasoning.encrypted_content"];
  if (options.sessionId && options.cacheRetention !== "none") {
    body.prompt_cache_key = options.sessionId;
    if (options.cacheRetention === "long") body.prompt_cache_retention = "24h";
  }
  if (options.output) {
    const name = (options.output.name ?? "output").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
    body.text = { format: { type: "json_schema", name, schema: options.output.schema, strict: false } };
  }
  Object.assign(body, options.extraBody);
  return { url: responsesUrl(model.baseUrl), headers, body: JSON.stringify(body), keySource: source };
}

/**
 * The `input` array. Images of tool results cannot ride in a
 * `function_call_output`, so they follow the run of results in one user message.
 */
export function toResponsesInput(model: Model, context: Context): ResponsesInputItem[] {
  const out: ResponsesInputItem[] = [];
  const ids = callIdMapper();
  const images = imageHold<InputContent>((parts) => out.push({ role: "user", content: [{ type: "input_text", text: TOOL_IMAGES_INTRO }, ...parts] }));
  for (const message of context.messages) {
    if (message.role !== "toolResult") images.flush();
    switch (message.role) {
      case "user": {
        const content = typeof message.content === "string" ? [{ type: "input_text" as const, text: message.content }] : message.content.map(toInputContent);
        out.push({ role: "user", content });
        break;
      }
      case "assistant":
        out.push(...assistantItems(message, model, ids));
        break;
      case "toolResult":
        images.add(toolResultImages(message).map(toInputContent));
        out.push({ type: "function_call_output", call_id: ids.result(message.toolCallId), output: toolResultText(message) });
        break;
    }
  }
  images.flush();
  return out;
}

function toInputContent(c: TextContent | ImageContent): InputContent {
  return c.type === "text" ? { type: "input_text", text: c.text } : { type: "input_image", image_url: `data:${c.mimeType};base64,${c.data}`, detail: "auto" };
}

/**
 * An assistant message as input items. Reasoning items go back only to the
 * model that made them (others cannot decrypt them) and only from a message
 * that completed; with them go the message and call item ids OpenAI pairs
 * them by. Without them no item ids are sent (an id whose reasoning item is
 * missing is rejected), and thinking of other models is dropped, never sent raw.
 */
function assistantItems(message: AssistantMessage, model: Model, ids: CallIdMapper): ResponsesInputItem[] {
  const native = message.api === OPENAI_RESPONSES_API && message.provider === model.provider && message.model === model.id;
  const complete = message.stopReason !== "error" && message.stopReason !== "aborted";
  const blocks = message.content;
  // A reasoning item must be followed by another item of its message: a trailing one is dropped.
  let last = blocks.length - 1;
  while (last >= 0 && blocks[last]!.type === "thinking") last--;
  const reasoning = new Map<number, ReasoningToken>();
  if (native && complete) {
    for (let i = 0; i < last; i++) {
      const block = blocks[i]!;
      const token = block.type === "thinking" ? parseReasoningSignature(block.signature) : undefined;
      if (token) reasoning.set(i, token);
    }
  }
  const withIds = reasoning.size > 0;
  const items: ResponsesInputItem[] = [];
  blocks.forEach((block, i) => {
    if (block.type === "thinking") {
      const token = reasoning.get(i);
      if (token) items.push({ type: "reasoning", ...token, summary: block.thinking ? [{ type: "summary_text", text: block.thinking }] : [] });
    } else if (block.type === "text") {
      if (block.text === "") return;
      if (withIds && block.signature) {
        items.push({
          type: "message",
          id: block.signature,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: block.text, annotations: [] }],
        });
      } else items.push({ role: "assistant", content: block.text });
    } else {
      const call: ResponsesInputItem = {
        type: "function_call",
        call_id: ids.call(block.id),
        name: block.name,
        arguments: block.invalidArguments?.raw ?? JSON.stringify(block.arguments),
      };
      if (withIds && block.signature) call.id = block.signature;
      items.push(call);
    }
  });
  return items;
}
