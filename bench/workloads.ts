/**
 * The benchmark workloads, built deterministically (same seed, same bytes)
 * in the server process and, for their expected results, in each runner.
 * Every turn is one chat-completions SSE response, pre-serialised into one
 * Buffer; chunks look like OpenAI's (~256 bytes with id, fingerprint, nulls).
 */

/** What a turn must leave behind; systems check their output against it. */
export type TurnExpectation = {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
};

/** What a turn streams, independent of the wire dialect: text pieces, or tool calls with their argument pieces. */
export type TurnScript = { text: string[]; toolCalls: { id: string; name: string; pieces: string[] }[] };

/** One model call: its pre-serialised chat-completions SSE body, how many deltas it carries, and its script (for other dialects, see dialects.ts). */
export type Turn = { body: Buffer; deltas: number; expect: TurnExpectation; script: TurnScript };

/**
 * Workload ids: (a) … (g) of the issues; (d) is (a) at two sizes; "b-large"
 * is (b) at 4× the argument (linearity); "h" is a turn on a 1,000-message transcript.
 */
export type WorkloadId = "a" | "b" | "b-large" | "c" | "d-small" | "d-large" | "e" | "g" | "f" | "h";

/** A workload: the turns one conversation goes through, and how it is run. */
export type Workload = {
  id: WorkloadId;
  title: string;
  /** "turns": one conversation, timed; "concurrent": `agents` conversations at once; "heap": idle agents, no HTTP. */
  kind: "turns" | "concurrent" | "heap";
  turns: Turn[];
  /** Deltas over all turns (the unit of ns/delta). */
  deltas: number;
  /** For "concurrent" and "heap": how many agents. */
  agents: number;
  /** Messages already in the transcript when the conversation starts (their assistant messages do not count as turns). */
  history: number;
  /** When set, only these systems take part. */
  systems?: readonly string[];
};

/** Sizes of every workload; {@link FULL_SIZES} is the issue's, tests use tiny ones. */
export type WorkloadSizes = {
  textDeltas: number;
  toolArgChars: number;
  parallelCalls: number;
  parallelArgChars: number;
  followUpTextDeltas: number;
  scaleSmall: number;
  scaleLarge: number;
  concurrentAgents: number;
  /** Workload (g). */
  manyAgents: number;
  idleAgents: number;
  /** Workload (h): messages in the transcript before the prompt. */
  historyMessages: number;
};

/** The sizes the issue asks for. */
export const FULL_SIZES: WorkloadSizes = {
  textDeltas: 50_000,
  toolArgChars: 16_000,
  parallelCalls: 8,
  parallelArgChars: 2_048,
  followUpTextDeltas: 2_000,
  scaleSmall: 10_000,
  scaleLarge: 100_000,
  concurrentAgents: 1_000,
  manyAgents: 10_000,
  idleAgents: 2_000,
  historyMessages: 1_000,
};

/** The tool every tool workload calls; its one argument is a string. */
export const BENCH_TOOL = { name: "write", description: "Writes text to a file.", resultText: "ok" } as const;

const HEAD =
  '{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":';
const TAIL_OPEN = ',"logprobs":null,"finish_reason":null}],"usage":null}';

function chunk(delta: unknown, finishReason: string | null = null): string {
  const tail = finishReason === null ? TAIL_OPEN : `,"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}],"usage":null}`;
  return `data: ${HEAD}${JSON.stringify(delta)}${tail}\n\n`;
}

const USAGE = `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":900,"total_tokens":1020}}\n\ndata: [DONE]\n\n`;

// mulberry32: small, fast, deterministic.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = "the agent loop streams tokens from a model and runs tools until the answer is complete, then it stops".split(" ");

/** `count` pieces of 1–4 characters of plausible prose. */
function textPieces(count: number, seed: number): string[] {
  const next = random(seed);
  let source = "";
  const pieces: string[] = [];
  while (pieces.length < count) {
    if (source.length < 8) source += `${WORDS[Math.floor(next() * WORDS.length)]} `;
    const size = 1 + Math.floor(next() * 4);
    pieces.push(source.slice(0, size));
    source = source.slice(size);
  }
  return pieces;
}

