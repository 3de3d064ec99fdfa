// Runs the boundary attacks of test/faults/boundary-attacks.test.ts in a process of its own, one after another, and
// prints one JSON line per attack: what the run ended with, whether the transcript is valid, whether the agent
// works again. Before these checks existed, most of them killed the process (an uncaught error from a timer), so
// the parent test only has to see every line and exit code 0.
import { map, Observable } from "rxjs";
import { Agent, type AgentOptions, type AgentTool, type StreamFn, type ToolResultMessage } from "../../src/index.js";
import { checkMessages, checkTranscript } from "../../src/core/message-checks.js";
import { createFauxProvider } from "../../src/testing.js";

type Attack = {
  name: string;
  /** The agent's options; the model is always the faux one, its replies `replies` (default: one tool call, then "ok"). */
  options?: (faux: { streamFn: StreamFn }) => AgentOptions;
  /** Done to the agent before prompting. */
  before?: (agent: Agent) => void;
};

const noArgs = { type: "object", properties: {} };
const toolReturning = (value: () => unknown): AgentTool => ({ name: "t", description: "attack", parameters: noArgs, execute: async () => value() as never });
const withTool = (value: () => unknown) => () => ({ tools: [toolReturning(value)] });
const tool = toolReturning(() => ({ content: [{ type: "text", text: "fine" }] }));

/** A stream function whose first call emits `events` (then completes, unless `end` says otherwise); later calls are the faux model's. */
function firstCall(events: unknown[], end: "complete" | "error" | "open" = "complete") {
  return (faux: { streamFn: StreamFn }): AgentOptions => {
    let calls = 0;
    const streamFn: StreamFn = (model, context, options) => {
      if (calls++ > 0) return faux.streamFn(model, context, options);
      return new Observable((subscriber) => {
        for (const event of events) subscriber.next(event as never);
        if (end === "complete") subscriber.complete();
        if (end === "error") subscriber.error(new Error("the observable broke"));
      });
    };
    return { streamFn, tools: [tool] };
  };
}
const partial = {
  role: "assistant",
  content: [{ type: "text", text: "so far" }],
  api: "faux",
  provider: "faux",
  model: "faux",
  usage: undefined,
  stopReason: "stop",
  timestamp: 1,
};
const finalMessage = (extra: Record<string, unknown> = {}) => ({ ...partial, content: [{ type: "text", text: "final" }], ...extra });

