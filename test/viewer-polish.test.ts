import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startRunViewer, type RunViewer } from "../src/devtools/index.js";
import { Agent, defineTool } from "../src/index.js";
import { createFauxProvider } from "../src/testing.js";
import { launchChromium } from "./helpers/chromium.js";

let viewer: RunViewer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [viewer, browser] = await Promise.all([startRunViewer({ port: 0 }), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  // Two runs, each with one tool call: the machine names both actors tool-1-0.
  const sum = defineTool({
    name: "sum",
    description: "Adds numbers.",
    parameters: z.object({ numbers: z.array(z.number()) }),
    execute: async (_id, { numbers }) => ({ content: [{ type: "text", text: String(numbers.reduce((a, b) => a + b, 0)) }] }),
  });
  const faux = createFauxProvider([
    { toolCalls: [{ name: "sum", arguments: { numbers: [1, 2] } }] },
    { text: "3." },
    { toolCalls: [{ name: "sum", arguments: { numbers: [3, 4] } }] },
    { text: "7." },
  ]);
  const agent = new Agent({ model: faux.model, streamFn: faux.streamFn, tools: [sum] });
  viewer.attach(agent, { title: "two runs" });
  await agent.prompt("1 + 2?");
  await agent.prompt("3 + 4?");
  await page.goto(viewer.url);
  await page.waitForSelector("body[data-ready]");
  await page.locator("#transcript", { hasText: "7." }).waitFor();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
});

// In-page geometry. Plain JS in a string: this file has no DOM types.
const LABEL_DISTANCES = `(() => Array.from(document.querySelectorAll("#chart .edge")).map((edge) => {
  const path = edge.querySelector("path");
  const box = edge.querySelector(".label rect").getBBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  let best = Infinity;
  const length = path.getTotalLength();
  for (let at = 0; at <= length; at += 1) {
    const p = path.getPointAtLength(at);
    best = Math.min(best, Math.hypot(p.x - cx, p.y - cy));
  }
  return { edge: edge.getAttribute("data-source") + "->" + edge.getAttribute("data-target"), distance: Math.round(best) };
}))()`;
const CLIPPED = `(() => {
  const out = [];
  if (document.documentElement.scrollWidth > innerWidth) out.push("page " + document.documentElement.scrollWidth);
  for (const panel of document.querySelectorAll(".panel, header, footer")) {
    const r = panel.getBoundingClientRect();
    if (r.left < 0 || r.right > innerWidth) out.push((panel.id || panel.tagName) + " " + Math.round(r.left) + ".." + Math.round(r.right));
  }
  for (const panel of document.querySelectorAll(".panel")) if (panel.scrollWidth > panel.clientWidth + 1) out.push(panel.id + " scrolls sideways");
  return out;
})()`;

describe("run viewer polish (1024 px, Chromium)", { timeout: 20_000 }, () => {
  it("draws each edge's label on its edge (the label's centre lies on the line)", async () => {
    const distances = (await page.evaluate(LABEL_DISTANCES)) as { edge: string; distance: number }[];
    expect(distances.length).toBeGreaterThanOrEqual(6);
    expect(distances.filter((d) => d.distance > 1)).toEqual([]);
    // Readable: a label line (13 chart units) is drawn at least 11 CSS px tall on this screen.
    const scale = (await page.evaluate(
      `(() => { const svg = document.querySelector("#chart svg"); return svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; })()`,
    )) as number;
    expect(13 * scale).toBeGreaterThanOrEqual(11);
  });

  it("hides XState-internal events from the timeline by default; the toggle shows them", async () => {
    const types = () =>
      page
        .locator("#timeline li.input")
        .evaluateAll((rows) => rows.map((row) => (row as unknown as { getAttribute(n: string): string }).getAttribute("data-type")));
    const shown = await types();
    expect(shown).toContain("agent.prompt");
    expect(shown.filter((type) => type.startsWith("xstate."))).toEqual([]);
    await page.locator("#show-internal").check();
    expect((await types()).filter((type) => type.startsWith("xstate."))).toContain("xstate.init");
    await page.locator("#show-internal").uncheck();
  });

  it("clips nothing at 1024 px", async () => {
    expect(await page.evaluate(CLIPPED)).toEqual([]);
  });

  it("has a favicon", async () => {
    const href = await page.locator('link[rel="icon"]').getAttribute("href");
    const icon = await fetch(new URL(href!, viewer.url));
    expect([icon.status, icon.headers.get("content-type")]).toEqual([200, "image/svg+xml"]);
    expect(await icon.text()).toMatch(/^<svg /);
  });

  it("gives the tool-call actors of two runs different ids", async () => {
    const sessions = (await (await fetch(new URL("/api/sessions", viewer.url))).json()) as { id: string }[];
    const steps = (await (await fetch(new URL(`/api/sessions/${sessions[0]!.id}/steps`, viewer.url))).json()) as {
      actor: string;
      toolCalls: Record<string, { toolName?: string; args?: unknown; status: string }>;
    }[];
    const last = steps.at(-1)!;
    expect(last.toolCalls).toMatchObject({
      "run1:tool-1-0": { toolName: "sum", args: { numbers: [1, 2] }, status: "done" },
      "run2:tool-1-0": { toolName: "sum", args: { numbers: [3, 4] }, status: "done" },
    });
    expect(new Set(steps.map((s) => s.actor).filter((a) => a !== "root"))).toEqual(new Set(["run1:tool-1-0", "run2:tool-1-0"]));
    // The panel shows the latest run's call.
    expect(await page.locator("#tools .tool").getAttribute("data-actor")).toBe("run2:tool-1-0");
  });
});
