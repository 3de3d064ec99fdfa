/**
 * Who may read the run viewer. Transcripts are private and the viewer has no
 * accounts, so every request must name a host the viewer knows (`Host`, which
 * a DNS-rebinding page cannot choose) and come from no other page's origin;
 * beyond loopback the server refuses to start unless it is given the host
 * names it is reached by (`allowedHosts`) or a `token` each request carries.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AgentError } from "../../core/errors.js";

/** The cookie a `?token=` visit sets, so the page's own requests (EventSource included) carry the token. */
const COOKIE = "tinyagent_viewer";

/** What {@link viewerAccess} needs to know. */
export type ViewerAccessOptions = { host: string; allowedHosts?: readonly string[]; token?: string };

/** True for the loopback interface names and addresses. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|::ffff:127\.\d+\.\d+\.\d+)$/.test(host);
}

/** Throws when listening on `host` would expose transcripts without a host list or a token. */
export function checkExposure(options: ViewerAccessOptions): void {
  if (options.token !== undefined && options.token.trim().length < 8) {
    throw new AgentError("invalid-input", "startRunViewer: `token` must be at least 8 characters (use a random one).");
  }
  if (isLoopbackHost(options.host) || options.allowedHosts?.length || options.token !== undefined) return;
  throw new AgentError(
    "invalid-input",
    `startRunViewer: listening on ${options.host} serves transcripts beyond this machine, where any web page could reach them by DNS rebinding. ` +
      "Give `allowedHosts` (the host names the viewer is reached by) or a `token` (tinyagent view: --allowed-host or --token).",
  );
}

/**
 * The access check for a viewer listening on `port`: returns true when the
 * request may go on; otherwise it has answered it (403, 401, or the redirect
 * that turns a `?token=` link into a cookie).
 */
export function viewerAccess(options: ViewerAccessOptions, port: number): (req: IncomingMessage, res: ServerResponse) => boolean {
  const names = new Set<string>();
  const add = (name: string) => {
    names.add(name.toLowerCase());
    if (!/:\d+$/.test(name) || name.endsWith("]")) names.add(`${name.toLowerCase()}:${port}`);
  };
  if (isLoopbackHost(options.host) || options.host === "0.0.0.0" || options.host === "::") for (const name of ["localhost", "127.0.0.1", "[::1]"]) add(name);
  if (isLoopbackHost(options.host)) add(options.host.includes(":") && !options.host.startsWith("[") ? `[${options.host}]` : options.host);
  for (const name of options.allowedHosts ?? []) add(name);
  // With a token alone, any Host is fine: the token, not the name, keeps other pages out.
  const anyHost = options.token !== undefined && !options.allowedHosts?.length && !isLoopbackHost(options.host);
  const expected = options.token === undefined ? undefined : digest(options.token);

  return (req, res) => {
    const host = (req.headers.host ?? "").toLowerCase();
    const origin = req.headers.origin;
    const sameOrigin = origin === undefined || (URL.canParse(origin) && new URL(origin).host.toLowerCase() === host);
    if ((!anyHost && !names.has(host)) || !sameOrigin) {
      deny(res, 403, "Forbidden: the run viewer answers only its own pages, under the host names it was started with.");
      return false;
    }
    if (!expected) return true;
    const url = new URL(req.url ?? "/", "http://viewer");
    const given = url.searchParams.get("token") ?? bearer(req) ?? cookie(req);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      deny(res, 401, "This run viewer needs its token: open the address it printed (with ?token=…), or send Authorization: Bearer <token>.");
      return false;
    }
    if (url.searchParams.has("token") && req.method === "GET") {
      url.searchParams.delete("token");
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        "set-cookie": `${COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`,
        "cache-control": "no-store",
      });
      res.end();
      return false;
    }
    return true;
  };
}

function deny(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify({ error }));
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header && /^bearer /i.test(header) ? header.slice(7) : undefined;
}

function cookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name !== COOKIE) continue;
    try {
      return decodeURIComponent(value.join("="));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
