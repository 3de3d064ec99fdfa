/**
 * Boundary attacks (#13 items 1 and 3): malformed tool results, hook answers, stream events and usage, throwing
 * observers and a machine step that throws. Before the boundary checks most of them killed the process, so they run
 * in a child process (test/helpers/attack-runner.ts) and this suite survives either way. Each must end with a settled
 * prompt, a valid transcript, a restorable snapshot and an agent that answers the next prompt.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

type Line = {
  name: string;
  stopReason: string;
  errorMessage?: string;
  results: [boolean, string][];
  valid: string;
  restorable: boolean;
  again: string;
  idle: string;
  usageTotal: number;
};

const child = spawnSync(process.execPath, ["--import", "tsx", "test/helpers/attack-runner.ts"], { encoding: "utf8", timeout: 60_000 });
const lines = child.stdout
  .split("\n")
  .filter((l) => l.startsWith("{"))
  .map((l) => JSON.parse(l) as Line);
const byName = new Map(lines.map((l) => [l.name, l]));
const shape = 'A tool must resolve with { content: [{ type: "text", text: "…" }] }.';

/** name → what the run ended with: the tool result `[isError, text]`, or the final message's `stopReason: errorMessage`. */
const expected: Record<string, string> = {
  "tool returns undefined": `true Tool "t" returned an invalid result: result is undefined. ${shape}`,
  "tool returns null": `true Tool "t" returned an invalid result: result is null. ${shape}`,
  "tool returns a number": `true Tool "t" returned an invalid result: result is a number (42). ${shape}`,
  "tool returns an array": `true Tool "t" returned an invalid result: result is an array. ${shape}`,
  "tool result without content": `true Tool "t" returned an invalid result: result.content is undefined, expected an array of content blocks. ${shape}`,
  "tool result content is a string": "false plain text",
  "tool result content is null": `true Tool "t" returned an invalid result: result.content is null, expected an array of content blocks. ${shape}`,
  "tool result content has a null entry": `true Tool "t" returned an invalid result: result.content[1] is null, expected a content block. ${shape}`,
  "tool result text block without text": `true Tool "t" returned an invalid result: result.content[0].text is undefined, expected a string. ${shape}`,
  "tool result block of unknown type": `true Tool "t" returned an invalid result: result.content[0] has type "video", expected "text" or "image". ${shape}`,
  "tool result terminate is a string": `true Tool "t" returned an invalid result: result.terminate is a string ("yes"), expected a boolean. ${shape}`,
  "tool throws synchronously (not async)": "true sync boom",
  "tool throws an object without toString": "true a thrown value that cannot be shown as text",
  "tool reports malformed progress": "false fine",
  "beforeToolCall returns { result: undefined }":
    'error: beforeToolCall hook returned an invalid result: result is undefined; return nothing, { block: true, reason } or { result: { content: [{ type: "text", text: "…" }] } }',
  "beforeToolCall returns { result: null }":
    'error: beforeToolCall hook returned an invalid result: result is null; return nothing, { block: true, reason } or { result: { content: [{ type: "text", text: "…" }] } }',
  "beforeToolCall returns a number":
    'error: beforeToolCall hook returned a number (42); return nothing, { block: true, reason } or { result: { content: [{ type: "text", text: "…" }] } }',
  "beforeToolCall returns { result: { content: 'x' } }": "false x",
  "afterToolCall returns { content: null }":
    "error: afterToolCall hook returned invalid content: content is null, expected an array of content blocks; return nothing or { content?, details?, isError?, terminate? }",
  "afterToolCall returns { content: [null] }":
    "error: afterToolCall hook returned invalid content: content[0] is null, expected a content block; return nothing or { content?, details?, isError?, terminate? }",
  "afterToolCall returns a string": 'error: afterToolCall hook returned a string ("oops"); return nothing or { content?, details?, isError?, terminate? }',
  "afterToolCall returns isError: 'yes'": 'error: afterToolCall hook returned isError: a string ("yes"), expected a boolean',
  "stream: a null event": "error: The stream function sent a malformed event: an event is null.",
  "stream: a string event": 'error: The stream function sent a malformed event: an event is a string ("data: hi").',
  "stream: done without a message": 'error: The stream function sent a malformed event: a "done" event\'s message is undefined.',
  "stream: done whose message has null content":
    'error: The stream function sent a malformed event: the "done" message\'s content is null, expected an array of content blocks.',
  "stream: done whose tool call has string arguments":
    'error: The stream function sent a malformed event: the "done" message\'s content[0].arguments is a string ("{}"), expected a plain object.',
  "stream: done whose tool call has boxed-string arguments":
    'error: The stream function sent a malformed event: the "done" message\'s content[0].arguments is an object of kind String, expected a plain object.',
  "stream: done without usage": "stop: undefined",
  "stream: done with string and NaN usage": "stop: undefined",
  "stream: error without error": 'error: The stream function sent an "error" event without a message (error: undefined).',
  "stream: unknown event types, then done": "stop: undefined",
  "stream: a delta without partial": 'error: The stream function sent a malformed event: a "text_delta" event\'s partial message is undefined.',
  "stream: a partial with null content, then completes":
    'error: The stream function sent a malformed event: a "start" event\'s partial message is without a content array.',
  "stream: a partial with a null block, then completes": "error: The provider stream ended without a terminal done/error event.",
  "stream: events after done": "stop: undefined",
  "stream: the observable errors": "error: Model call failed: the observable broke",
  "stream: completes without a terminal event": "error: The provider stream ended without a terminal done/error event.",
  "stream: a retry event with garbage fields, then done": "stop: undefined",
  "stream: an event whose getter throws": "error: The stream function sent a malformed event: reading an event threw (getter trap).",
  "stream function returns undefined":
    "error: Model call failed: the stream function returned undefined; a StreamFn must return an Observable of AssistantMessageEvent",
  "stream function returns a promise":
    "error: Model call failed: the stream function returned an object of kind Promise; a StreamFn must return an Observable of AssistantMessageEvent",
  "transformContext returns undefined": "error: Model call failed: transformContext hook returned undefined; it must return an array of messages",
  "getApiKey returns a number": "error: Model call failed: getApiKey hook returned a number (42); it must return a string or undefined",
  "a step of the machine throws (a message's getter, read by a guard)":
    'error: Internal error: the agent machine failed on "tool.done" (getter trap). The run was closed; the agent can be used again.',
  "an inspect observer that throws": "false fine",
  "an events$ subscriber that throws": "false fine",
  "an events$ pipeline that throws, with no error handler": "false fine",
  "a subscribe() listener that throws": "false fine",
};

describe("boundary attacks, in a child process", () => {
  it("the process survives every attack and exits 0", () => {
    expect(child.stdout).toContain("all attacks ran");
    expect(child.status).toBe(0);
    expect(lines.map((l) => l.name)).toEqual(Object.keys(expected));
  });

  for (const [name, outcome] of Object.entries(expected)) {
    it(name, () => {
      const line = byName.get(name);
      expect(line, `no report: the process died (stderr: ${child.stderr.slice(-2000)})`).toBeDefined();
      const got =
        outcome.startsWith("true ") || outcome.startsWith("false ")
          ? line!.results.map(([e, t]) => `${e} ${t}`).join(" | ")
          : `${line!.stopReason}: ${line!.errorMessage}`;
      expect(got).toBe(outcome);
      expect(line!.valid).toBe("valid");
      expect(line!.restorable).toBe(true);
      expect(line!.again).toMatch(/^stop: /);
      expect(line!.idle).toBe("idle");
      expect(Number.isFinite(line!.usageTotal)).toBe(true);
    });
  }
});
