/**
 * The benchmark's model: a loopback OpenAI-compatible chat-completions
 * server that replays pre-serialised SSE bodies, so it costs almost nothing
 * per delta and is never the bottleneck. Routes: `POST /w/<workload>/v1/chat/completions`,
 * and per native dialect (dialects.ts) `/w/<workload>/anthropic/v1/messages`,
 * `/w/<workload>/responses/v1/responses`, `/w/<workload>/google/v1beta/models/<id>:streamGenerateContent`;
 * the turn served is the number of assistant turns in the request (0 for
 * the first call, 1 after the tool results, …; a workload's prefilled history
 * does not count). Bodies go out in 64 KB slices, waiting for `drain`
 * whenever the socket's buffer is full.
 */
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { nativeBody, requestTurns, type Dialect } from "./dialects.js";
import type { Turn, Workload } from "./workloads.js";

/** A running bench server. */
export type BenchServer = {
  /** e.g. "http://127.0.0.1:40123". */
  url: string;
  /** The base URL that serves `workloadId` in `dialect` (default chat-completions: …/v1), as that provider's model takes it. */
  baseUrl(workloadId: string, dialect?: Dialect): string;
  /** Requests answered so far. */
  readonly served: number;
  close(): Promise<void>;
};

const SLICE = 64 * 1024;

const ROUTES: [Dialect, RegExp][] = [
  ["openai", /^\/w\/([^/]+)\/v1\/chat\/completions$/],
  ["anthropic", /^\/w\/([^/]+)\/anthropic\/v1\/messages$/],
  ["responses", /^\/w\/([^/]+)\/responses\/v1\/responses$/],
  ["google", /^\/w\/([^/]+)\/google\/v1beta\/models\/[^/:]+:streamGenerateContent(\?.*)?$/],
];
const BASE_PATHS: Record<Dialect, string> = { openai: "/v1", anthropic: "/anthropic", responses: "/responses/v1", google: "/google" };

/** The body of `turn` in `dialect`, serialised once. */
const bodies = new WeakMap<Turn, Map<Dialect, Buffer>>();
function bodyOf(turn: Turn, dialect: Dialect): Buffer {
  if (dialect === "openai") return turn.body;
  let byDialect = bodies.get(turn);
  if (!byDialect) bodies.set(turn, (byDialect = new Map()));
  let body = byDialect.get(dialect);
  if (!body) byDialect.set(dialect, (body = nativeBody(dialect, turn.script)));
  return body;
}

/** Starts the server on 127.0.0.1 port 0 with the given workloads. */
export async function startBenchServer(workloads: readonly Workload[]): Promise<BenchServer> {
  const byId = new Map(workloads.map((w) => [w.id as string, w]));
  const sockets = new Set<Socket>();
  let served = 0;
  const server = createServer((req, res) => {
    let dialect: Dialect = "openai";
    let match: RegExpExecArray | null = null;
    for (const [name, route] of ROUTES)
      if ((match = route.exec(req.url ?? ""))) {
        dialect = name;
        break;
      }
    const workload = match ? byId.get(match[1]!) : undefined;
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      if (!workload || req.method !== "POST") {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"unknown workload"}}');
        return;
      }
      const asked = assistantTurns(dialect, Buffer.concat(parts).toString("utf8")) - Math.floor(workload.history / 2);
      const turn = workload.turns[Math.max(0, Math.min(asked, workload.turns.length - 1))];
      if (!turn) {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"workload has no turns"}}');
        return;
      }
      served++;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      void send(res, bodyOf(turn, dialect));
    });
  });
  server.on("connection", (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // 10,000 concurrent agents open 10,000 connections at once.
  server.maxConnections = 20_000;
  server.listen({ port: 0, host: "127.0.0.1", backlog: 16_384 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: (workloadId, dialect = "openai") => `${url}/w/${workloadId}${BASE_PATHS[dialect]}`,
    get served() {
      return served;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `body` in slices, honouring backpressure; stops if the client leaves. */
async function send(res: ServerResponse, body: Buffer): Promise<void> {
  for (let at = 0; at < body.length; at += SLICE) {
    if (res.destroyed) return;
    if (!res.write(body.subarray(at, at + SLICE))) await drainedOrClosed(res);
  }
  res.end();
}

/** How many assistant turns the request carries: the turn it asks for. */
function assistantTurns(dialect: Dialect, body: string): number {
  try {
    return requestTurns(dialect, JSON.parse(body) as Record<string, unknown>);
  } catch {
    return 0;
  }
}

/** Waits until the socket takes more, or is gone (closed or failed); the other listener is removed. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  const settled = new AbortController();
  const { signal } = settled;
  const done = () => settled.abort();
  return Promise.race([once(res, "drain", { signal }), once(res, "close", { signal })]).then(done, done);
}
