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

/** One model call: its pre-serialised SSE body and how many deltas it carries. */
export type Turn = { body: Buffer; deltas: number; expect: TurnExpectation };

/** Workload ids: (a) … (f) of the issue; (d) is (a) at two sizes. */
export type WorkloadId = "a" | "b" | "c" | "d-small" | "d-large" | "e" | "f";

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
  idleAgents: number;
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
  idleAgents: 2_000,
};

/** The tool every tool workload calls; its one argument is a string. */
export const BENCH_TOOL = { name: "write", description: "Writes text to a file.", resultText: "ok" } as const;

const HEAD = '{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":';
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
  return { body: Buffer.from(parts.join("")), deltas: count, expect: { text: pieces.join(""), toolCalls: [] } };
}

/** A JSON argument object of exactly `chars` characters: {"path":"…","content":"…"}. */
function argumentsText(chars: number, index: number, seed: number): string {
  const path = `src/file-${index}.ts`;
  const frame = `{"path":${JSON.stringify(path)},"content":""}`;
  const filler = textPieces(chars, seed).join("").slice(0, Math.max(0, chars - frame.length));
  return `{"path":${JSON.stringify(path)},"content":${JSON.stringify(filler)}}`;
}

/** Tool calls streamed one after the other, each argument text in `pieceSize`-character deltas. */
function toolTurn(calls: number, argChars: number, pieceSize: number, seed: number): Turn {
  const parts = [chunk({ role: "assistant", content: null })];
  const expected: TurnExpectation["toolCalls"] = [];
  let deltas = 0;
  for (let index = 0; index < calls; index++) {
    const id = `call_${seed}_${index}`;
    const args = argumentsText(argChars, index, seed + index);
    expected.push({ id, name: BENCH_TOOL.name, arguments: args });
    parts.push(chunk({ tool_calls: [{ index, id, type: "function", function: { name: BENCH_TOOL.name, arguments: "" } }] }));
    for (let at = 0; at < args.length; at += pieceSize) {
      parts.push(chunk({ tool_calls: [{ index, function: { arguments: args.slice(at, at + pieceSize) } }] }));
      deltas++;
    }
  }
  parts.push(chunk({}, "tool_calls"), USAGE);
  return { body: Buffer.from(parts.join("")), deltas, expect: { text: "", toolCalls: expected } };
}

function workload(id: WorkloadId, title: string, kind: Workload["kind"], turns: Turn[], agents = 1): Workload {
  return { id, title, kind, turns, deltas: turns.reduce((sum, turn) => sum + turn.deltas, 0), agents };
}

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
    case "f":
      return workload(id, `(f) heap per idle agent after GC (${count(sizes.idleAgents)} agents)`, "heap", [], sizes.idleAgents);
  }
}

/** Every workload id, in report order. */
export const WORKLOAD_IDS: readonly WorkloadId[] = ["a", "b", "c", "d-small", "d-large", "e", "f"];

function count(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}
