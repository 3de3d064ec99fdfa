/**
 * Builders of Anthropic Messages stream bodies for tests, shaped like what
 * api.anthropic.com sends: each event as `event: <type>` plus its JSON `data:`,
 * from `message_start` through content blocks to `message_delta` and `message_stop`.
 */

/** One event object as an SSE event named by its `type`. */
export function anthropicSse(...events: ({ type: string } & Record<string, unknown>)[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

/** `message_start` with the usage Anthropic reports there (input known, output 1). */
export function messageStart(usage: Record<string, number> = { input_tokens: 25, output_tokens: 1 }, model = "claude-test") {
  return {
    type: "message_start",
    message: {
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      type: "message",
      role: "assistant",
      content: [],
      model,
      stop_reason: null,
      stop_sequence: null,
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
    },
  };
}

/** The events of one text block at `index`, its text in `pieces`. */
export function textBlock(index: number, ...pieces: string[]) {
  return [
    { type: "content_block_start", index, content_block: { type: "text", text: "" } },
    ...pieces.map((text) => ({ type: "content_block_delta", index, delta: { type: "text_delta", text } })),
    { type: "content_block_stop", index },
  ];
}

/** The events of one thinking block, ending with its `signature_delta`. */
export function thinkingBlock(index: number, pieces: string[], signature: string) {
  return [
    { type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } },
    ...pieces.map((thinking) => ({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } })),
    { type: "content_block_delta", index, delta: { type: "signature_delta", signature } },
    { type: "content_block_stop", index },
  ];
}

/** The events of one tool_use block, its argument JSON in `pieces`. */
export function toolUseBlock(index: number, id: string, name: string, ...pieces: string[]) {
  return [
    { type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } },
    ...pieces.map((partial_json) => ({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } })),
    { type: "content_block_stop", index },
  ];
}

/** `message_delta` (stop reason and the final usage) and `message_stop`. */
export function messageEnd(stopReason: string, usage: Record<string, number> = { output_tokens: 15 }) {
  return [{ type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage }, { type: "message_stop" }];
}

/** A whole text answer. */
export function anthropicTextBody(text: string, stopReason = "end_turn"): string {
  return anthropicSse(messageStart(), ...textBlock(0, text), ...messageEnd(stopReason));
}