function textTurn(count: number, seed: number): Turn {
  const pieces = textPieces(count, seed);
  const parts = [chunk({ role: "assistant", content: "" })];
  for (const piece of pieces) parts.push(chunk({ content: piece }));
  parts.push(chunk({}, "stop"), USAGE);
  return { body: Buffer.from(parts.join("")), deltas: count, expect: { text: pieces.join(""), toolCalls: [] }, script: { text: pieces, toolCalls: [] } };
}

/** A JSON argument object of exactly `chars` characters: {"path":"…","content":"…"}. */
function argumentsText(chars: number, index: number, seed: number): string {
  const path = `src/file-${index}.ts`;
  const frame = `{"path":${JSON.stringify(path)},"content":""}`;
  const filler = textPieces(chars, seed)
    .join("")
    .slice(0, Math.max(0, chars - frame.length));
  return `{"path":${JSON.stringify(path)},"content":${JSON.stringify(filler)}}`;
}

/** Tool calls streamed one after the other, each argument text in `pieceSize`-character deltas. */
function toolTurn(calls: number, argChars: number, pieceSize: number, seed: number): Turn {
  const parts = [chunk({ role: "assistant", content: null })];
  const expected: TurnExpectation["toolCalls"] = [];
  const script: TurnScript = { text: [], toolCalls: [] };
  let deltas = 0;
  for (let index = 0; index < calls; index++) {
    const id = `call_${seed}_${index}`;
    const args = argumentsText(argChars, index, seed + index);
    expected.push({ id, name: BENCH_TOOL.name, arguments: args });
    const pieces: string[] = [];
    parts.push(chunk({ tool_calls: [{ index, id, type: "function", function: { name: BENCH_TOOL.name, arguments: "" } }] }));
    for (let at = 0; at < args.length; at += pieceSize) {
      pieces.push(args.slice(at, at + pieceSize));
      parts.push(chunk({ tool_calls: [{ index, function: { arguments: pieces.at(-1) } }] }));
      deltas++;
    }
    script.toolCalls.push({ id, name: BENCH_TOOL.name, pieces });
  }
  parts.push(chunk({}, "tool_calls"), USAGE);
  return { body: Buffer.from(parts.join("")), deltas, expect: { text: "", toolCalls: expected }, script };
}

function workload(id: WorkloadId, title: string, kind: Workload["kind"], turns: Turn[], agents = 1, extra: Partial<Workload> = {}): Workload {
  return { id, title, kind, turns, deltas: turns.reduce((sum, turn) => sum + turn.deltas, 0), agents, history: 0, ...extra };
}

/** Systems of (g) and of the long-transcript workload (h). */
const MANY_AGENT_SYSTEMS = ["floor", "tinyagent-agent"];
const LONG_TRANSCRIPT_SYSTEMS = ["tinyagent-agent", "tinyagent-viewer"];
/** Systems that show (b)'s linearity at 4× the argument: the streams and the Agent. */
const LARGE_ARGUMENT_SYSTEMS = [
  "floor",
  "tinyagent-stream",
  "tinyagent-agent",
  "anthropic-floor",
  "anthropic-stream",
  "responses-floor",
  "responses-stream",
  "google-floor",
  "google-stream",
];

