/**
 * The server's ceiling: fetch each turn and drain its bytes, nothing else.
 * Whatever a system costs above this is client work.
 */
import type { Workload } from "../workloads.js";
import { type BenchSystem, expectSame, MODEL_ID, PROMPT } from "./system.js";

/** Posts a minimal chat request that asks for turn `turnIndex` (the server counts assistant messages). */
export function rawRequest(baseUrl: string, turnIndex: number): Promise<Response> {
  const messages: { role: string; content: string }[] = [{ role: "user", content: PROMPT }];
  for (let i = 0; i < turnIndex; i++) messages.push({ role: "assistant", content: "…" }, { role: "user", content: "go on" });
  return fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL_ID, stream: true, messages }),
  });
}

/** Raw byte drain. */
export const rawSystem: BenchSystem = {
  id: "raw",
  label: "server ceiling (raw byte drain)",
  concurrent: false,
  async run(baseUrl: string, workload: Workload) {
    for (const [t, turn] of workload.turns.entries()) {
      const response = await rawRequest(baseUrl, t);
      const reader = response.body!.getReader();
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
      }
      expectSame(`turn ${t} bytes`, bytes, turn.body.length);
    }
  },
};
