/**
 * Reads an SSE response of tinyagent/server frame by frame (eventsource-parser
 * does the parsing), so tests can wait for a frame, stop reading, and resume.
 */
import { createParser } from "eventsource-parser";

/** One parsed frame: its id, event name and JSON data; `comment` for `: ping` lines. */
export type SseFrame = { id?: string; event?: string; data?: any; comment?: string };

/** A reader of frames from one response body. */
export function frameReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const queue: SseFrame[] = [];
  const parser = createParser({
    onEvent: (e) => queue.push({ id: e.id, event: e.event, data: JSON.parse(e.data) }),
    onComment: (comment) => queue.push({ comment }),
  });
  let ended = false;
  /** The next frame, or undefined when the stream ended. */
  const next = async (): Promise<SseFrame | undefined> => {
    while (queue.length === 0 && !ended) {
      const { done, value } = await reader.read();
      if (done) ended = true;
      else parser.feed(value);
    }
    return queue.shift();
  };
  return {
    next,
    /** Frames up to and including the first that satisfies `predicate` (fails if the stream ends first); heartbeats are skipped unless awaited. */
    async until(predicate: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
      const seen: SseFrame[] = [];
      for (;;) {
        const frame = await next();
        if (!frame)
          throw new Error(`stream ended before the awaited frame; saw ${JSON.stringify(seen.map((f) => (f.event === "agent" ? f.data.type : f.event)))}`);
        if (predicate(frame)) return [...seen, frame];
        if (frame.comment === undefined) seen.push(frame);
      }
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}

/** The frame is the agent event `type`. */
export const isAgentEvent = (type: string) => (frame: SseFrame) => frame.event === "agent" && frame.data.type === type;
