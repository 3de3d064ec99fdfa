/**
 * `agentRequestHandler`: serves agents over HTTP with nothing but
 * `Request`/`Response`, so the same handler runs on Node (through
 * {@link nodeHandler}), Bun, Deno and edge runtimes.
 *
 *   GET  …/sessions/:id/events   SSE: a `snapshot`, then every event (resumable with Last-Event-ID)
 *   GET  …/sessions/:id          the snapshot as JSON
 *   POST …/sessions/:id/:command prompt · steer · followUp · abort · approve · reject
 *
 * The machine decides what is legal (`can()`); a refused command gets 409
 * with the agent's own explanation of what to do instead. With a
 * `SessionStore` the handler opens each session with `Agent.open`, so
 * sessions (and their runs in flight) outlive the handler's process.
 */
import { z } from "zod/v4";
import { Agent } from "../agent.js";
import type { OpenAgentOptions } from "../agent-session.js";
import { AgentError } from "../core/errors.js";
import { userMessage } from "../core/messages.js";
import type { AgentMessage } from "../core/types.js";
import type { SessionStore } from "../session-store.js";
import { SessionHub, type Frame } from "./session-hub.js";
import { sseStream } from "./sse-stream.js";

/** What `agent` returns for a session kept in the handler's `store`: `Agent.open`'s options but the store. */
export type SessionAgentOptions = Omit<OpenAgentOptions, "store">;

/**
 * Options of {@link agentRequestHandler}. Without `store`, `agent` makes each
 * session's Agent and sessions live in this process. With a `store`, `agent`
 * gives the options of the session's agent (tools, model, stream function,
 * keys: what a store never holds) and the handler opens it with `Agent.open`,
 * so a session survives a restart of the handler, a run in flight included.
 */
export type AgentRequestHandlerOptions = HandlerSettings &
  (
    | {
        /**
         * The agent of a session, made on the session's first request and kept
         * while it is in use. Return `undefined` for a session that does not exist (404).
         */
        agent: (sessionId: string, request: Request) => Agent | undefined | Promise<Agent | undefined>;
        store?: undefined;
      }
    | {
        /** The options of a session's agent; `undefined` for a session that may not exist (404). */
        agent: (sessionId: string, request: Request) => SessionAgentOptions | undefined | Promise<SessionAgentOptions | undefined>;
        /** Where sessions are kept (`createFileStore(dir)`, `createPostgresStore(…)`): the handler opens them with `Agent.open`. */
        store: SessionStore;
      }
  );

/** The handler's own settings. */
type HandlerSettings = {
  /** Whether a request may proceed (false: 401). Should not throw; a throw answers 500. */
  authorize?: (request: Request, sessionId: string) => boolean | Promise<boolean>;
  /** Interval of `: ping` comments on an idle stream, so proxies keep it open (default 15 s). */
  heartbeatMs?: number;
  /** Bytes that may wait for a slow client before its stream is ended, to be resumed (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Bounds of each session's replay ring for `Last-Event-ID` (default 4096 frames, 4 MiB). */
  replay?: { maxFrames?: number; maxBytes?: number };
  /** Largest accepted command body (default 1 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /** Sessions kept in memory; beyond it the least recently used idle one with no stream open is dropped (default 1000). */
  maxSessions?: number;
};

/** A web-standard request handler. */
export type AgentRequestHandler = (request: Request) => Promise<Response>;

const COMMANDS = ["prompt", "steer", "followUp", "abort", "approve", "reject"] as const;
const SESSION_ID = /^[A-Za-z0-9._~-]{1,200}$/;

const content = z.union(
  [
    z.string(),
    z.array(
      z.discriminatedUnion("type", [
        z.object({ type: z.literal("text"), text: z.string() }),
        z.object({ type: z.literal("image"), data: z.string(), mimeType: z.string() }),
      ]),
    ),
  ],
  { error: '`content` must be a string, or an array of { type: "text", text } and { type: "image", data, mimeType } blocks' },
);
const bodies = {
  prompt: z.object({ content }),
  steer: z.object({ content }),
  followUp: z.object({ content }),
  abort: z.object({}),
  approve: z.object({ toolCallId: z.string().min(1) }),
  reject: z.object({ toolCallId: z.string().min(1), reason: z.string().optional() }),
};
const EXAMPLES: Record<(typeof COMMANDS)[number], string> = {
  prompt: '{"content":"Hello"}',
  steer: '{"content":"Also check the tests"}',
  followUp: '{"content":"Then summarise"}',
  abort: "{}",
  approve: '{"toolCallId":"call_1"}',
  reject: '{"toolCallId":"call_1","reason":"Not now"}',
};

