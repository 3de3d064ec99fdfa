/**
 * Builders of Gemini `streamGenerateContent?alt=sse` bodies for tests, shaped
 * like what generativelanguage.googleapis.com sends: one
 * `GenerateContentResponse` per `data:` line, no end marker, the finish
 * reason and the usage on the last chunk.
 */

/** A part as Gemini streams it. */
export type Part = {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
};

/** One chunk with `parts`; `finishReason` and `usage` for the last one. */
export function gchunk(parts: Part[], finishReason?: string, usage?: Record<string, number>, extra: Record<string, unknown> = {}) {
  const candidate: Record<string, unknown> = { content: { parts, role: "model" }, index: 0 };
  if (finishReason) candidate.finishReason = finishReason;
  return {
    candidates: [candidate],
    ...(usage ? { usageMetadata: usage } : {}),
    modelVersion: "gemini-2.5-flash",
    responseId: "resp-1",
    ...extra,
  };
}

/** The usage of a small exchange. */
export const USAGE = { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 };

/** One SSE event per object, Gemini-style (`\r\n\r\n` between events, as Google's frontend sends). */
export function gsse(...events: object[]): string {
  return events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join("");
}

/** A whole text answer in pieces. */
export function textBody(...pieces: string[]): string {
  return gsse(...pieces.map((p, i) => gchunk([{ text: p }], i === pieces.length - 1 ? "STOP" : undefined, i === pieces.length - 1 ? USAGE : undefined)));
}
