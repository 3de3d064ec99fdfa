/**
 * The native providers (#14): `streamAnthropic`, `streamOpenAIResponses` and
 * `streamGoogle`, each against its own floor — fetch, eventsource-parser and
 * JSON.parse of the same bytes, appending each delta (dialects.ts) — on the
 * bench server's body in that provider's wire dialect.
 */
import { createParser } from "eventsource-parser";
import type { Observable } from "rxjs";
import {
  anthropicModel,
  googleModel,
  openAIResponsesModel,
  streamAnthropic,
  streamGoogle,
  streamOpenAIResponses,
  type AssistantMessageEvent,
  type Context,
  type Model,
} from "../../src/index.js";
import { floorChunk, type Dialect } from "../dialects.js";
import type { Workload } from "../workloads.js";
import { feedBody } from "./floor.js";
import { streamSystem } from "./tinyagent-stream.js";
import { type BenchSystem, expectSame, PROMPT } from "./system.js";

type Native = Exclude<Dialect, "openai">;

const PROVIDERS: Record<
  Native,
  {
    label: string;
    model: (baseUrl: string) => Model;
    stream: (model: Model, context: Context, options: { apiKey: string }) => Observable<AssistantMessageEvent>;
  }
> = {
  anthropic: { label: "streamAnthropic", model: (baseUrl) => anthropicModel("claude-sonnet-4-5", { baseUrl, maxTokens: 32_000 }), stream: streamAnthropic },
  responses: { label: "streamOpenAIResponses", model: (baseUrl) => openAIResponsesModel("gpt-5-mini", { baseUrl }), stream: streamOpenAIResponses },
  google: { label: "streamGoogle", model: (baseUrl) => googleModel("gemini-2.5-flash", { baseUrl }), stream: streamGoogle },
};

/** The floor's request: the smallest body of the dialect that asks for turn `turnIndex`. */
function floorRequest(dialect: Native, baseUrl: string, turnIndex: number): Promise<Response> {
  const headers = { "content-type": "application/json" };
  if (dialect === "google") {
    const contents = [{ role: "user", parts: [{ text: PROMPT }] }];
    for (let i = 0; i < turnIndex; i++) contents.push({ role: "model", parts: [{ text: "…" }] }, { role: "user", parts: [{ text: "go on" }] });
    return fetch(`${baseUrl}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, { method: "POST", headers, body: JSON.stringify({ contents }) });
  }
  if (dialect === "responses") {
    const input: unknown[] = [{ role: "user", content: PROMPT }];
    for (let i = 0; i < turnIndex; i++) input.push({ role: "assistant", content: "…" }, { role: "user", content: "go on" });
    return fetch(`${baseUrl}/responses`, { method: "POST", headers, body: JSON.stringify({ model: "gpt-5-mini", stream: true, input }) });
  }
  const messages = [{ role: "user", content: PROMPT }];
  for (let i = 0; i < turnIndex; i++) messages.push({ role: "assistant", content: "…" }, { role: "user", content: "go on" });
  return fetch(`${baseUrl}/v1/messages`, {
    method: "POST",
    headers,
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32_000, stream: true, messages }),
  });
}

/** The floor of `dialect`. */
export function nativeFloor(dialect: Native): BenchSystem {
  return {
    id: `${dialect}-floor`,
    label: `${dialect} floor (fetch+parser+JSON.parse+append)`,
    concurrent: false,
    async run(baseUrl: string, workload: Workload) {
      for (const [t, turn] of workload.turns.entries()) {
        const response = await floorRequest(dialect, baseUrl, t);
        let text = "";
        const args: string[] = [];
        const calls = new Map<number, number>();
        const sink = {
          text: (delta: string) => void (text += delta),
          args: (index: number, delta: string) => void (args[index] = (args[index] ?? "") + delta),
        };
        await feedBody(response, createParser({ onEvent: ({ data }) => floorChunk(dialect, data, sink, calls) }));
        expectSame(`turn ${t} text`, text, turn.expect.text);
        expectSame(`turn ${t} arguments`, args.join("\n"), turn.expect.toolCalls.map((call) => call.arguments).join("\n"));
      }
    },
  };
}

/** tinyagent's native stream of `dialect`, one subscriber appending every text delta. */
export function nativeStream(dialect: Native): BenchSystem {
  const provider = PROVIDERS[dialect];
  return streamSystem(`${dialect}-stream`, `tinyagent ${provider.label}`, provider.model, (model, context) =>
    provider.stream(model, context, { apiKey: "bench" }),
  );
}