/** Armed by the attack's listener; the trapped getter throws once when armed. */
const trap = { armed: false, sprung: false };
function trappedMessage() {
  const usage = { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
  // Well-formed in every other way, so the stream check passes the object itself on.
  const content = [{ type: "toolCall", id: "c1", name: "t", arguments: {} }];
  return Object.defineProperty(finalMessage({ usage, content }), "stopReason", {
    enumerable: true,
    get() {
      if (!trap.armed) return "toolUse";
      trap.armed = false;
      trap.sprung = true;
      throw new Error("getter trap");
    },
  });
}

const attacks: Attack[] = [
  { name: "tool returns undefined", options: withTool(() => undefined) },
  { name: "tool returns null", options: withTool(() => null) },
  { name: "tool returns a number", options: withTool(() => 42) },
  { name: "tool returns an array", options: withTool(() => []) },
  { name: "tool result without content", options: withTool(() => ({})) },
  { name: "tool result content is a string", options: withTool(() => ({ content: "plain text" })) },
  { name: "tool result content is null", options: withTool(() => ({ content: null })) },
  { name: "tool result content has a null entry", options: withTool(() => ({ content: [{ type: "text", text: "a" }, null] })) },
  { name: "tool result text block without text", options: withTool(() => ({ content: [{ type: "text" }] })) },
  { name: "tool result block of unknown type", options: withTool(() => ({ content: [{ type: "video", url: "x" }] })) },
  { name: "tool result terminate is a string", options: withTool(() => ({ content: [], terminate: "yes" })) },
  {
    name: "tool throws synchronously (not async)",
    options: () => ({
      tools: [
        {
          ...tool,
          execute: (() => {
            throw new Error("sync boom");
          }) as never,
        },
      ],
    }),
  },
  {
    name: "tool throws an object without toString",
    options: () => ({
      tools: [
        {
          ...tool,
          execute: async () => {
            throw Object.create(null);
          },
        },
      ],
    }),
  },
  {
    name: "tool reports malformed progress",
    options: () => ({
      tools: [
        {
          ...tool,
          execute: async (_id, _a, _s, onUpdate) => (
            onUpdate(undefined as never), onUpdate({ content: null } as never), { content: [{ type: "text", text: "fine" }] }
          ),
        },
      ],
    }),
  },
  { name: "beforeToolCall returns { result: undefined }", options: () => ({ tools: [tool], beforeToolCall: () => ({ result: undefined }) as never }) },
  { name: "beforeToolCall returns { result: null }", options: () => ({ tools: [tool], beforeToolCall: () => ({ result: null }) as never }) },
  { name: "beforeToolCall returns a number", options: () => ({ tools: [tool], beforeToolCall: () => 42 as never }) },
  {
    name: "beforeToolCall returns { result: { content: 'x' } }",
    options: () => ({ tools: [tool], beforeToolCall: () => ({ result: { content: "x" } }) as never }),
  },
  { name: "afterToolCall returns { content: null }", options: () => ({ tools: [tool], afterToolCall: () => ({ content: null }) as never }) },
  { name: "afterToolCall returns { content: [null] }", options: () => ({ tools: [tool], afterToolCall: () => ({ content: [null] }) as never }) },
  { name: "afterToolCall returns a string", options: () => ({ tools: [tool], afterToolCall: () => "oops" as never }) },
  { name: "afterToolCall returns isError: 'yes'", options: () => ({ tools: [tool], afterToolCall: () => ({ isError: "yes" }) as never }) },
  { name: "stream: a null event", options: firstCall([null]) },
  { name: "stream: a string event", options: firstCall(["data: hi"]) },
  { name: "stream: done without a message", options: firstCall([{ type: "done", reason: "stop" }]) },
  { name: "stream: done whose message has null content", options: firstCall([{ type: "done", reason: "stop", message: finalMessage({ content: null }) }]) },
  {
    name: "stream: done whose tool call has string arguments",
    options: firstCall([{ type: "done", reason: "toolUse", message: finalMessage({ content: [{ type: "toolCall", id: "c1", name: "t", arguments: "{}" }] }) }]),
  },
  {
    name: "stream: done whose tool call has boxed-string arguments",
    options: firstCall([
      { type: "done", reason: "toolUse", message: finalMessage({ content: [{ type: "toolCall", id: "c1", name: "t", arguments: new String("") }] }) },
    ]),
  },
  { name: "stream: done without usage", options: firstCall([{ type: "done", reason: "stop", message: finalMessage() }]) },
  {
    name: "stream: done with string and NaN usage",
    options: firstCall([
      {
        type: "done",
        reason: "stop",
        message: finalMessage({ usage: { input: "12", output: Number.NaN, cacheRead: -5, cacheWrite: "many", totalTokens: "x", cost: null } }),
      },
    ]),
  },
  {
    name: "stream: error without error",
    options: firstCall([
      { type: "start", partial },
      { type: "error", reason: "error" },
    ]),
  },
  {
    name: "stream: unknown event types, then done",
    options: firstCall([{ type: "banana" }, { type: 7 }, { type: "done", reason: "stop", message: finalMessage() }]),
  },
  { name: "stream: a delta without partial", options: firstCall([{ type: "text_delta", contentIndex: 0, delta: "x" }]) },
  { name: "stream: a partial with null content, then completes", options: firstCall([{ type: "start", partial: { ...partial, content: null } }]) },
  {
    name: "stream: a partial with a null block, then completes",
    options: firstCall([{ type: "start", partial: { ...partial, content: [null, { type: "text", text: "kept" }] } }]),
  },
  {
    name: "stream: events after done",
    options: firstCall([
      { type: "done", reason: "stop", message: finalMessage() },
      null,
      { type: "done", reason: "stop", message: finalMessage({ content: [{ type: "text", text: "ghost" }] }) },
    ]),
  },
  { name: "stream: the observable errors", options: firstCall([{ type: "start", partial }], "error") },
  { name: "stream: completes without a terminal event", options: firstCall([{ type: "start", partial }]) },
  {
    name: "stream: a retry event with garbage fields, then done",
    options: firstCall([
      { type: "retry", attempt: "one", delayMs: null, reason: 5 },
      { type: "done", reason: "stop", message: finalMessage() },
    ]),
  },
  {
    name: "stream: an event whose getter throws",
    options: firstCall([
      Object.defineProperty({}, "type", {
        get: () => {
          throw new Error("getter trap");
        },
        enumerable: true,
      }),
    ]),
  },
  { name: "stream function returns undefined", options: (faux) => ({ tools: [tool], streamFn: firstReturning(faux, undefined) }) },
  { name: "stream function returns a promise", options: (faux) => ({ tools: [tool], streamFn: firstReturning(faux, Promise.resolve(1)) }) },
  {
    name: "transformContext returns undefined",
    options: () => ({
      tools: [tool],
      transformContext: onlyFirst(
        () => undefined,
        (m: unknown) => m,
      ) as never,
    }),
  },
  {
    name: "getApiKey returns a number",
    options: () => ({
      tools: [tool],
      getApiKey: onlyFirst(
        () => 42,
        () => undefined,
      ) as never,
    }),
  },
  {
    // No check catches this one: a message whose stopReason throws once it is in the transcript, read by a guard
    // when its tool call has finished. The machine's recovery closes the run with an error instead (machines/recover-step.ts).
    name: "a step of the machine throws (a message's getter, read by a guard)",
    options: firstCall([{ type: "done", reason: "toolUse", message: trappedMessage() }]),
    before: (agent) => void agent.subscribe((event) => event.type === "message_end" && event.message.role === "assistant" && (trap.armed = !trap.sprung)),
  },
  {
    name: "an inspect observer that throws",
    options: () => ({
      tools: [tool],
      inspect: () => {
        throw new Error("inspector bug");
      },
    }),
  },
  {
    name: "an events$ subscriber that throws",
    before: (agent) =>
      void agent.events$.subscribe(() => {
        throw new Error("observer bug");
      }),
  },
  {
    name: "an events$ pipeline that throws, with no error handler",
    before: (agent) =>
      void agent.events$
        .pipe(
          map(() => {
            throw new Error("operator bug");
          }),
        )
        .subscribe(() => {}),
  },
  {
    name: "a subscribe() listener that throws",
    before: (agent) =>
      void agent.subscribe(() => {
        throw new Error("listener bug");
      }),
  },
];

function firstReturning(faux: { streamFn: StreamFn }, value: unknown): StreamFn {
  let calls = 0;
  return (model, context, options) => (calls++ > 0 ? faux.streamFn(model, context, options) : (value as never));
}
function onlyFirst<T, R>(first: () => unknown, rest: (arg: T) => R) {
  let calls = 0;
  return (arg: T) => (calls++ > 0 ? rest(arg) : first());
}

const textOf = (r: ToolResultMessage) => r.content.map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("");
const only = process.argv[2];

for (const attack of attacks.filter((a) => !only || a.name === only)) {
  const faux = createFauxProvider([{ toolCalls: [{ name: "t", arguments: {} }] }, { text: "ok" }, { text: "again" }]);
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [tool], ...attack.options?.(faux) });
  attack.before?.(agent);
  const message = await agent.prompt("go");
  const messages = agent.state.messages;
  const valid = checkMessages(messages, "messages") ?? checkTranscript(messages, "messages") ?? "valid";
  const results = messages.filter((m): m is ToolResultMessage => m.role === "toolResult").map((r) => [r.isError, textOf(r)]);
  const usage = agent.actor.getSnapshot().context.usage;
  const persisted = JSON.parse(JSON.stringify(agent.persist()));
  const restorable =
    Agent.restore(persisted, { streamFn: faux.streamFn, model: faux.model, tools: agent.state.tools as AgentTool[] }).state.messages.length === messages.length;
  const again = await agent.prompt("again");
  const line = {
    name: attack.name,
    stopReason: message.stopReason,
    errorMessage: message.errorMessage,
    error: agent.state.error ?? null,
    results,
    valid,
    usageTotal: usage.totalTokens,
    restorable,
    again: `${again.stopReason}: ${again.content.map((c) => (c.type === "text" ? c.text : "")).join("")}`,
    idle: agent.actor.getSnapshot().value,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  agent.actor.stop();
}
process.stdout.write("all attacks ran\n");
