/**
 * The run viewer's file serving under hostile paths, without a browser: 400
 * random paths built from traversal pieces (`..`, encoded dots and slashes,
 * backslashes, NUL, doubled slashes) are sent byte for byte. Nothing but the
 * viewer's own files ever comes back, and the server keeps answering.
 */
import { mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Agent } from "../src/index.js";
import { recordRun, startRunViewer, type RunViewer } from "../src/devtools/index.js";
import { MAX_RECORDING_BYTES, runCli } from "../src/devtools/cli-main.js";
import { createFauxProvider } from "../src/testing.js";

let viewer: RunViewer;
beforeAll(async () => {
  viewer = await startRunViewer({ port: 0 });
});
afterAll(() => viewer.close());

/** GET with the path sent as is (fetch and URL would normalise it first). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(viewer.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const PIECES = [
  "..",
  "%2e%2e",
  "%2E%2e",
  ".%2e",
  "..%2f",
  "..%5c",
  "%2f",
  "%5c",
  "\\",
  "..\\",
  ".",
  "",
  "%00",
  "assets",
  "api",
  "sessions",
  "etc",
  "passwd",
  "package.json",
  "index.html",
  "app.js",
  "~",
  "%252e%252e",
];

describe("run viewer static files", () => {
  it("400 random traversal paths: only the viewer's own files, never the file system", async () => {
    const assets = new Set<string>();
    for (const path of ["/", "/assets/app.js", "/assets/chart.js", "/assets/style.css"]) assets.add((await rawGet(path)).body);
    expect([...assets].every((body) => body.length > 0)).toBe(true);

    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 10 }), async (pieces) => {
        const path = `/${pieces.join("/")}`;
        const { status, body } = await rawGet(path);
        expect(body, path).not.toMatch(/devDependencies|root:x?:0:0|BEGIN (RSA|OPENSSH) PRIVATE KEY/);
        // A target that cannot parse as a URL is a bad request (JSON, no details of the machine).
        if (!URL.canParse(path, "http://viewer")) return void expect(status, path).toBe(400);
        if (status === 200 && !/^\/api\//.test(new URL(path, "http://viewer").pathname)) expect(assets.has(body), path).toBe(true);
        else expect([200, 404], path).toContain(status);
      }),
      { numRuns: 400 },
    );
    expect((await rawGet("/assets/app.js")).status).toBe(200);
  });
});

/** A request with the headers sent as given (fetch would not let a test set Host). */
function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: url.port, path, method, headers }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("run viewer beyond loopback", () => {
  it("refuses to listen on 0.0.0.0 without allowedHosts or a token", async () => {
    await expect(startRunViewer({ host: "0.0.0.0" })).rejects.toThrow(
      /listening on 0\.0\.0\.0 serves transcripts beyond this machine.*Give `allowedHosts`.*or a `token`/,
    );
    await expect(startRunViewer({ host: "0.0.0.0", token: "short" })).rejects.toThrow("`token` must be at least 8 characters");
  });

  it("on 0.0.0.0 with allowedHosts: only those Host names and their own origin (DNS rebinding gets 403)", async () => {
    const open = await startRunViewer({ host: "0.0.0.0", allowedHosts: ["viewer.lan"] });
    try {
      const { port } = new URL(open.url);
      expect((await rawRequest(open.url, "/api/sessions", { host: `viewer.lan:${port}` })).status).toBe(200);
      expect((await rawRequest(open.url, "/api/sessions", { host: `attacker.example:${port}` })).status).toBe(403);
      expect((await rawRequest(open.url, "/api/sessions", { host: `viewer.lan:${port}`, origin: "http://attacker.example" })).status).toBe(403);
      const post = await rawRequest(open.url, "/api/recordings", { host: `viewer.lan:${port}`, origin: `http://attacker.example:${port}` }, "POST");
      expect(post.status).toBe(403);
    } finally {
      await open.close();
    }
  });

  it("with a token: 401 without it; ?token= turns into an HttpOnly cookie; the cookie or a bearer header lets requests in", async () => {
    const token = "viewer-token-0123456789";
    const guarded = await startRunViewer({ host: "0.0.0.0", token });
    try {
      const { port, search } = new URL(guarded.url);
      expect(search).toBe(`?token=${token}`);
      const host = { host: `anything.example:${port}` };
      const none = await rawRequest(guarded.url, "/api/sessions", host);
      expect(none.status).toBe(401);
      expect(JSON.parse(none.body).error).toMatch(/needs its token/);
      expect((await rawRequest(guarded.url, "/api/sessions", { ...host, authorization: "Bearer wrong-token-123" })).status).toBe(401);
      expect((await rawRequest(guarded.url, "/api/sessions", { ...host, authorization: `Bearer ${token}` })).status).toBe(200);
      const visit = await rawRequest(guarded.url, `/?token=${token}`, host);
      expect(visit.status).toBe(303);
      expect(visit.headers.location).toBe("/");
      const cookie = String(visit.headers["set-cookie"]).split(";")[0]!;
      expect(String(visit.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await rawRequest(guarded.url, "/", { ...host, cookie })).status).toBe(200);
      // Another page's request, even with the cookie, is not same-origin.
      expect((await rawRequest(guarded.url, "/api/sessions", { ...host, cookie, origin: "http://attacker.example" })).status).toBe(403);
    } finally {
      await guarded.close();
    }
  });
});

