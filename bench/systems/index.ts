/**
 * Every benchmarked system, in report order. Each is loaded on demand, so a
 * peer that fails to load (say, one that needs a newer Node) is reported as
 * failed instead of taking the whole bench down.
 */
import type { Dialect } from "../dialects.js";
import type { WorkloadId } from "../workloads.js";
import type { BenchSystem, SystemId } from "./system.js";

/**
 * Which workloads a system takes part in (`only`: just these; else every
 * "turns" workload that does not name its systems, and (e)/(f) by the flags),
 * the wire dialect it speaks, and the floor its ×floor ratio is taken against.
 */
export type SystemEntry = {
  id: SystemId;
  label: string;
  concurrent: boolean;
  heap: boolean;
  load: () => Promise<BenchSystem>;
  only?: readonly WorkloadId[];
  dialect?: Dialect;
  floor?: SystemId;
};

const native = (dialect: "anthropic" | "responses" | "google", label: string): SystemEntry[] => [
  {
    id: `${dialect}-floor`,
    label: `${dialect} floor (own wire format)`,
    concurrent: false,
    heap: false,
    only: ["a", "b", "b-large"],
    dialect,
    floor: `${dialect}-floor`,
    load: async () => (await import("./native.js")).nativeFloor(dialect),
  },
  {
    id: `${dialect}-stream`,
    label: `tinyagent ${label}`,
    concurrent: false,
    heap: false,
    only: ["a", "b", "b-large"],
    dialect,
    floor: `${dialect}-floor`,
    load: async () => (await import("./native.js")).nativeStream(dialect),
  },
];

/** The systems: ceiling and floor first, then ours, then the peers. */
export const SYSTEMS: readonly SystemEntry[] = [
  { id: "raw", label: "server ceiling (raw byte drain)", concurrent: false, heap: false, load: async () => (await import("./raw.js")).rawSystem },
  { id: "floor", label: "floor (fetch+parser+JSON.parse+append)", concurrent: true, heap: false, load: async () => (await import("./floor.js")).floorSystem },
  {
    id: "tinyagent-stream",
    label: "tinyagent streamOpenAICompatible",
    concurrent: false,
    heap: false,
    load: async () => (await import("./tinyagent-stream.js")).tinyagentStreamSystem,
  },
  {
    id: "tinyagent-agent",
    label: "tinyagent Agent (1 subscriber)",
    concurrent: true,
    heap: true,
    load: async () => (await import("./tinyagent-agent.js")).tinyagentAgentSystem,
  },
  {
    id: "tinyagent-inspect",
    label: "tinyagent Agent + inspect observer",
    concurrent: false,
    heap: false,
    load: async () => (await import("./tinyagent-agent.js")).tinyagentInspectSystem,
  },
  {
    id: "tinyagent-viewer",
    label: "tinyagent Agent + run viewer attached",
    concurrent: false,
    heap: false,
    only: ["a", "h"],
    load: async () => (await import("./tinyagent-agent.js")).tinyagentViewerSystem(),
  },
  { id: "pi-ai", label: "pi-ai streamOpenAICompletions", concurrent: false, heap: false, load: async () => (await import("./pi-ai.js")).piAiSystem },
  {
    id: "pi-agent",
    label: "pi-agent-core Agent (1 subscriber)",
    concurrent: true,
    heap: true,
    load: async () => (await import("./pi-agent.js")).piAgentSystem,
  },
  { id: "ai-sdk", label: "AI SDK streamText (+tools, stopWhen)", concurrent: true, heap: true, load: async () => (await import("./ai-sdk.js")).aiSdkSystem },
  ...native("anthropic", "streamAnthropic"),
  ...native("responses", "streamOpenAIResponses"),
  ...native("google", "streamGoogle"),
];

/** Whether `entry` takes part in a workload of this id and kind (and its own list of systems, if it has one). */
export function takesPart(entry: SystemEntry, workload: { id: WorkloadId; kind: string; systems?: readonly string[] }): boolean {
  if (workload.systems) return workload.systems.includes(entry.id);
  if (entry.only) return entry.only.includes(workload.id);
  return workload.kind === "turns" || (workload.kind === "concurrent" ? entry.concurrent : entry.heap);
}

/** The entry with this id. */
export function systemEntry(id: SystemId): SystemEntry {
  const entry = SYSTEMS.find((s) => s.id === id);
  if (!entry) throw new Error(`unknown bench system "${id}"; known: ${SYSTEMS.map((s) => s.id).join(", ")}`);
  return entry;
}
