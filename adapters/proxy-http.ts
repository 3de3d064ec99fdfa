/**
 * Small node:http helpers of the proxy server: bounded body reading, JSON
 * error replies, bearer-token checks and CORS headers (the decisions are
 * `./proxy-policy.ts`'s, shared with the fetch handler).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { corsHeadersFor, HttpRejection, originAllowedFor, presentedBearer } from "./proxy-policy.js";
import type { ProxyCorsOptions } from "./proxy-policy.js";

export { HttpRejection } from "./proxy-policy.js";
export type { ProxyCorsOptions } from "./proxy-policy.js";

/** Sends `{ error, ...extra }` — the shape pi-agent-core's client reads (`errorData.error`). */
export function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Reads the whole body, refusing more than `maxBytes` (413) or a body that
 * takes longer than `timeoutMs` to arrive (408), so a slow or huge upload
 * cannot hold memory or a connection.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new HttpRejection(413, `Request body is ${declared} bytes; the limit is ${maxBytes}.`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: HttpRejection) => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      if (!error) return resolve(Buffer.concat(chunks, size));
      // Stop reading; the reply carries `Connection: close`, so the rest is never parsed.
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(new HttpRejection(413, `Request body exceeds the limit of ${maxBytes} bytes.`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = () => finish(new HttpRejection(400, "Request body could not be read."));
    // A client that hangs up mid-body: give up now rather than at the timeout.
    const onClose = () => {
      if (!req.complete) onError();
    };
    const timer = setTimeout(() => finish(new HttpRejection(408, `Request body did not arrive within ${timeoutMs} ms.`)), timeoutMs);
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/**
 * The accepted token this request carries, if any: a constant-time check of
 * `Authorization: Bearer <token>` against the accepted tokens (hashing first
 * makes the comparison length-independent). After the one scheme word and one
 * space the rest is compared byte for byte: no trimming, so `Bearer <U+00A0>`
 * is never the empty token.
 */
export function matchedToken(req: IncomingMessage, tokens: readonly string[]): string | undefined {
  const presented = presentedBearer(req.headers.authorization);
  if (presented === undefined) return undefined;
  const given = sha256(presented);
  let found: string | undefined;
  for (const token of tokens) if (timingSafeEqual(given, sha256(token)) && found === undefined) found = token;
  return found;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** See {@link originAllowedFor}. */
export function originAllowed(req: IncomingMessage, cors: ProxyCorsOptions | undefined): boolean {
  return originAllowedFor(req.headers.origin, req.headers.host, cors);
}

/** See {@link corsHeadersFor}. */
export function corsHeaders(req: IncomingMessage, cors: ProxyCorsOptions | undefined): Record<string, string> {
  return corsHeadersFor(req.headers.origin, cors);
}
