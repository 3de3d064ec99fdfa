/**
 * A scripted loopback HTTP server for provider tests (no mocked fetch).
 *
 * - Listens on 127.0.0.1, port 0 (the OS picks a free one); `url` is its root.
 * - Answers each request with a {@link ScriptedResponse}: status, headers and
 *   the body as raw chunks written one by one (strings or bytes, so a test can
 *   split anywhere, even inside a UTF-8 character), with an optional delay
 *   between chunks; a chunk may be a function, awaited before going on, to
 *   hold the stream until the test says so.
 * - Records every request (method, path, headers, body) and whether the
 *   client hung up before the response ended (`closed`).
 * - `close()` drops every connection and stops the server.
 *
 * @example
 * const server = await startSseServer({ chunks: ['data: {"choices":[]}\n\n', "data: [DONE]\n\n"] });
 * // … point a model's baseUrl at server.url …
 * expect(server.requests[0]!.json()).toMatchObject({ stream: true });
 * await server.close();
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A piece of the body, or a function awaited before the next piece. */
export type ScriptedChunk = string | Uint8Array | (() => unknown);

/** How the server answers one request. */
export type ScriptedResponse =
  | {
      /** Default 200. */
      status?: number;
      /** Default `content-type: text/event-stream`. */
      headers?: Record<string, string>;
      chunks?: ScriptedChunk[];
      /** Wait this long before each chunk after the first (0 still yields to the event loop). */
      chunkDelayMs?: number;
      /** After the chunks: end the response (default), keep it open, or reset the connection. */
      end?: "end" | "hang" | "reset";
    }
  /** Reset the connection before sending anything. */
  | { reset: true };

/** What the server saw of one request. */
export type RecordedRequest = {
  method: string;
  /** Path and query, e.g. "/v1/chat/completions". */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON. */
  json(): unknown;
  /** Resolves when the response closed; `byClient` is true when the client hung up before it ended. */
  closed: Promise<{ byClient: boolean }>;
};

/** A script: one response for all requests, a list (request i gets item i, the last repeats), or a function. */
export type Script = ScriptedResponse | ScriptedResponse[] | ((request: RecordedRequest, index: number) => ScriptedResponse | Promise<ScriptedResponse>);

/** A running server. */
export type SseServer = {
  /** e.g. "http://127.0.0.1:54321" (no trailing slash). */
  url: string;
  requests: RecordedRequest[];
  /** Drops connections with no request in flight (e.g. a spare one fetch opened after an abort). */
  closeIdleConnections(): void;
  close(): Promise<void>;
};

/** Starts a scripted server on 127.0.0.1:0. */
export async function startSseServer(script: Script): Promise<SseServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  const server = createServer(async (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.on("close", () => {
      // The socket may have closed (and left the map) first: do not bring it back.
      const count = inFlight.get(socket);
      if (count !== undefined) inFlight.set(socket, count - 1);
    });
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const body = Buffer.concat(parts).toString("utf8");
    const closed = new Promise<{ byClient: boolean }>((resolve) => res.on("close", () => resolve({ byClient: !res.writableFinished })));
    const recorded: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, json: () => JSON.parse(body), closed };
    const index = requests.push(recorded) - 1;
    const response =
      typeof script === "function" ? await script(recorded, index) : Array.isArray(script) ? script[Math.min(index, script.length - 1)]! : script;
    await respond(res, response);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      inFlight.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closeIdleConnections: () => {
      for (const socket of sockets) if (!inFlight.get(socket)) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function respond(res: ServerResponse, response: ScriptedResponse): Promise<void> {
  if ("reset" in response) {
    res.socket?.resetAndDestroy();
    return;
  }
  res.writeHead(response.status ?? 200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...response.headers });
  res.flushHeaders();
  const chunks = response.chunks ?? [];
  for (let i = 0; i < chunks.length; i++) {
    if (res.destroyed) return;
    const chunk = chunks[i]!;
    if (typeof chunk === "function") {
      await chunk();
      continue;
    }
    if (response.chunkDelayMs !== undefined && i > 0) await new Promise((r) => setTimeout(r, response.chunkDelayMs));
    if (res.destroyed) return;
    // Wait for each write to reach the socket so chunks tend to arrive as separate reads.
    await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
  }
  if (response.end === "hang" || res.destroyed) return;
  if (response.end === "reset") res.socket?.resetAndDestroy();
  else res.end();
}
