/**
 * Builders of OpenAI Responses stream bodies for tests, shaped like what
 * api.openai.com sends: `event: <type>` + `data: <json>` per event, numbered
 * by `sequence_number`, each output item announced (`output_item.added`),
 * streamed in deltas, and finished (`output_item.done`), then
 * `response.completed` with the usage. No `[DONE]`: the API sends none.
 */

/** One event object (its `type` becomes the SSE `event:` field). */
export type ResponsesWireEvent = { type: string } & Record<string, unknown>;

/** Usage as the Responses API reports it. */
export type WireUsage = { input: number; output: number; cached?: number; reasoning?: number };

/** Builds one response's events in order; `body()` is the SSE text. */
export class ResponsesStream {
  readonly events: ResponsesWireEvent[] = [];
  private outputIndex = 0;
  private readonly output: Record<string, unknown>[] = [];

  constructor(
    readonly id = "resp_68c1f0a2b4e08190a5c1d2e3f4a5b6c7",
    readonly model = "gpt-5-mini-2025-08-07",
  ) {
    const response = this.response("in_progress", null);
    this.push({ type: "response.created", response });
    this.push({ type: "response.in_progress", response });
  }

  /** A reasoning item: summary paragraphs streamed in two pieces each, then the item with its encrypted content. */
  reasoning(itemId: string, summary: string[], encrypted: string | null = `gAAAAABo${itemId.slice(3, 15)}Qx9-enc_Zk2`): this {
    const output_index = this.outputIndex++;
    this.push({ type: "response.output_item.added", output_index, item: { id: itemId, type: "reasoning", summary: [] } });
    summary.forEach((text, summary_index) => {
      const base = { item_id: itemId, output_index, summary_index };
      this.push({ type: "response.reasoning_summary_part.added", ...base, part: { type: "summary_text", text: "" } });
      for (const delta of halves(text)) this.push({ type: "response.reasoning_summary_text.delta", ...base, delta, obfuscation: "k3Jx" });
      this.push({ type: "response.reasoning_summary_text.done", ...base, text });
      this.push({ type: "response.reasoning_summary_part.done", ...base, part: { type: "summary_text", text } });
    });
    const item: Record<string, unknown> = { id: itemId, type: "reasoning", summary: summary.map((text) => ({ type: "summary_text", text })) };
    if (encrypted !== null) item.encrypted_content = encrypted;
    return this.done(output_index, item);
  }

  /** An assistant message item whose text streams in `pieces`. */
  message(itemId: string, ...pieces: string[]): this {
    const output_index = this.outputIndex++;
    const text = pieces.join("");
    this.push({
      type: "response.output_item.added",
      output_index,
      item: { id: itemId, type: "message", status: "in_progress", content: [], role: "assistant" },
    });
    const base = { item_id: itemId, output_index, content_index: 0 };
    this.push({ type: "response.content_part.added", ...base, part: { type: "output_text", annotations: [], logprobs: [], text: "" } });
    for (const delta of pieces) this.push({ type: "response.output_text.delta", ...base, delta, logprobs: [], obfuscation: "Qm" });
    this.push({ type: "response.output_text.done", ...base, text, logprobs: [] });
    const part = { type: "output_text", annotations: [], logprobs: [], text };
    this.push({ type: "response.content_part.done", ...base, part });
    return this.done(output_index, { id: itemId, type: "message", status: "completed", content: [part], role: "assistant" });
  }

  /** A function call item whose arguments stream in `pieces` (default: the JSON text in two halves). */
  functionCall(itemId: string, callId: string, name: string, args: string, pieces = halves(args)): this {
    const output_index = this.outputIndex++;
    this.push({
      type: "response.output_item.added",
      output_index,
      item: { id: itemId, type: "function_call", status: "in_progress", arguments: "", call_id: callId, name },
    });
    for (const delta of pieces) this.push({ type: "response.function_call_arguments.delta", item_id: itemId, output_index, delta, obfuscation: "Zq" });
    this.push({ type: "response.function_call_arguments.done", item_id: itemId, output_index, arguments: args });
    return this.done(output_index, { id: itemId, type: "function_call", status: "completed", arguments: args, call_id: callId, name });
  }

  /** Any other event, as is. */
  raw(event: ResponsesWireEvent): this {
    this.push(event);
    return this;
  }

  /** `response.completed` with usage. */
  completed(usage: WireUsage = { input: 20, output: 10 }): this {
    this.push({ type: "response.completed", response: this.response("completed", usage) });
    return this;
  }

  /** `response.incomplete` for `reason`. */
  incomplete(reason: string, usage: WireUsage = { input: 20, output: 16 }): this {
    this.push({ type: "response.incomplete", response: { ...this.response("incomplete", usage), incomplete_details: { reason } } });
    return this;
  }

  /** `response.failed` with the provider's error. */
  failed(code: string, message: string): this {
    this.push({ type: "response.failed", response: { ...this.response("failed", null), error: { code, message } } });
    return this;
  }

  /** The SSE body. */
  body(): string {
    return this.events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
  }

  private done(output_index: number, item: Record<string, unknown>): this {
    this.output.push(item);
    this.push({ type: "response.output_item.done", output_index, item });
    return this;
  }

  private push(event: ResponsesWireEvent): void {
    const { type, ...fields } = event;
    this.events.push({ type, sequence_number: this.events.length, ...fields });
  }

  private response(status: string, usage: WireUsage | null): Record<string, unknown> {
    return {
      id: this.id,
      object: "response",
      created_at: 1_757_500_000,
      status,
      background: false,
      error: null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      model: this.model,
      output: status === "in_progress" ? [] : this.output,
      parallel_tool_calls: true,
      previous_response_id: null,
      prompt_cache_key: null,
      reasoning: { effort: "medium", summary: "auto" },
      store: false,
      temperature: 1,
      text: { format: { type: "text" }, verbosity: "medium" },
      tool_choice: "auto",
      tools: [],
      top_p: 1,
      truncation: "disabled",
      usage: usage && {
        input_tokens: usage.input,
        input_tokens_details: { cached_tokens: usage.cached ?? 0 },
        output_tokens: usage.output,
        output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
        total_tokens: usage.input + usage.output,
      },
      user: null,
      metadata: {},
    };
  }
}

/** `text` in two pieces (one when it is a single character). */
export function halves(text: string): string[] {
  const chars = [...text];
  const mid = Math.ceil(chars.length / 2);
  return chars.length < 2 ? [text] : [chars.slice(0, mid).join(""), chars.slice(mid).join("")];
}
