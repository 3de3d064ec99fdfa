/**
 * The run viewer as a person uses it: a real headless Chromium (Debian's
 * package, driven by playwright-core; nothing downloads a browser) watches a
 * live agent run through a tool turn, then opens its recording and scrubs back.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { z } from "zod";
import { Agent, defineTool } from "../src/index.js";
import { recordRun, startRunViewer, type RunViewer } from "../src/devtools/index.js";
import { runCli } from "../src/devtools/cli-main.js";
import { createFauxProvider } from "../src/testing.js";
import { deferred, recordEvents, until } from "./helpers/transcript.js";
import { launchChromium } from "./helpers/chromium.js";

let viewer: RunViewer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  viewer = await startRunViewer({ port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
});

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
});

/** GET with the path sent byte for byte (fetch would normalise `..`). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(viewer.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A DOM element as seen from Node (the test's tsconfig has no DOM types). */
type Attributed = { getAttribute(name: string): string | null };

const activeState = () => page.locator(".state.active").getAttribute("data-state");

describe("run viewer", () => {
  it("shows a live tool turn, lists its events in order, and time-travels through its recording", async () => {
    const gate = deferred();
    const sum = defineTool({
      name: "sum",
      description: "Adds numbers.",
      parameters: z.object({ numbers: z.array(z.number()) }),
      async execute(_id, { numbers }) {
        await gate.promise;
        return { content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] };
      },
    });
    const faux = createFauxProvider([
      { thinking: "The user wants a sum; I will use the tool.", text: "Let me add those.", toolCalls: [{ name: "sum", arguments: { numbers: [12, 30, 7] } }] },
      { text: "12 + 30 + 7 = 49." },
    ]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [sum], systemPrompt: "Use tools for arithmetic." });
    const log = recordEvents(agent);
    viewer.attach(agent, { title: "sum agent" });

    await page.goto(viewer.url);
    await page.waitForSelector("body[data-ready]");
    expect(await page.locator("#chart .state").count()).toBeGreaterThanOrEqual(4);

    // Live: while the tool runs, the page highlights executingTools and the tool-call actor's state.
    const run = agent.prompt("What is 12 + 30 + 7?");
    await until(() => agent.state.pendingToolCalls.size === 1);
    await page.waitForSelector('.state.active[data-state="executingTools"]');
    await page.waitForSelector('.tool[data-actor="run1:tool-1-0"] .chips span.active:text-is("running")');
    expect(await page.locator("#transcript").innerText()).toContain('sum({"numbers":[12,30,7]})');

    gate.resolve();
    await run;
    await page.waitForSelector('.state.active[data-state="idle"]');
    await page.locator("#transcript", { hasText: "= 49." }).waitFor();
    expect(await page.locator("#usage").innerText()).toContain("cost $");

    // The timeline lists the run's agent events in the order the agent emitted them.
    const listed = await page
      .locator("#timeline li.emitted")
      .evaluateAll((rows) => (rows as unknown as Attributed[]).map((row) => row.getAttribute("data-type")));
    expect(listed).toEqual(log.types());
    // Filter by type.
    await page.selectOption("#type-filter", "tool_execution_end");
    expect(await page.locator("#timeline li").evaluateAll((rows) => (rows as unknown as Attributed[]).map((row) => row.getAttribute("data-type")))).toEqual([
      "tool_execution_end",
    ]);
    await page.selectOption("#type-filter", "");

    // Recorded: open the run's JSONL in the page and scrub back to the tool call.
    const recording = await rawGet("/api/sessions/live-1/recording.jsonl");
    expect(recording.status).toBe(200);
    await page.setInputFiles("#file", { name: "sum-run.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(recording.body) });
    await page.waitForSelector("#mode.recorded");
    const steps = JSON.parse((await rawGet("/api/sessions/recording-2/steps")).body) as {
      i: number;
      value: unknown;
      toolCalls: Record<string, { value: unknown }>;
    }[];
    expect(await page.locator("#scrub").getAttribute("max")).toBe(String(steps.length - 1));
    expect(await activeState()).toBe("idle");
    const running = steps.find((step) => JSON.stringify(step.toolCalls["run1:tool-1-0"]?.value ?? "").includes("running"))!;
    await page.locator("#scrub").fill(String(running.i));
    await page.waitForSelector('.state.active[data-state="executingTools"]');
    expect(await page.locator("#step-label").innerText()).toContain(`step ${running.i} /`);
    expect(await page.locator("#transcript").innerText()).not.toContain("= 49.");
    expect(await page.locator('.tool[data-actor="run1:tool-1-0"] .chips span.active').innerText()).toBe("running");
    mkdirSync("test/artifacts", { recursive: true });
    await page.screenshot({ path: "test/artifacts/viewer.png" });
  });

  it("renders a recording whose transcript holds odd content (#13 item 11): no page error, the odd parts shown as such", async () => {
    const faux = createFauxProvider([{ text: "A normal answer." }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn });
    const recording = recordRun(agent);
    await agent.prompt("hi");
    recording.stop();
    // Recordings are files from anywhere: the header's transcript edited to hold what no agent would make.
    const [first, ...rest] = recording.lines;
    const header = JSON.parse(first!);
    header.context.messages = [
      { role: "user", content: 42 },
      { role: "assistant", content: "a string, not blocks" },
      { role: "toolResult", toolCallId: "x", content: [null, 7, { type: "text", text: { not: "text" } }] },
      null,
      { role: "assistant" },
    ];
    header.context.usage = { ...header.context.usage, output: "two", cost: {} };
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(viewer.url);
    await page.waitForSelector("body[data-ready]");
    await page.setInputFiles("#file", {
      name: "odd.jsonl",
      mimeType: "application/x-ndjson",
      buffer: Buffer.from([JSON.stringify(header), ...rest].join("\n")),
    });
    await page.waitForSelector("#mode.recorded");
    await page.locator("#transcript", { hasText: "A normal answer." }).waitFor();
    const transcript = await page.locator("#transcript").innerText();
    expect(transcript).toContain("[content that is not a list: 42]");
    expect(transcript).toContain("a string, not blocks");
    expect(transcript).toContain("[block null]");
    expect(transcript).toContain("[block 7]");
    expect(errors).toEqual([]);
  });

  it("rejects a bad recording with the line at fault, and serves nothing outside its own files", async () => {
    const response = await fetch(new URL("/api/recordings", viewer.url), { method: "POST", body: '{"kind":"tinyagent-run","version":99}\n' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^Recording line 1: unsupported recording version 99/);
    for (const path of [
      "/assets/../package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/..%2f..%2fpackage.json",
      "//etc/passwd",
      "/assets/..\\..\\package.json",
    ]) {
      const { status, body } = await rawGet(path);
      expect(status, path).toBe(404);
      expect(body, path).not.toContain("devDependencies");
    }
    expect((await rawGet("/assets/app.js")).status).toBe(200);
    // DNS rebinding and cross-origin requests are refused.
    expect((await rawGet("/api/sessions", { host: "attacker.example" })).status).toBe(403);
    expect((await rawGet("/api/sessions", { origin: "http://attacker.example" })).status).toBe(403);
  });
});

describe("tinyagent view (the command)", () => {
  it("serves a recording given on the command line, and names the bad line of a broken one", async () => {
    const faux = createFauxProvider([{ text: "recorded hello" }]);
    const agent = new Agent({ model: faux.model, streamFn: faux.streamFn });
    const recording = recordRun(agent);
    await agent.prompt("hi");
    const dir = mkdtempSync(join(tmpdir(), "tinyagent-view-"));
    writeFileSync(join(dir, "run.jsonl"), recording.text());
    writeFileSync(join(dir, "broken.jsonl"), recording.text().slice(0, -5));
    const said: string[] = [];
    const output = { log: (text: string) => said.push(text), error: (text: string) => said.push(text) };

    const good = await runCli(["view", join(dir, "run.jsonl"), "--port", "0"], output);
    try {
      expect(said[0]).toBe(`tinyagent run viewer: ${good.viewer!.url} (run.jsonl) — Ctrl-C to stop`);
      const sessions = (await (await fetch(new URL("/api/sessions", good.viewer!.url))).json()) as { title: string; mode: string; steps: number }[];
      expect(sessions).toMatchObject([{ title: "run.jsonl", mode: "recorded" }]);
      expect(sessions[0]!.steps).toBeGreaterThan(2);
    } finally {
      await good.viewer?.close();
    }

    const bad = await runCli(["view", join(dir, "broken.jsonl"), "--port", "0"], output);
    expect(bad).toEqual({ exitCode: 1 });
    expect(said[1]).toMatch(/^tinyagent view: cannot open .*broken\.jsonl: Recording line \d+: not valid JSON/);
    expect(await runCli(["serve"], output)).toEqual({ exitCode: 2 });
    expect(said[2]).toBe("usage: tinyagent view [run.jsonl] [--port 4477] [--host 127.0.0.1] [--allowed-host name]... [--token secret]");
    const logged: string[] = [];
    expect(await runCli(["--help"], { log: (text) => logged.push(text), error: () => {} })).toEqual({ exitCode: 0 });
    expect(logged).toEqual(["usage: tinyagent view [run.jsonl] [--port 4477] [--host 127.0.0.1] [--allowed-host name]... [--token secret]"]);
  });
});
