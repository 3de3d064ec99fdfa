/**
 * tinyagent's provider alone: a stream function, one subscriber that
 * appends every text delta, each turn a separate call. The same loop serves
 * `streamOpenAICompatible` here and each native stream (native.ts).
 */
import { lastValueFrom, type Observable, tap } from "rxjs";
import { type AssistantMessage, type AssistantMessageEvent, type Context, type Model, openAICompatibleModel, streamOpenAICompatible } from "../../src/index.js";
import type { Workload } from "../workloads.js";
import { type BenchSystem, type SystemId, checkAssistant, conversationFor, expectSame, MODEL_ID, SYSTEM_PROMPT, TOOL_PARAMETERS } from "./system.js";

/** A bench system that runs `stream` on `model(baseUrl)` for every turn and checks what it streamed. */
export function streamSystem(
  id: SystemId,
  label: string,
  model: (baseUrl: string) => Model,
  stream: (model: Model, context: Context) => Observable<AssistantMessageEvent>,
): BenchSystem {
  return {
    id,
    label,
    concurrent: false,
    async run(baseUrl: string, workload: Workload) {
      const target = model(baseUrl);
      for (const [t, turn] of workload.turns.entries()) {
        const context: Context = {
          systemPrompt: SYSTEM_PROMPT,
          messages: conversationFor(workload, t),
          tools: [{ name: "write", description: "Writes text to a file.", parameters: TOOL_PARAMETERS }],
        };
        let text = "";
        let message: AssistantMessage | undefined;
        await lastValueFrom(
          stream(target, context).pipe(
            tap((event) => {
              if (event.type === "text_delta") text += event.delta;
              else if (event.type === "done") message = event.message;
              else if (event.type === "error") throw new Error(`${label} failed: ${event.error.errorMessage}`);
            }),
          ),
        );
        checkAssistant(message, turn.expect, `turn ${t}`);
        expectSame(`turn ${t} streamed text`, text, turn.expect.text);
      }
    },
  };
}

/** `streamOpenAICompatible` alone. */
export const tinyagentStreamSystem: BenchSystem = streamSystem(
  "tinyagent-stream",
  "tinyagent streamOpenAICompatible",
  (baseUrl) => openAICompatibleModel({ id: MODEL_ID, baseUrl }),
  streamOpenAICompatible,
);
