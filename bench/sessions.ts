/**
 * Durable sessions (`npm run bench`, `--only sessions`): what checkpoints
 * cost. The same 10-tool-call run (ten turns of one tool call, then a text
 * turn, over the loopback server) as a plain `Agent`, and through
 * `Agent.open` on the file store and on Postgres; runs interleaved round by
 * round, medians of wall-clock time (a checkpoint's cost is mostly waiting:
 * fsync, a round trip), reported per turn and as a ratio to the plain run.
 * Postgres is the tests' throwaway server (test/helpers/postgres.ts), which
 * runs with fsync off: its numbers are a lower bound for a durable database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, createFileStore, openAICompatibleModel, type SessionStore } from "../src/index.js";
import { createPostgresStore } from "../src/postgres/index.js";
import { startPostgres } from "../test/helpers/postgres.js";
import { median } from "./measure.js";
import { startBenchServer } from "./server.js";
import { checkTranscript, MODEL_ID, PROMPT, SYSTEM_PROMPT } from "./systems/system.js";
import { writeTool } from "./systems/tinyagent-agent.js";
import { sessionWorkload } from "./workloads.js";

/** Which store a run checkpoints into ("none": a plain Agent, the baseline). */
export type SessionStoreKind = "none" | "file" | "postgres";

/** One store's result. */
export type SessionBenchRow = {
  store: SessionStoreKind;
  medianMs: number;
  msPerTurn: number;
  /** Median wall time over the plain run's. */
  ratio: number;
  medianCpuMs: number;
  /** Store writes per run (checkpoints, the opening claim included). */
  writes: number;
  runs: number;
};

/** What {@link runSessionBench} found. */
export type SessionBenchReport = { toolCalls: number; turns: number; rows: SessionBenchRow[] };

/** Options of {@link runSessionBench}. */
export type SessionBenchOptions = {
  /** Timed rounds (median reported). Default 15. */
  iterations?: number;
  /** Tool calls in the run (one per turn). Default 10. */
  toolCalls?: number;
  stores?: readonly SessionStoreKind[];
};

/** A store that counts its writes. */
function counted(store: SessionStore): SessionStore & { writes: number } {
  const view = {
    writes: 0,
    load: (id: string) => store.load(id),
    delete: (id: string) => store.delete(id),
    save: (id: string, record: Parameters<SessionStore["save"]>[1], version: number | null) => {
      view.writes++;
      return store.save(id, record, version);
    },
  };
  return view;
}

/** Runs the session bench; see the module comment. */
export async function runSessionBench(options: SessionBenchOptions = {}): Promise<SessionBenchReport> {
  const iterations = options.iterations ?? 15;
  const kinds = options.stores ?? ["none", "file", "postgres"];
  const workload = sessionWorkload(options.toolCalls ?? 10);
  const server = await startBenchServer([workload]);
  const dir = mkdtempSync(join(tmpdir(), "tinyagent-bench-sessions-"));
  const postgres = kinds.includes("postgres") ? await startPostgres() : undefined;
  const pgStore = postgres && createPostgresStore({ connectionString: postgres.connectionString });
  const stores: Record<SessionStoreKind, SessionStore | undefined> = { none: undefined, file: createFileStore(dir), postgres: pgStore };
  const model = openAICompatibleModel({ id: MODEL_ID, baseUrl: server.baseUrl(workload.id) });
  let sessions = 0;
  const runOnce = async (kind: SessionStoreKind) => {
    const base = stores[kind];
    const store = base && counted(base);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const settings = { model, systemPrompt: SYSTEM_PROMPT, tools: [writeTool] };
    const agent = store ? await Agent.open(`bench-${++sessions}`, { store, ...settings }) : new Agent(settings);
    const last = await agent.prompt(PROMPT);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (last.stopReason === "error") throw new Error(`session bench run failed: ${last.errorMessage}`);
    checkTranscript(agent.state.messages, workload);
    return { wallMs, cpuMs: (used.user + used.system) / 1000, writes: store?.writes ?? 0 };
  };
  try {
    for (let warmup = 0; warmup < 3; warmup++) for (const kind of kinds) await runOnce(kind);
    const times = new Map(kinds.map((kind) => [kind, { wall: [] as number[], cpu: [] as number[], writes: 0 }]));
    for (let round = 0; round < iterations; round++) {
      for (const kind of kinds) {
        const run = await runOnce(kind);
        const entry = times.get(kind)!;
        entry.wall.push(run.wallMs);
        entry.cpu.push(run.cpuMs);
        entry.writes = run.writes;
      }
    }
    const baseline = median(times.get("none")?.wall ?? [Number.NaN]);
    const turns = workload.turns.length;
    const rows = kinds.map((kind): SessionBenchRow => {
      const entry = times.get(kind)!;
      const medianMs = median(entry.wall);
      return {
        store: kind,
        medianMs,
        msPerTurn: medianMs / turns,
        ratio: medianMs / baseline,
        medianCpuMs: median(entry.cpu),
        writes: entry.writes,
        runs: entry.wall.length,
      };
    });
    return { toolCalls: turns - 1, turns, rows };
  } finally {
    await server.close();
    await pgStore?.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as a table, with the target (≤ 1.2× the plain run). */
export function formatSessionReport(report: SessionBenchReport): string {
  const lines = [
    "",
    `durable sessions: a ${report.toolCalls}-tool-call run (${report.turns} turns) with checkpoints, wall clock, × the plain Agent run`,
    `${"store".padEnd(26)}${"ms/run".padStart(9)}${"ms/turn".padStart(9)}${"×plain".padStart(8)}${"cpu ms".padStart(9)}${"writes".padStart(8)}${"runs".padStart(6)}`,
  ];
  const label: Record<SessionStoreKind, string> = { none: "none (plain Agent)", file: "file store (fsync)", postgres: "Postgres (test server)" };
  for (const row of report.rows) {
    lines.push(
      `${label[row.store].padEnd(26)}${row.medianMs.toFixed(1).padStart(9)}${row.msPerTurn.toFixed(2).padStart(9)}${row.ratio.toFixed(2).padStart(8)}${row.medianCpuMs.toFixed(1).padStart(9)}${String(row.writes).padStart(8)}${String(row.runs).padStart(6)}`,
    );
  }
  for (const row of report.rows.filter((r) => r.store !== "none")) {
    lines.push(`  ${row.ratio <= 1.2 ? "MET " : "MISS"}  checkpoints on the ${row.store} store ≤ 1.2× the plain run: ${row.ratio.toFixed(2)}×`);
  }
  return lines.join("\n");
}
