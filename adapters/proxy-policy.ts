/**
 * The proxy's request policy with nothing runtime-specific: the refusal type,
 * token sanity, and CORS/origin decisions from plain header values. Shared by
 * the node server (`./proxy-server.ts`) and the fetch handler (`./proxy-fetch.ts`).
 */

/** Which browser origins may call the proxy. */
export type ProxyCorsOptions = {
  /** "*" for any origin, a list of exact origins, or a predicate. */
  origin: "*" | string | readonly string[] | ((origin: string) => boolean);
  /** Seconds a browser may cache a preflight answer (default 600). */
  maxAge?: number;
};

/** A request the server refuses, with its HTTP status. */
export class HttpRejection {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

/** The headers a refusal carries besides CORS: a challenge, `Connection: close` after an unread upload, `Retry-After`. */
export function rejectionHeaders(status: number): Record<string, string> {
  const extra: Record<string, string> = status === 401 ? { "WWW-Authenticate": "Bearer" } : {};
  if (status === 413 || status === 408 || status === 415) extra.Connection = "close";
  if (status === 429 || status === 503) extra["Retry-After"] = "1";
  return extra;
}

/** Throws when a configured token is empty or whitespace only: such a token would open the proxy. */
export function checkTokens(tokens: readonly unknown[]): void {
  for (const token of tokens) {
    if (typeof token !== "string" || token.trim().length === 0) {
      throw new Error("createProxyServer: an empty or blank `authToken` would let anyone in; give real tokens (or `authorize`).");
    }
  }
}

/** The token of `Authorization: Bearer <token>`: after the one scheme word and one space, byte for byte (no trimming). */
export function presentedBearer(header: string | null | undefined): string | undefined {
  if (!header || !/^bearer /i.test(header)) return undefined;
  const presented = header.slice("bearer ".length);
  return presented.length === 0 ? undefined : presented;
}

/** The CORS headers for `origin`, or none when CORS is off or the origin is not allowed. */
export function corsHeadersFor(origin: string | null | undefined, cors: ProxyCorsOptions | undefined): Record<string, string> {
  if (!cors || !origin) return {};
  const allowed = cors.origin;
  const ok = allowed === "*" || (typeof allowed === "string" ? allowed === origin : typeof allowed === "function" ? allowed(origin) : allowed.includes(origin));
  if (!ok) return {};
  return {
    "Access-Control-Allow-Origin": allowed === "*" ? "*" : origin,
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": String(cors.maxAge ?? 600),
    Vary: "Origin",
  };
}

/**
 * Whether a request's `Origin` may be served: any request without one
 * (non-browser clients), an origin the CORS list allows, and with CORS off
 * only the page's own origin (the `Origin` naming the `Host` it was sent to).
 */
export function originAllowedFor(origin: string | null | undefined, host: string | null | undefined, cors: ProxyCorsOptions | undefined): boolean {
  if (origin === undefined || origin === null) return true;
  if (cors) return Object.keys(corsHeadersFor(origin, cors)).length > 0;
  return URL.canParse(origin) && new URL(origin).host === host;
}

/** The refusal for an origin {@link originAllowedFor} turned down. */
export function originRejection(origin: string, cors: ProxyCorsOptions | undefined): HttpRejection {
  return new HttpRejection(
    403,
    `Origin ${origin} is not allowed on this proxy${cors ? " (add it to cors.origin)" : " (CORS is off: only same-origin pages may call it; set cors.origin)"}.`,
  );
}

/** The refusal of a request path the proxy does not serve. */
export function routeRejection(path: string | undefined, method: string): HttpRejection | undefined {
  if (path === undefined) return new HttpRejection(400, "Malformed request path.");
  if (path !== "/api/stream") return new HttpRejection(404, `Not found: ${path}. The proxy serves POST /api/stream and GET /healthz.`);
  if (method !== "POST") return new HttpRejection(405, "Use POST /api/stream.");
  return undefined;
}
