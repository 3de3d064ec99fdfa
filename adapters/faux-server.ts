/**
 * The embedded default model: a loopback HTTP server speaking OpenAI
 * chat-completions SSE, driven by a faux script or, without one, by the
 * rule-based faux model. The real HTTP adapter runs against it in demos and
 * tests with no API key and no network.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context, Model } from "../src/core/types.js";
import { isRecord } from "../src/core/message-checks.js";
import { fauxRulesResponse } from "./faux-rules.js";
import { FauxRequestError, openAIRequestToContext } from "./faux-server-request.js";
import { countToolCalls, fauxSteps, fauxStopReason, fauxUsage, scriptCursor } from "./faux-script.js";
import type { FauxResponse, FauxScript, FauxStep } from "./faux-script.js";

/** Options of {@link startFauxServer}. */
export type FauxServerOptions = {
  /** Replies, one per request; without a script the rule-based model answers. */
  script?: FauxScript;
  /** Default 0: any free port. */
  port?: number;
  /** Default pause between chunks for replies that do not set `chunkDelayMs` (default 0). */
  chunkDelayMs?: number;
  /** Default characters per chunk for replies that do not set `chunkSize` (default 4). */
  chunkSize?: number;
  host?: "127.0.0.1";
  /** Largest request body read (default 16 MiB); a larger one gets 413 and its connection closed. */
  maxBodyBytes?: number;
};

/** How one streamed response ended: fully written, or cut short because the client went away. */
export type FauxStreamOutcome = "finished" | "disconnected";

/** One streamed response of the server, for tests. */
export type FauxServerStream = {
  /** SSE `data:` chunks written so far. */
  chunksWritten: number;
  /** Settles when the server stops writing this response. */
  ended: Promise<FauxStreamOutcome>;
};

/** A running faux server. */
export type FauxServer = {
  /** The API root, ending in `/v1`. */
  url: string;
  /** The server's origin (`http://127.0.0.1:<port>`); `/chat/completions` is served there too. */
  baseUrl: string;
  /** An OpenAI-compatible model pointing at {@link FauxServer.url} (api "openai-completions", provider "faux"). */
  model: Model;
  /** Parsed request bodies, in arrival order. */
  requests: unknown[];
  /** Streamed responses, in arrival order. */
  streams: FauxServerStream[];
  /** Stops the server and cuts every open connection; leaves no handles open. */
  close(): Promise<void>;
};

/**
 * Starts a loopback OpenAI-compatible endpoint on 127.0.0.1.
 * @example
 * const server = await startFauxServer();
 * const agent = new Agent({ model: server.model, streamFn: streamOpenAICompatible, tools: [sum] });
 * console.log(await agent.promptText("What is 2 + 3?")); // "The sum is 5."
 * await server.close();
 */