class Rejection {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

/**
 * Serves agents over HTTP (contract §13); see the module comment for the routes.
 * @example
 * const handle = agentRequestHandler({ agent: (sessionId) => new Agent({ model, tools, sessionId }) });
 * Bun.serve({ fetch: handle });                           // or Deno.serve(handle)
 * createServer(nodeHandler(handle)).listen(3000);         // node:http
 */
export function agentRequestHandler(options: AgentRequestHandlerOptions): AgentRequestHandler {
  const hubs = new Map<string, Promise<SessionHub>>();
  const limits = { maxFrames: options.replay?.maxFrames ?? 4096, maxBytes: options.replay?.maxBytes ?? 4 * 1024 * 1024 };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxSessions = options.maxSessions ?? 1000;

  const agentOf = async (sessionId: string, request: Request): Promise<Agent | undefined> => {
    if (!options.store) return options.agent(sessionId, request);
    const agentOptions = await options.agent(sessionId, request);
    if (!agentOptions) return undefined;
    // A session opened elsewhere (another handler on the same store) is dropped here; the next request opens it again.
    const dropOnLoss: OpenAgentOptions["onLost"] = (error) => {
      void hubs.get(sessionId)?.then((hub) => {
        if (hub.agent !== agent) return;
        hub.close();
        hubs.delete(sessionId);
      });
      agentOptions.onLost?.(error);
    };
    const agent = await Agent.open(sessionId, { ...agentOptions, store: options.store, onLost: dropOnLoss });
    return agent;
  };

  const hubOf = async (sessionId: string, request: Request): Promise<SessionHub> => {
    let hub = hubs.get(sessionId);
    if (hub) {
      hubs.delete(sessionId); // re-insert: the map's order is least recently used first
      hubs.set(sessionId, hub);
      return hub;
    }
    hub = agentOf(sessionId, request).then((agent) => {
      if (!agent) throw new Rejection(404, `Unknown session "${sessionId}": this server has no such session.`);
      return new SessionHub(agent, limits);
    });
    hubs.set(sessionId, hub);
    hub.catch(() => hubs.get(sessionId) === hub && hubs.delete(sessionId));
    await evict();
    return hub;
  };

  const evict = async () => {
    for (const [sessionId, pending] of hubs) {
      if (hubs.size <= maxSessions) return;
      const hub = await pending.catch(() => undefined);
      if (hub && (hub.listenerCount > 0 || !hub.agent.actor.getSnapshot().matches("idle"))) continue;
      hub?.close();
      hubs.delete(sessionId);
    }
  };

  return async (request) => {
    try {
      const url = new URL(request.url);
      const match = /\/sessions\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
      if (!match)
        throw new Rejection(
          404,
          `No route for ${url.pathname}: use …/sessions/<sessionId>/events, …/sessions/<sessionId> or POST …/sessions/<sessionId>/<command>.`,
        );
      const sessionId = decodeURIComponent(match[1]!);
      const action = match[2];
      if (!SESSION_ID.test(sessionId)) {
        throw new Rejection(400, `Invalid session id ${JSON.stringify(sessionId)}: use 1–200 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-".`);
      }
      const allowed = action === undefined || action === "events" ? "GET" : "POST";
      if (action !== undefined && action !== "events" && !(COMMANDS as readonly string[]).includes(action)) {
        throw new Rejection(404, `Unknown command "${action}": use one of ${COMMANDS.join(", ")} (POST), or events (GET).`);
      }
      if (request.method !== allowed) {
        throw new Rejection(405, `${request.method} is not allowed on ${url.pathname}: use ${allowed}.`, { allow: allowed });
      }
      if (options.authorize && !(await options.authorize(request, sessionId))) {
        throw new Rejection(401, "Not authorized for this session.");
      }
      const hub = await hubOf(sessionId, request);
      if (action === "events") return events(hub, request, heartbeatMs, maxBufferedBytes);
      if (action === undefined) return json(200, { ...hub.snapshot(), lastEventId: `${hub.epoch}-${hub.lastSeq}` });
      const command = action as (typeof COMMANDS)[number];
      const body = bodies[command].safeParse(await readJson(request, maxBodyBytes));
      if (!body.success) {
        throw new Rejection(400, `Invalid ${command} body: ${z.prettifyError(body.error)}\nExpected e.g. ${EXAMPLES[command]}`);
      }
      return await runCommand(hub, command, body.data as Record<string, unknown>);
    } catch (error) {
      if (error instanceof Rejection) {
        const headers: Record<string, string> = typeof error.extra.allow === "string" ? { Allow: error.extra.allow } : {};
        return json(error.status, { error: error.message, ...error.extra }, headers);
      }
      // Another handler on the same store saved the session while this one opened it: the client may try again.
      if (error instanceof AgentError && error.code === "session-conflict") return json(409, { error: error.message, code: error.code });
      return json(500, { error: `Internal error: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
}

function events(hub: SessionHub, request: Request, heartbeatMs: number, maxBufferedBytes: number): Response {
  const url = new URL(request.url);
  const lastEventId = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId");
  let initial: Frame[] | undefined;
  const [epoch, seq] = (lastEventId ?? "").split("-");
  if (epoch === hub.epoch && seq !== undefined) {
    initial = hub.framesAfter(Number(seq));
    // A replay bigger than a slow client may hold would end and restart forever: start from a snapshot instead.
    if (initial && initial.reduce((bytes, frame) => bytes + frame.json.length, 0) > maxBufferedBytes / 2) initial = undefined;
  }
  if (!initial) {
    const data = hub.snapshot();
    initial = [{ seq: hub.lastSeq, name: "snapshot", data, json: JSON.stringify(data) }];
  }
  const body = sseStream({ initial, listen: (send) => hub.listen(send), epoch: hub.epoch, heartbeatMs, maxBufferedBytes, signal: request.signal });
  return new Response(body, {
    status: 200,
    headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no" },
  });
}

async function runCommand(hub: SessionHub, command: (typeof COMMANDS)[number], body: Record<string, unknown>): Promise<Response> {
  const { agent } = hub;
  const after = `${hub.epoch}-${hub.lastSeq}`;
  const accepted = () => json(202, { ok: true, after });
  const can = (event: object) => agent.actor.getSnapshot().can(event as never);
  const message = (): AgentMessage => userMessage(body.content as string);
  switch (command) {
    case "prompt": {
      const messages = [message()];
      if (!can({ type: "agent.prompt", messages }))
        return refused(
          await agent.prompt(messages).then(
            () => undefined,
            (error: unknown) => error,
          ),
        );
      void agent.prompt(messages).catch(() => {}); // runs on; its events reach the session's streams
      return accepted();
    }
    case "steer":
    case "followUp": {
      const event = { type: command === "steer" ? "agent.steer" : "agent.followUp", message: message() };
      if (!can(event)) throw new Rejection(409, `${command} is not possible now: the session's agent takes no more input.`);
      if (command === "steer") agent.steer(event.message);
      else agent.followUp(event.message);
      return accepted();
    }
    case "abort":
      agent.abort(); // aborting an idle agent is a no-op, not an error: a Stop click may cross the run's end
      return accepted();
    case "approve":
    case "reject":
      try {
        if (command === "approve") agent.approve(body.toolCallId as string);
        else agent.reject(body.toolCallId as string, body.reason as string | undefined);
      } catch (error) {
        return refused(error);
      }
      return accepted();
  }
}

/** A command the agent refused: 409 with the agent's own words (what to do instead). */
function refused(error: unknown): Response {
  if (error instanceof AgentError) return json(error.code === "invalid-input" ? 400 : 409, { error: error.message, code: error.code });
  return json(500, { error: `Internal error: ${error instanceof Error ? error.message : String(error)}` });
}

async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw new Rejection(413, `Request body is ${declared} bytes; the limit is ${maxBytes}.`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        // Not cancelled: the runtime discards the rest, so the client still reads this answer.
        reader.releaseLock();
        throw new Rejection(413, `Request body exceeds the limit of ${maxBytes} bytes.`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Rejection(400, `Request body is not JSON: ${text.slice(0, 80)}`);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, "Content-Type": "application/json; charset=utf-8" } });
}