/** Builds one workload at the given sizes. */
export function buildWorkload(id: WorkloadId, sizes: WorkloadSizes = FULL_SIZES): Workload {
  switch (id) {
    case "a":
      return workload(id, `(a) ${count(sizes.textDeltas)} text deltas of 1–4 characters`, "turns", [textTurn(sizes.textDeltas, 1)]);
    case "b":
      return workload(id, `(b) one tool call, arguments in ${count(sizes.toolArgChars)} one-character deltas, then a short text turn`, "turns", [
        toolTurn(1, sizes.toolArgChars, 1, 2),
        textTurn(8, 3),
      ]);
    case "b-large":
      return workload(
        id,
        `(b) at ${count(4 * sizes.toolArgChars)} one-character argument deltas (linearity)`,
        "turns",
        [toolTurn(1, 4 * sizes.toolArgChars, 1, 12), textTurn(8, 3)],
        1,
        {
          systems: LARGE_ARGUMENT_SYSTEMS,
        },
      );
    case "c":
      return workload(
        id,
        `(c) ${sizes.parallelCalls} parallel tool calls, ${count(sizes.parallelArgChars)} B arguments in 4-character deltas, then a ${count(sizes.followUpTextDeltas)}-delta text turn`,
        "turns",
        [toolTurn(sizes.parallelCalls, sizes.parallelArgChars, 4, 4), textTurn(sizes.followUpTextDeltas, 5)],
      );
    case "d-small":
      return workload(id, `(d) scaling: (a) at ${count(sizes.scaleSmall)} deltas`, "turns", [textTurn(sizes.scaleSmall, 6)]);
    case "d-large":
      return workload(id, `(d) scaling: (a) at ${count(sizes.scaleLarge)} deltas`, "turns", [textTurn(sizes.scaleLarge, 7)]);
    case "e":
      return workload(
        id,
        `(e) ${count(sizes.concurrentAgents)} concurrent agents, two turns each (tool call, then text)`,
        "concurrent",
        [toolTurn(1, 64, 4, 8), textTurn(32, 9)],
        sizes.concurrentAgents,
      );
    case "g":
      return workload(
        id,
        `(g) ${count(sizes.manyAgents)} concurrent agents in one process, two turns each`,
        "concurrent",
        [toolTurn(1, 64, 4, 10), textTurn(32, 11)],
        sizes.manyAgents,
        {
          systems: MANY_AGENT_SYSTEMS,
        },
      );
    case "f":
      return workload(id, `(f) heap per idle agent after GC (${count(sizes.idleAgents)} agents)`, "heap", [], sizes.idleAgents);
    case "h":
      return workload(
        id,
        `(h) a ${count(sizes.historyMessages)}-message transcript, then a tool call and a ${count(sizes.followUpTextDeltas)}-delta text turn`,
        "turns",
        [toolTurn(1, 256, 4, 13), textTurn(sizes.followUpTextDeltas, 14)],
        1,
        { history: sizes.historyMessages, systems: LONG_TRANSCRIPT_SYSTEMS },
      );
  }
}

/**
 * The durable-sessions workload (bench/sessions.ts): `toolCalls` turns of one
 * tool call each (256-character arguments in 4-character deltas), then a
 * 200-delta text turn. Not one of {@link WORKLOAD_IDS}: only tinyagent runs it, against itself.
 */
export function sessionWorkload(toolCalls: number): Workload {
  const turns = Array.from({ length: toolCalls }, (_, index) => toolTurn(1, 256, 4, 100 + index));
  return workload("sessions" as WorkloadId, `${toolCalls} tool calls, one per turn, then a text turn`, "turns", [...turns, textTurn(200, 99)]);
}

/** Every workload id, in report order. */
export const WORKLOAD_IDS: readonly WorkloadId[] = ["a", "b", "b-large", "c", "d-small", "d-large", "e", "g", "f", "h"];

/**
 * The transcript workload (h) starts from: `count` messages, user and
 * assistant in turn (assistant text of ~200 characters, a tool call and its
 * result every tenth pair), as a long chat leaves it.
 */
export function historyMessages(count: number): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
  for (let i = 0; messages.length < count; i++) {
    messages.push({ role: "user", content: `Question ${i}: ${textPieces(20, 100 + i).join("")}`, timestamp: i });
    if (messages.length >= count) break;
    const text = textPieces(80, 200 + i).join("");
    messages.push({
      role: "assistant",
      content: [{ type: "text", text }],
      api: "openai-completions",
      provider: "bench",
      model: "gpt-4o-2024-08-06",
      usage,
      stopReason: "stop",
      timestamp: i,
    });
  }
  return messages;
}

function count(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}
