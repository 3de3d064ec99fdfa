/**
 * The run viewer's file serving under hostile paths, without a browser: 400
 * random paths built from traversal pieces (`..`, encoded dots and slashes,
 * backslashes, NUL, doubled slashes) are sent byte for byte. Nothing but the
 * viewer's own files ever comes back, and the server keeps answering.
 */
import { request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRunViewer, type RunViewer } from "../src/devtools/index.js";

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

const PIECES = ["..", "%2e%2e", "%2E%2e", ".%2e", "..%2f", "..%5c", "%2f", "%5c", "\\", "..\\", ".", "", "%00", "assets", "api", "sessions", "etc", "passwd", "package.json", "index.html", "app.js", "~", "%252e%252e"];

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
