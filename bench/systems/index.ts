/**
 * Every benchmarked system, in report order. Each is loaded on demand, so a
 * peer that fails to load (say, one that needs a newer Node) is reported as
 * failed instead of taking the whole bench down.
 */
import type { BenchSystem, SystemId } from "./system.js";

/** Which workloads a system takes part in. */
export type SystemEntry = { id: SystemId; label: string; concurrent: boolean; heap: boolean; load: () => Promise<BenchSystem> };

/** The systems: ceiling and floor first, then ours, then the peers. */
export const SYSTEMS: readonly SystemEntry[] = [
  { id: "raw", label: "server ceiling (raw byte drain)", concurrent: false, heap: false, load: async () => (await import("./raw.js")).rawSystem },
  { id: "floor", label: "floor (fetch+parser+JSON.parse+append)", concurrent: true, heap: false, load: async () => (await import("./floor.js")).floorSystem },
  { id: "tinyagent-stream", label: "tinyagent streamOpenAICompatible", concurrent: false, heap: false, load: async () => (await import("./tinyagent-stream.js")).tinyagentStreamSystem },
  { id: "tinyagent-agent", label: "tinyagent Agent (1 subscriber)", concurrent: true, heap: true, load: async () => (await import("./tinyagent-agent.js")).tinyagentAgentSystem },
  { id: "tinyagent-inspect", label: "tinyagent Agent + inspect observer", concurrent: false, heap: false, load: async () => (await import("./tinyagent-agent.js")).tinyagentInspectSystem },
  { id: "pi-ai", label: "pi-ai streamOpenAICompletions", concurrent: false, heap: false, load: async () => (await import("./pi-ai.js")).piAiSystem },
  { id: "pi-agent", label: "pi-agent-core Agent (1 subscriber)", concurrent: true, heap: true, load: async () => (await import("./pi-agent.js")).piAgentSystem },
  { id: "ai-sdk", label: "AI SDK streamText (+tools, stopWhen)", concurrent: true, heap: true, load: async () => (await import("./ai-sdk.js")).aiSdkSystem },
];

/** The entry with this id. */
export function systemEntry(id: SystemId): SystemEntry {
  const entry = SYSTEMS.find((s) => s.id === id);
  if (!entry) throw new Error(`unknown bench system "${id}"; known: ${SYSTEMS.map((s) => s.id).join(", ")}`);
  return entry;
}
