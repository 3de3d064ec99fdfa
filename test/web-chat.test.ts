/**
 * examples/web-chat in headless Chromium: the agent and its tools on the
 * server (agentRequestHandler, faux model on loopback), the page a
 * remoteAgent rendered by useAgent. Streaming, a tool call with progress,
 * an approval, Stop mid-stream with one error banner, a reload mid-run that
 * resumes the stream, and the layout at 1024 px and at phone width.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebChat, type WebChat } from "../examples/web-chat/server.js";
import type { Context } from "../src/core/types.js";
import { fauxRulesResponse } from "../src/testing.js";
import { launchChromium } from "./helpers/chromium.js";

const STOP_PROMPT = "Hello there";
const RELOAD_PROMPT = "Please reload me in the middle of this reply";
/**
 * The faux model's rules, with two replies slowed so that what the test does
 * lands mid-stream even on a loaded machine: STOP_PROMPT's (about 17 s, cut
 * short by Stop after a second) and RELOAD_PROMPT's (about 8 s, which the
 * reload must not outlast).
 */
function script(context: Context) {
  const reply = fauxRulesResponse(context);
  const last = context.messages.at(-1);
  const prompt = last?.role === "user" ? last.content : undefined;
  if (prompt === STOP_PROMPT) return { ...reply, chunkDelayMs: 400 };
  if (prompt === RELOAD_PROMPT) return { ...reply, chunkDelayMs: 150 };
  return reply;
}

