/**
 * Tool results for APIs whose tool-result item carries text only (Chat
 * Completions, Responses, Gemini): the item gets the text, and the images
 * follow the run of results in one user message that says what they are.
 */
import type { ImageContent, TextContent, ToolResultMessage } from "../src/core/types.js";

/** The first text of the user message that carries the images of the tool results before it. */
export const TOOL_IMAGES_INTRO = "Images returned by the tools above:";

/** A tool result's text blocks, one per line; without text, a placeholder that points to its image, if any. */
export function toolResultText(message: ToolResultMessage): string {
  const text = message.content
    .filter((c): c is TextContent => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  return text || (message.content.some((c) => c.type === "image") ? "(the result is the image in the next message)" : "(no output)");
}

/** A tool result's images. */
export function toolResultImages(message: ToolResultMessage): ImageContent[] {
  return message.content.filter((c): c is ImageContent => c.type === "image");
}

/** Holds tool-result images until the run of results ends; `flush` hands them, if any, to `send` at once. */
export function imageHold<TPart>(send: (parts: TPart[]) => void): { add(parts: TPart[]): void; flush(): void } {
  let pending: TPart[] = [];
  return {
    add: (parts) => pending.push(...parts),
    flush() {
      if (pending.length === 0) return;
      send(pending);
      pending = [];
    },
  };
}
