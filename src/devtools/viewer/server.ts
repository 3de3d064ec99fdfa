/**
 * The run viewer: a local HTTP server with one page that shows agent runs —
 * the statechart with the active state, tool-call actors, an event timeline,
 * the transcript, usage — live (agents attached in this process stream in
 * over server-sent events) or from a recording (replayed, scrubbed with a slider).
 * Everything is served from the package: no CDN, no files read from disk.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { agentMachine, type AgentActor } from "../../../machines/agent.machine.js";
import { toolCallMachine } from "../../../machines/tool-call.machine.js";
import { recordRun } from "../record.js";
import { replayRun } from "../replay.js";
import { traceSteps } from "../run-trace.js";
import { layoutChart, type ChartLayout } from "./chart.js";
import { VIEWER_ASSETS } from "./assets.js";
import { checkExposure, viewerAccess } from "./access.js";
import { ViewerSession } from "./session.js";

/** Options of {@link startRunViewer}. */
export type RunViewerOptions = {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /**
   * Interface to listen on (default "127.0.0.1": only this machine). Beyond
   * loopback (e.g. "0.0.0.0") the viewer refuses to start without
   * `allowedHosts` or `token`: transcripts are private.
   */
  host?: string;
  /** Host names the viewer is reached by (`name` or `name:port`); a request naming another `Host`, or sent from another origin, gets 403. */
  allowedHosts?: readonly string[];
  /**
   * A secret (8+ characters) every request must carry: `Authorization: Bearer <token>`,
   * or open `url` (which then ends in `?token=…`) once in the browser, which sets a cookie.
   */
  token?: string;
  /** Most bytes that may wait for one live-event client; a client that falls further behind is dropped (default 4 MiB). */
  maxClientBufferBytes?: number;
};

/** A running viewer. */
export type RunViewer = {
  /** The page's address, e.g. `http://127.0.0.1:4477/` (with `?token=…` when a token is set). */
  url: string;
  /** Streams an agent's runs into the page from now on (the agent must be idle); returns the function that detaches it. */
  attach(agent: { actor: AgentActor }, options?: { title?: string }): () => void;
  /** Adds a recorded run (JSONL text); returns its session id. Throws a `RecordingError` naming the bad line. */
  open(recording: string, options?: { title?: string }): string;
  /** Stops the server and detaches every agent. */
  close(): Promise<void>;
};

const MAX_UPLOAD = 64 * 1024 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, "application/json; charset=utf-8", JSON.stringify(value));

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_UPLOAD) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Starts the run viewer on loopback.
 * @example
 * const viewer = await startRunViewer({ port: 4477 });
 * viewer.attach(agent);
 * console.log(`watch the run at ${viewer.url}`);
 */
export async function startRunViewer(options: RunViewerOptions = {}): Promise<RunViewer> {
  const access = {
    host: options.host ?? "127.0.0.1",
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  };
  checkExposure(access);
  const maxClientBufferBytes = options.maxClientBufferBytes ?? 4 * 1024 * 1024;
  const chart: { agent: ChartLayout; toolCallStates: string[] } = {
    agent: await layoutChart(agentMachine),
    toolCallStates: Object.keys(toolCallMachine.root.states),
  };
  const sessions = new Map<string, ViewerSession>();
  const clients = new Set<ServerResponse>();
  const detachers = new Set<() => void>();
  let counter = 0;

  // A client that does not read would make the server buffer every frame for it: past the bound it is dropped
  // (its EventSource reconnects and gets every session again).
  const broadcast = (event: string, data: unknown) => {
    if (clients.size === 0) return; // nobody to send it to: the session keeps the step for whoever connects
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) {
      if (client.writableLength > maxClientBufferBytes) {
        clients.delete(client);
        client.destroy();
      } else client.write(frame);
    }
  };
  const addSession = (session: ViewerSession) => {
    sessions.set(session.id, session);
    broadcast("session", { ...session.info(), steps: session.steps });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowed(req, res)) return;
    // Only exact, known paths are served: there is no file system behind this server to traverse.
    const path = URL.canParse(req.url ?? "/", "http://viewer") ? new URL(req.url ?? "/", "http://viewer").pathname : undefined;
    if (path === undefined) return json(res, 400, { error: `Bad request target: ${JSON.stringify(req.url).slice(0, 100)}` });
    const asset = req.method === "GET" ? VIEWER_ASSETS.get(path === "/" ? "/index.html" : path) : undefined;
    if (asset) return send(res, 200, asset.type, asset.body);
    if (req.method === "GET" && path === "/api/chart") return json(res, 200, chart);
    if (req.method === "GET" && path === "/api/sessions")
      return json(
        res,
        200,
        [...sessions.values()].map((s) => s.info()),
      );
    if (req.method === "GET" && path === "/api/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      res.write(": tinyagent run viewer\n\n");
      for (const session of sessions.values()) {
        res.write(`event: session\ndata: ${JSON.stringify({ ...session.info(), steps: session.steps })}\n\n`);
      }
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    const match = /^\/api\/sessions\/([\w-]+)\/(steps|recording\.jsonl)$/.exec(path);
    if (req.method === "GET" && match) {
      const session = sessions.get(match[1]!);
      if (!session) return json(res, 404, { error: `No session "${match[1]}".` });
      if (match[2] === "steps") return json(res, 200, session.steps);
      return send(res, 200, "application/x-ndjson; charset=utf-8", session.recording());
    }
    if (req.method === "POST" && path === "/api/recordings") {
      const body = await readBody(req);
      if (body === undefined) return json(res, 413, { error: `Recording larger than ${MAX_UPLOAD} bytes.` });
      const title = new URL(req.url ?? "/", "http://viewer").searchParams.get("title") ?? undefined;
      try {
        return json(res, 201, { id: viewer.open(body, { title }) });
      } catch (error) {
        return json(res, 400, { error: error instanceof Error ? error.message : String(error) });
      }
    }
    json(res, 404, { error: `Not found: ${req.method} ${path}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, access.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  // Only requests naming this server, from its own pages (and with the token, when set): a web page
  // elsewhere cannot reach transcripts by DNS rebinding, nor post to it from another origin.
  const allowed = viewerAccess(access, address.port);

  const viewer: RunViewer = {
    url: `http://${host}:${address.port}/${options.token !== undefined ? `?token=${encodeURIComponent(options.token)}` : ""}`,
    attach(agent, attachOptions = {}) {
      const recording = recordRun(agent);
      const id = `live-${++counter}`;
      const session = new ViewerSession(id, attachOptions.title ?? `agent ${counter}`, "live", () => recording.text());
      addSession(session);
      // Raw steps: the session keeps only details of their events, made in add (see traceSteps).
      const stopTrace = traceSteps(agent.actor, (step) => broadcast("step", { session: id, step: session.add(step) }), Date.now, true);
      const detach = () => {
        stopTrace();
        recording.stop();
        detachers.delete(detach);
      };
      detachers.add(detach);
      return detach;
    },
    open(text, openOptions = {}) {
      const replay = replayRun(text);
      const id = `recording-${++counter}`;
      const session = new ViewerSession(id, openOptions.title ?? `recording ${counter}`, "recorded", () => text);
      for (const step of replay.steps) session.add(step);
      addSession(session);
      return id;
    },
    async close() {
      for (const detach of [...detachers]) detach();
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return viewer;
}