let chat: WebChat;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [chat, browser] = await Promise.all([startWebChat({ chunkDelayMs: 25, script }), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
  page.setDefaultTimeout(15_000); // generous: the full suite runs many files at once
  await page.addInitScript(PAGE_HELPERS);
  await page.goto(chat.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await chat?.close();
});

// Page-side helpers, installed before the app loads. Plain JS in a string: this file has no DOM types.
const PAGE_HELPERS = `
  window.textOf = (selector) => document.querySelector(selector)?.textContent ?? "";
  // Every tool progress text ever shown (it lasts only while the tool runs).
  window.progressSeen = [];
  new MutationObserver(() => {
    const text = window.textOf('[data-testid="tool-progress"]');
    if (text && window.progressSeen.at(-1) !== text) window.progressSeen.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
  // false until every button's disabled is the negation of can() for its input (on the mirror); then what was compared.
  window.buttonsVsCan = () => {
    const snapshot = window.chatAgent.actor.getSnapshot();
    const rows = [
      ["send", snapshot.can({ type: "agent.prompt" })],
      ["stop", snapshot.can({ type: "agent.abort" })],
    ];
    for (const call of snapshot.context.pendingToolCalls.filter((c) => c.status === "awaitingApproval")) {
      rows.push(["approve", snapshot.can({ type: "agent.approve", toolCallId: call.toolCallId })]);
      rows.push(["reject", snapshot.can({ type: "agent.reject", toolCallId: call.toolCallId })]);
    }
    const button = (id) => document.querySelector('[data-testid="' + id + '"]');
    return rows.every(([id, can]) => button(id) !== null && button(id).disabled === !can) && Object.fromEntries(rows);
  };
  // How far the page is wider than the viewport (0: nothing clipped or scrolling sideways).
  window.overflowX = () => document.documentElement.scrollWidth - window.innerWidth;
  // How often the visible page text contains \`text\`.
  window.countText = (text) => document.body.innerText.split(text).length - 1;
`;
declare const textOf: (selector: string) => string;
declare const progressSeen: string[];
declare const buttonsVsCan: () => false | Record<string, boolean>;
declare const overflowX: () => number;
declare const countText: (text: string) => number;

/** Waits until the buttons agree with `can()` (React renders a moment after a snapshot) and returns the comparison. */
async function buttonsMatchCan(): Promise<Record<string, boolean>> {
  const handle = await page.waitForFunction(() => buttonsVsCan(), undefined, { timeout: 5_000 });
  return (await handle.jsonValue()) as Record<string, boolean>;
}

async function send(text: string) {
  await page.getByTestId("prompt-input").fill(text);
  await page.getByTestId("send").click();
}

const lastAssistant = () => page.locator('[data-role="assistant"][data-stop-reason]').last();

describe("web chat in headless Chromium (agent on the server, page on remoteAgent + useAgent)", { timeout: 30_000 }, () => {
  it("idle: send enabled, stop disabled, as can() says", async () => {
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
    expect(await page.getByTestId("state").textContent()).toBe("ready");
  });

  it("a tool call: a card with its arguments, live progress and result, then the answer; usage and cost shown", async () => {
    await send("What is 2 + 3?");
    await page.getByTestId("transcript").getByText("The sum is 5.").waitFor();
    // Progress lasts only while the tool runs: the page logs every text it showed (see PAGE_HELPERS).
    expect(await page.evaluate(() => progressSeen)).toEqual(["added 2 (1 of 2), total so far 2", "added 3 (2 of 2), total so far 5"]);
    const card = page.getByTestId("tool-call").first();
    expect(await card.getAttribute("data-status")).toBe("done");
    expect(await card.getByTestId("tool-args").textContent()).toBe('{"numbers":[2,3]}');
    expect(await card.getByTestId("tool-result").textContent()).toBe("5");
    expect(await page.locator(".thinking").first().textContent()).toContain("The user asked for the sum of 2, 3");
    expect(await page.locator('[data-role="user"]').first().textContent()).toBe("YouWhat is 2 + 3?");
    expect(await page.getByTestId("usage").textContent()).toMatch(/^[1-9][\d,]* tokens · \$0\.\d+$/);
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("a tool that needs approval waits for the Approve button", async () => {
    await send("What time is it?");
    await page.getByTestId("approve").waitFor();
    expect(await buttonsMatchCan()).toEqual({ send: false, stop: true, approve: true, reject: true });
    expect(await page.getByTestId("state").textContent()).toBe("waiting for you");
    await page.getByTestId("approve").click();
    await page
      .getByTestId("transcript")
      .getByText(/The time is \d\d:\d\d:\d\d UTC\./)
      .waitFor();
    expect(await page.getByTestId("tool-call").last().getAttribute("data-status")).toBe("done");
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("Stop ends a streaming reply: the partial text stays, tagged, and the error shows once, in one banner", async () => {
    await send(STOP_PROMPT);
    await page.waitForFunction(() => textOf('[data-testid="streaming-text"]').length > 14, undefined, { polling: 10 });
    expect(await buttonsMatchCan()).toEqual({ send: false, stop: true });
    await page.getByTestId("stop").click();
    await page.getByTestId("error").waitFor();
    await expect(page.getByTestId("streaming").count()).resolves.toBe(0);
    const stopped = lastAssistant();
    expect(await stopped.getAttribute("data-stop-reason")).toBe("aborted");
    const text = (await stopped.locator(".markdown").textContent()) ?? "";
    expect(text).toMatch(/^Hello! I am/);
    expect(text.length).toBeLessThan(150); // cut short: the full reply is longer
    expect(await stopped.locator(".tag").textContent()).toBe("stopped");
    expect(await page.getByTestId("error").textContent()).toContain("Aborted by the user.");
    expect(await page.evaluate(() => countText("Aborted by the user."))).toBe(1);
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("a reload mid-run finds the same session and resumes the stream: the reply completes once, nothing lost or doubled", async () => {
    const prompt = RELOAD_PROMPT;
    await send(prompt);
    await page.waitForFunction(() => textOf('[data-testid="streaming-text"]').length > 12, undefined, { polling: 10 });
    await page.reload();
    // The new page's mirror starts from the server's snapshot, mid-message, and streams on.
    await page.getByTestId("streaming-text").waitFor();
    await lastAssistant().getByText(`I understood: "${prompt}"`, { exact: false }).waitFor();
    await lastAssistant().getByText("I will use the tools I am given.", { exact: false }).waitFor();
    const expected = `Hello! I am tinyagent's built-in faux model. I understood: "${prompt}". Ask me to add or multiply numbers, or for the time, and I will use the tools I am given.`;
    expect((await lastAssistant().locator(".markdown").textContent())?.trim()).toBe(expected);
    // The whole earlier conversation came back with the session.
    expect(await page.locator('[data-role="user"]').count()).toBe(4);
    expect(await page.evaluate((text) => countText(text), expected)).toBe(1);
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("fits at 1024 px and at phone width: no sideways overflow, the composer in view", async () => {
    for (const viewport of [
      { width: 1024, height: 800 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(viewport);
      await page.waitForFunction(() => overflowX() <= 0);
      const bar = await page.locator(".bar").boundingBox();
      expect(bar!.x).toBeGreaterThanOrEqual(0);
      expect(bar!.x + bar!.width).toBeLessThanOrEqual(viewport.width);
      expect(bar!.y + bar!.height).toBeLessThanOrEqual(viewport.height);
      const card = await page.getByTestId("tool-call").first().boundingBox();
      expect(card!.x + card!.width).toBeLessThanOrEqual(viewport.width);
    }
  });
});