describe("run viewer live events under slow clients", () => {
  it("drops clients that do not read once their buffer passes the bound; a reading client gets every session", async () => {
    const faux = createFauxProvider([{ text: "x".repeat(400_000), chunkSize: 50_000 }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn });
    const recording = recordRun(agent);
    await agent.prompt("hi");
    recording.stop();
    const text = recording.text();
    const live = await startRunViewer({ maxClientBufferBytes: 256 * 1024 });
    const { port } = new URL(live.url);
    const head = `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    // Five clients that connect and never read (their sockets are paused), one that reads everything.
    const idle = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(Number(port), "127.0.0.1", () => socket.write(head, () => resolve(socket)));
            socket.pause();
          }),
      ),
    );
    let read = "";
    const reader = connect(Number(port), "127.0.0.1", () => reader.write(head));
    reader.on("data", (d) => (read += d.toString()));
    await vi.waitFor(() => expect(read).toContain(": tinyagent run viewer"));
    try {
      const frames = 12;
      for (let i = 0; i < frames; i++) {
        live.open(text, { title: `copy ${i}` });
        await new Promise((resolve) => setImmediate(resolve));
      }
      const frameBytes = Buffer.byteLength(text);
      // Each idle client was cut off: resumed now, it gets what was in flight and then the end, far short of everything.
      const received = await Promise.all(
        idle.map(
          (socket) =>
            new Promise<number>((resolve) => {
              let bytes = 0;
              socket.on("data", (d) => (bytes += d.length));
              socket.on("close", () => resolve(bytes));
              socket.on("error", () => undefined);
              socket.resume();
            }),
        ),
      );
      for (const bytes of received) expect(bytes).toBeLessThan(frames * frameBytes);
      await vi.waitFor(() => expect(read.split("event: session\n").length - 1).toBe(frames), { timeout: 4000 });
    } finally {
      reader.destroy();
      await live.close();
    }
  });
});

describe("tinyagent view on hostile files", () => {
  const said: string[] = [];
  const output = { log: (text: string) => said.push(text), error: (text: string) => said.push(text) };

  it("refuses a device (/dev/zero would be read forever) and a file over the size bound, at once and clearly", async () => {
    expect(await runCli(["view", "/dev/zero", "--port", "0"], output)).toEqual({ exitCode: 1 });
    expect(said.at(-1)).toBe("tinyagent view: cannot read /dev/zero: not a regular file; give the path of a .jsonl recording.");
    const dir = mkdtempSync(join(tmpdir(), "tinyagent-view-"));
    const big = join(dir, "big.jsonl");
    writeFileSync(big, "");
    truncateSync(big, MAX_RECORDING_BYTES + 1); // sparse: instant, no disk used
    expect(await runCli(["view", big, "--port", "0"], output)).toEqual({ exitCode: 1 });
    expect(said.at(-1)).toBe(`tinyagent view: cannot read ${big}: the file is 67108865 bytes; tinyagent view opens recordings of up to 67108864 bytes.`);
    expect(await runCli(["view", dir, "--port", "0"], output)).toEqual({ exitCode: 1 });
    expect(said.at(-1)).toMatch(/cannot read .*: (not a regular file|EISDIR)/);
  });

  it("--host 0.0.0.0 needs --allowed-host or --token", async () => {
    expect(await runCli(["view", "--port", "0", "--host", "0.0.0.0"], output)).toEqual({ exitCode: 2 });
    expect(said.at(-1)).toMatch(/^tinyagent view: startRunViewer: listening on 0\.0\.0\.0 serves transcripts beyond this machine/);
    const started = await runCli(["view", "--port", "0", "--host", "0.0.0.0", "--token", "cli-token-123456"], output);
    try {
      expect(started.exitCode).toBe(0);
      expect(said.at(-1)).toMatch(/^tinyagent run viewer: http:\/\/0\.0\.0\.0:\d+\/\?token=cli-token-123456 — Ctrl-C to stop$/);
    } finally {
      await started.viewer?.close();
    }
  });
});

describe("run viewer secrets in live steps", () => {
  it("a live session's steps redact credential fields of tool arguments, and match the steps of its own recording opened afterwards", async () => {
    const login = {
      name: "login",
      description: "Logs in.",
      parameters: { type: "object", properties: { user: { type: "string" }, password: { type: "string" } } },
      execute: async () => ({ content: [{ type: "text" as const, text: "ok" }] }),
    };
    const faux = createFauxProvider([
      { text: "Logging in.", toolCalls: [{ name: "login", arguments: { user: "ada", password: "hunter2-secret" } }] },
      { text: "Done." },
    ]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [login] });
    const recording = recordRun(agent);
    viewer.attach(agent, { title: "secrets" });
    await agent.prompt("Log in as ada.");
    recording.stop();
    const sessions = (await (await fetch(new URL("/api/sessions", viewer.url))).json()) as { id: string; title: string }[];
    const live = sessions.find((s) => s.title === "secrets")!;
    const liveSteps = await (await fetch(new URL(`/api/sessions/${live.id}/steps`, viewer.url))).text();
    expect(liveSteps).not.toContain("hunter2-secret");
    expect(liveSteps).toContain('login({\\"user\\":\\"ada\\",\\"password\\":\\"[redacted]\\"})');
    // The live trace skips normalising events (traceSteps' raw mode); the page must not see a difference.
    const opened = viewer.open(recording.text(), { title: "secrets, recorded" });
    const replayed = await (await fetch(new URL(`/api/sessions/${opened}/steps`, viewer.url))).text();
    const withoutTimes = (text: string) => (JSON.parse(text) as { t: number }[]).map(({ t: _t, ...step }) => step);
    expect(withoutTimes(liveSteps)).toEqual(withoutTimes(replayed));
  });
});
