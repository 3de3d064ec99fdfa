/**
 * The benchmark's model: a loopback OpenAI-compatible chat-completions
 * server that replays pre-serialised SSE bodies, so it costs almost nothing
 * per delta and is never the bottleneck. Routes: `POST /w/<workload>/v1/chat/completions`;
 * the turn served is the number of assistant messages in the request (0 for
 * the first call, 1 after the tool results, …). Bodies go out in 64 KB
 * slices, waiting for `drain` whenever the socket's buffer is full.
 */
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Workload } from "./workloads.js";

/** A running bench server. */
export type BenchServer = {
  /** e.g. "http://127.0.0.1:40123". */
  url: string;
  /** The OpenAI-style base URL (…/v1) that serves `workloadId`. */
  baseUrl(workloadId: string): string;
  /** Requests answered so far. */
  readonly served: number;
  close(): Promise<void>;
};

const SLICE = 64 * 1024;

/** Starts the server on 127.0.0.1 port 0 with the given workloads. */
export async function startBenchServer(workloads: readonly Workload[]): Promise<BenchServer> {
  const byId = new Map(workloads.map((w) => [w.id as string, w]));
  const sockets = new Set<Socket>();
  let served = 0;
  const server = createServer((req, res) => {
    const match = /^\/w\/([^/]+)\/v1\/chat\/completions$/.exec(req.url ?? "");
    const workload = match ? byId.get(match[1]!) : undefined;
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      if (!workload || req.method !== "POST") {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"unknown workload"}}');
        return;
      }
      const turn = workload.turns[Math.min(assistantTurns(Buffer.concat(parts).toString("utf8")), workload.turns.length - 1)];
      if (!turn) {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"workload has no turns"}}');
        return;
      }
      served++;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      void send(res, turn.body);
    });
  });
  server.on("connection", (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // 1,000 concurrent agents open 1,000 connections at once.
  server.maxConnections = 10_000;
  server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: (workloadId) => `${url}/w/${workloadId}/v1`,
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

/** How many assistant messages the request carries: the turn it asks for. */
function assistantTurns(body: string): number {
  try {
    const messages = (JSON.parse(body) as { messages?: { role?: string }[] }).messages ?? [];
    return messages.filter((m) => m.role === "assistant").length;
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
