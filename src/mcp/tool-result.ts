/**
 * An MCP tool result as an agent tool result: text and images as they are,
 * everything a model cannot take as a content block (resource links,
 * embedded resources, audio) as a line of text saying what and where it is,
 * `structuredContent` in `details`, `isError` kept, and the text cut to a
 * size with a note the model can see.
 */
import type { CallToolResult, ContentBlock } from "@modelcontextprotocol/sdk/types.js";
import type { AgentToolResult, ImageContent, TextContent } from "../core/types.js";

/** `details` of an MCP tool's result. */
export type McpToolResultDetails = {
  /** The server's `structuredContent`, when it sent one (and it is within the size cap as JSON). */
  structuredContent?: Record<string, unknown>;
  /** Resource links and embedded resources of the result, as the server sent them. */
  resources?: ContentBlock[];
  /** How many characters of text the server sent, when the result was cut to the size cap. */
  truncatedFrom?: number;
};

/** `details` of an MCP tool's progress update (`onUpdate`): the server's progress notification. */
export type McpToolProgressDetails = { progress: number; total?: number; message?: string };

function describeBlock(block: ContentBlock): TextContent | ImageContent {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text };
    case "image":
      return { type: "image", data: block.data, mimeType: block.mimeType };
    case "resource_link": {
      const about = [block.mimeType, block.description].filter(Boolean).join(", ");
      return { type: "text", text: `[Resource link: ${block.name} <${block.uri}>${about ? ` (${about})` : ""}]` };
    }
    case "resource": {
      const { resource } = block;
      if ("text" in resource) return { type: "text", text: `[Resource <${resource.uri}>]\n${resource.text}` };
      return {
        type: "text",
        text: `[Binary resource <${resource.uri}> (${resource.mimeType ?? "unknown type"}, ${resource.blob.length} base64 characters), not shown]`,
      };
    }
    case "audio":
      return { type: "text", text: `[Audio (${block.mimeType}, ${block.data.length} base64 characters), not shown]` };
    default:
      return { type: "text", text: `[Content of type ${JSON.stringify((block as { type: unknown }).type)}, not shown]` };
  }
}

/** Cuts the text blocks to `maxChars` characters in all, ending with a note that says how much was left out. */
function capText(content: (TextContent | ImageContent)[], maxChars: number): { content: (TextContent | ImageContent)[]; total?: number } {
  let total = 0;
  for (const block of content) if (block.type === "text") total += block.text.length;
  if (total <= maxChars) return { content };
  let left = maxChars;
  const capped: (TextContent | ImageContent)[] = [];
  for (const block of content) {
    if (block.type !== "text") capped.push(block);
    else if (left > 0) {
      capped.push({ type: "text", text: block.text.slice(0, left) });
      left -= Math.min(left, block.text.length);
    }
  }
  capped.push({ type: "text", text: `\n[Truncated: the tool returned ${total} characters of text; only the first ${maxChars} are shown.]` });
  return { content: capped, total };
}

/** Maps a `tools/call` result; `maxChars` bounds its text (see {@link capText}). */
export function agentToolResult(result: CallToolResult, maxChars: number): AgentToolResult<McpToolResultDetails> {
  const blocks = Array.isArray(result.content) ? result.content : [];
  const mapped = blocks.map(describeBlock);
  const details: McpToolResultDetails = {};
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent);
    // Over the cap it is left out of details too: the cap bounds what the transcript keeps, not only what the model reads.
    if (json.length <= maxChars) details.structuredContent = result.structuredContent;
    // A server should send the structured value as text too; when it did not, the model still needs to see it.
    if (mapped.length === 0) mapped.push({ type: "text", text: json });
  }
  if (mapped.length === 0) mapped.push({ type: "text", text: "(The tool returned no content.)" });
  const resources = blocks.filter((block) => block.type === "resource_link" || block.type === "resource");
  if (resources.length > 0) details.resources = resources;
  const { content, total } = capText(mapped, maxChars);
  if (total !== undefined) details.truncatedFrom = total;
  const out: AgentToolResult<McpToolResultDetails> = { content };
  if (Object.keys(details).length > 0) out.details = details;
  if (result.isError === true) out.isError = true;
  return out;
}
