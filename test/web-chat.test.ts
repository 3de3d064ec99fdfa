import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebChat, type WebChat } from "../examples/web-chat/server.js";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let chat: WebChat;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  chat = await startWebChat({ chunkDelayMs: 20 });
  // launch() gives the browser a fresh temporary profile (its own --user-data-dir) and --headless.
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage();
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
  // false until every button's disabled is the negation of can() for its input; then what was compared.
  window.buttonsVsCan = () => {
    const snapshot = window.chatAgent.actor.getSnapshot();
    const rows = [
      ["send", snapshot.can({ type: "agent.prompt", messages: [] })],
      ["stop", snapshot.can({ type: "agent.abort" })],
    ];
    for (const call of snapshot.context.pendingToolCalls.filter((c) => c.status === "awaitingApproval")) {
      rows.push(["approve", snapshot.can({ type: "agent.approve", toolCallId: call.toolCallId })]);
      rows.push(["reject", snapshot.can({ type: "agent.reject", toolCallId: call.toolCallId })]);
    }
    const button = (id) => document.querySelector('[data-testid="' + id + '"]');
    return rows.every(([id, can]) => button(id) !== null && button(id).disabled === !can) && Object.fromEntries(rows);
  };
`;
declare const textOf: (selector: string) => string;
declare const progressSeen: string[];
declare const buttonsVsCan: () => false | Record<string, boolean>;

/** Waits until the buttons agree with `can()` (React renders a moment after a snapshot) and returns the comparison. */
async function buttonsMatchCan(): Promise<Record<string, boolean>> {
  const handle = await page.waitForFunction(() => buttonsVsCan(), undefined, { timeout: 5_000 });
  return (await handle.jsonValue()) as Record<string, boolean>;
}

async function send(text: string) {
  await page.getByTestId("prompt-input").fill(text);
  await page.getByTestId("send").click();
}

describe("web chat in headless Chromium (agent in the page, proxy + faux model on loopback)", { timeout: 30_000 }, () => {
  it("idle: send enabled, stop disabled, as can() says", async () => {
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("a tool call shows live progress, thinking and the answer", async () => {
    await send("What is 2 + 3?");
    // Progress lasts only while the tool runs: the page logs every text it showed (see PAGE_HELPERS).
    await page.getByTestId("transcript").getByText("The sum is 5.").waitFor();
    expect(await page.evaluate(() => progressSeen)).toEqual([
      " · added 2 (1 of 2), total so far 2",
      " · added 3 (2 of 2), total so far 5",
    ]);
    await expect(page.locator(".thinking").first().textContent()).resolves.toContain("The user asked for the sum of 2, 3");
    await expect(page.locator(".toolResult").first().textContent()).resolves.toBe("← sum: 5");
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("a tool that needs approval waits for the Approve button", async () => {
    await send("What time is it?");
    await page.getByTestId("approve").waitFor();
    expect(await buttonsMatchCan()).toEqual({ send: false, stop: true, approve: true, reject: true });
    await page.getByTestId("approve").click();
    await page.getByTestId("transcript").getByText(/The time is \d\d:\d\d:\d\d UTC\./).waitFor();
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });

  it("Stop ends a streaming reply: the partial text stays, marked aborted", async () => {
    await send("Hello there");
    const streaming = page.getByTestId("streaming-text");
    await page.waitForFunction(() => textOf('[data-testid="streaming-text"]').length > 8, undefined, { polling: 10 });
    expect(await buttonsMatchCan()).toEqual({ send: false, stop: true });
    await page.getByTestId("stop").click();
    const aborted = page.locator('[data-stop-reason="aborted"]');
    await aborted.waitFor();
    await expect(streaming.count()).resolves.toBe(0);
    const text = (await aborted.textContent()) ?? "";
    expect(text).toMatch(/^Hello! I am/);
    expect(text).toContain("Aborted by the user.");
    expect(text.length).toBeLessThan(150); // cut short: the full reply is longer
    expect(await buttonsMatchCan()).toEqual({ send: true, stop: false });
  });
});
