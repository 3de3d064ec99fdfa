/**
 * tinyagent's provider alone: `streamOpenAICompatible`, one subscriber that
 * appends every text delta, each turn a separate call.
 */
import { lastValueFrom, tap } from "rxjs";
import { openAICompatibleModel, streamOpenAICompatible, type AssistantMessage, type Context } from "../../src/index.js";
import type { Workload } from "../workloads.js";
import { type BenchSystem, checkAssistant, conversationFor, MODEL_ID, SYSTEM_PROMPT, TOOL_PARAMETERS } from "./system.js";

/** `streamOpenAICompatible` alone. */
export const tinyagentStreamSystem: BenchSystem = {
  id: "tinyagent-stream",
  label: "tinyagent streamOpenAICompatible",
  concurrent: false,
  async run(baseUrl: string, workload: Workload) {
    const model = openAICompatibleModel({ id: MODEL_ID, baseUrl });
    for (const [t, turn] of workload.turns.entries()) {
      const context: Context = {
        systemPrompt: SYSTEM_PROMPT,
        messages: conversationFor(workload, t),
        tools: [{ name: "write", description: "Writes text to a file.", parameters: TOOL_PARAMETERS }],
      };
      let text = "";
      let message: AssistantMessage | undefined;
      await lastValueFrom(
        streamOpenAICompatible(model, context).pipe(
          tap((event) => {
            if (event.type === "text_delta") text += event.delta;
            else if (event.type === "done") message = event.message;
            else if (event.type === "error") throw new Error(`stream failed: ${event.error.errorMessage}`);
          }),
        ),
      );
      checkAssistant(message, turn.expect, `turn ${t}`);
      if (text !== turn.expect.text) throw new Error(`bench check failed: turn ${t} streamed text differs`);
    }
  },
};