export async function startFauxServer(options: FauxServerOptions = {}): Promise<FauxServer> {
  const cursor = options.script ? scriptCursor(options.script) : undefined;
  const requests: unknown[] = [];
  const streams: FauxServerStream[] = [];
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  let toolCallCount = 0;
  let model: Model;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `Faux server failed: ${String(error)}`, "server_error");
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
      sendJson(res, 200, { object: "list", data: [{ id: model.id, object: "model", created: 0, owned_by: "tinyagent" }] });
      return;
    }
    if (path !== "/v1/chat/completions" && path !== "/chat/completions") {
      sendError(res, 404, `No route for ${req.method} ${req.url}: use POST /v1/chat/completions.`, "not_found_error");
      return;
    }
    if (req.method !== "POST") return sendError(res, 405, "Use POST for /v1/chat/completions.", "invalid_request_error");
    let body: Record<string, unknown>;
    let context: Context;
    const text = await readBody(req, maxBodyBytes);
    if (text === undefined) {
      res.setHeader("connection", "close");
      return sendError(res, 413, `Request body exceeds the faux server's limit of ${maxBodyBytes} bytes (maxBodyBytes).`, "invalid_request_error");
    }
    try {
      body = JSON.parse(text) as Record<string, unknown>;
      requests.push(body);
      context = openAIRequestToContext(body);
    } catch (error) {
      const message = error instanceof FauxRequestError ? error.message : `Request body is not valid JSON: ${String(error)}`;
      return sendError(res, 400, message, "invalid_request_error");
    }
    let response: FauxResponse;
    try {
      response = cursor ? cursor.next(context) : fauxRulesResponse(context);
    } catch (error) {
      return sendError(res, 400, error instanceof Error ? error.message : String(error), "invalid_request_error");
    }
    const hasContent = Boolean(response.text || response.thinking || response.toolCalls?.length);
    if (response.error !== undefined && !hasContent) {
      return sendError(res, response.status ?? 400, response.error, response.status === 429 ? "rate_limit_error" : "server_error");
    }
    // Scripts number calls per server; the rules count the calls already in the transcript (as in process).
    let n = cursor ? toolCallCount : countToolCalls(context);
    const ids = (response.toolCalls ?? []).map(() => `call_${++n}`);
    if (cursor) toolCallCount = n;
    const steps = fauxSteps(response, response.chunkSize ?? options.chunkSize ?? 4, (i) => ids[i] ?? "");
    if (body.stream === false) return sendJson(res, 200, completion(response, steps, context, String(body.model ?? model.id)));
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    await streamSse(res, response, steps, context, String(body.model ?? model.id), includeUsage);
  }

  async function streamSse(
    res: ServerResponse,
    response: FauxResponse,
    steps: FauxStep[],
    context: Context,
    modelId: string,
    includeUsage: boolean,
  ): Promise<void> {
    let resolveEnded!: (outcome: FauxStreamOutcome) => void;
    const stream: FauxServerStream = { chunksWritten: 0, ended: new Promise((r) => (resolveEnded = r)) };
    streams.push(stream);
    // 'close' on the response fires on a finished response and on a client that went away.
    let disconnected = false;
    let onGone!: () => void;
    const gone = new Promise<void>((r) => (onGone = r));
    res.on("close", () => {
      if (!res.writableFinished) disconnected = true;
      onGone();
    });
    const id = `chatcmpl-faux-${requests.length}`;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: "chat.completion.chunk",
      created: 0,
      model: modelId,
      choices,
      ...extra,
    });
    const delta = (d: Record<string, unknown>, finishReason: string | null = null) => chunk([{ index: 0, delta: d, finish_reason: finishReason }]);

    /** Writes one SSE event; waits for 'drain' when the socket buffer is full. False once the client is gone. */
    const write = async (data: unknown): Promise<boolean> => {
      if (disconnected || res.destroyed) return false;
      stream.chunksWritten++;
      const ok = res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
      if (!ok) await Promise.race([new Promise((r) => res.once("drain", r)), gone]);
      return !disconnected;
    };
    const pause = async (ms: number): Promise<void> => {
      if (ms <= 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), gone]);
      clearTimeout(timer);
    };

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const delayMs = response.chunkDelayMs ?? options.chunkDelayMs ?? 0;
    let alive = await write(delta({ role: "assistant", content: "" }));
    let holdError: string | undefined;
    if (alive && response.hold) {
      const held = Promise.resolve(response.hold).then(
        () => undefined,
        (error: unknown) => (holdError = `Faux hold rejected: ${error instanceof Error ? error.message : String(error)}`),
      );
      await Promise.race([held, gone]);
    }
    const errorText = holdError ?? response.error;
    for (const step of holdError === undefined ? steps : []) {
      if (!alive || disconnected) break;
      await pause(delayMs);
      alive = await write(delta(stepDelta(step)));
    }
    if (alive && !disconnected) {
      if (errorText !== undefined) {
        // An error after content: a mid-stream error chunk, and no [DONE].
        alive = await write({ error: { message: errorText, type: "server_error", code: response.status ?? null } });
      } else {
        const reason = fauxStopReason(response);
        alive = await write(delta({}, reason === "toolUse" ? "tool_calls" : reason));
        if (alive && includeUsage) alive = await write(chunk([], { usage: openAIUsage(response, context) }));
        if (alive) alive = await write("[DONE]");
      }
    }
    if (!disconnected) res.end();
    resolveEnded(disconnected ? "disconnected" : "finished");
  }

  function openAIUsage(response: FauxResponse, context: Context) {
    const usage = fauxUsage(response, model, context);
    return {
      prompt_tokens: usage.input + usage.cacheRead,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.cacheRead + usage.output,
      prompt_tokens_details: { cached_tokens: usage.cacheRead },
    };
  }

  /** The non-streaming answer (`stream: false`). */
  function completion(response: FauxResponse, steps: FauxStep[], context: Context, modelId: string) {
    const toolCalls = new Map<number, { id: string; type: "function"; function: { name: string; arguments: string } }>();
    for (const step of steps) {
      if (step.type !== "toolCall") continue;
      const call = toolCalls.get(step.index) ?? { id: step.id ?? "", type: "function" as const, function: { name: step.name ?? "", arguments: "" } };
      call.function.arguments += step.arguments;
      toolCalls.set(step.index, call);
    }
    const reason = fauxStopReason(response);
    const message: Record<string, unknown> = { role: "assistant", content: response.text ?? null };
    if (response.thinking) message.reasoning_content = response.thinking;
    if (toolCalls.size > 0) message.tool_calls = [...toolCalls.values()];
    return {
      id: `chatcmpl-faux-${requests.length}`,
      object: "chat.completion",
      created: 0,
      model: modelId,
      choices: [{ index: 0, message, finish_reason: reason === "toolUse" ? "tool_calls" : reason }],
      usage: openAIUsage(response, context),
    };
  }

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://${host}:${port}`;
  const url = `${baseUrl}/v1`;
  model = {
    id: "faux-1",
    name: "Faux 1 (loopback)",
    api: "openai-completions",
    provider: "faux",
    baseUrl: url,
    reasoning: true,
    contextWindow: 128_000,
    maxTokens: 16_384,
    cost: { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.5 },
  };
  return {
    url,
    baseUrl,
    model,
    requests,
    streams,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function stepDelta(step: FauxStep): Record<string, unknown> {
  if (step.type === "thinking") return { reasoning_content: step.delta };
  if (step.type === "text") return { content: step.delta };
  const fn: Record<string, string> = { arguments: step.arguments };
  if (step.name !== undefined) fn.name = step.name;
  const call: Record<string, unknown> = { index: step.index, function: fn };
  if (step.id !== undefined) {
    call.id = step.id;
    call.type = "function";
  }
  return { tool_calls: [call] };
}

/** The body as text, or undefined once it passes `maxBytes` (the rest is not read). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  if (Number(req.headers["content-length"]) > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off("data", onData).pause();
      chunks.length = 0;
      resolve(undefined);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, code: status } });
}
