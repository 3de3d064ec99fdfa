/**
 * Regenerates docs/web-chat.png (the README's picture): the chat after a tool
 * call, and with an approval waiting, at 1024 px in headless Chromium.
 * `npx tsx --conditions=tinyagent-source examples/web-chat/screenshot.ts`
 */
import { chromium } from "playwright-core";
import { startWebChat } from "./server.js";

const chat = await startWebChat({ chunkDelayMs: 5 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
  await page.goto(chat.url);
  const send = async (text: string) => {
    await page.getByTestId("prompt-input").fill(text);
    await page.getByTestId("prompt-input").press("Enter");
  };
  await send("What is 2 + 3?");
  await page.getByText("The sum is 5.").waitFor();
  await send("What time is it?");
  await page.getByTestId("approve").waitFor();
  await page.screenshot({ path: new URL("../../docs/web-chat.png", import.meta.url).pathname });
} finally {
  await browser.close();
  await chat.close();
}
