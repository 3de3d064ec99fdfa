/**
 * The bridge from `node:http` to a web-standard handler: the request becomes
 * a `Request` (its body streamed, its signal aborted when the client goes
 * away), the `Response` is written back with backpressure (a write that
 * returns false waits for `drain`). Typed structurally, so this file imports
 * nothing from node and the entry stays runtime-neutral.
 */

/** The parts of `http.IncomingMessage` the bridge reads. */
export type NodeRequestLike = AsyncIterable<Uint8Array> & {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  /** False while body bytes are still unread. */
  readonly complete?: boolean;
  resume?(): unknown;
};

/** The parts of `http.ServerResponse` the bridge writes. */
export type NodeResponseLike = {
  writeHead(status: number, headers: Record<string, string | string[]>): unknown;
  flushHeaders?(): void;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
};

/**
 * A `node:http` request listener serving `handle`.
 * @example
 * createServer(nodeHandler(agentRequestHandler({ agent }))).listen(3000);
 */
export function nodeHandler(handle: (request: Request) => Promise<Response>): (req: NodeRequestLike, res: NodeResponseLike) => void {
  return (req, res) => {
    void serve(handle, req, res).catch(() => {
      if (!res.writableEnded && !res.destroyed) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end();
      }
    });
  };
}

async function serve(handle: (request: Request) => Promise<Response>, req: NodeRequestLike, res: NodeResponseLike): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once("close", onClose);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? "GET";
  const host = headers.get("host") ?? "localhost";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal: gone.signal };
  if (method !== "GET" && method !== "HEAD") {
    init.body = req as unknown as ReadableStream<Uint8Array>; // node's fetch takes an async iterable body
    init.duplex = "half";
  }
  const response = await handle(new Request(`http://${host}${req.url ?? "/"}`, init));
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    out[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
  });
  res.writeHead(response.status, out);
  // A stream may say nothing for a while (a resume with nothing missed): the client should have its headers now.
  res.flushHeaders?.();
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  gone.signal.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await drained(res);
    }
  } finally {
    gone.signal.removeEventListener("abort", stop);
    res.off("close", onClose);
    if (!res.writableEnded) res.end();
    // A body the handler did not read (a 413, say) is drained, not reset, so the client reads the answer.
    if (req.complete === false) req.resume?.();
  }
}

function drained(res: NodeResponseLike): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
