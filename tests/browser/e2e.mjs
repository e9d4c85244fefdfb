// End-to-end: sign up, chat "add a task to buy milk", watch the reply stream in and the task appear,
// tick it complete (panel and widget), reload, and find the conversation and the task state intact.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";

const BASE = process.env.BASE_URL;
const SHOTS = process.env.SHOT_DIR || ".";
assert.ok(BASE, "BASE_URL is required");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const problems = [];
page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.setDefaultTimeout(15000);

const step = (name) => console.log(`- ${name}`);

try {
  step("sign up");
  await page.goto(BASE);
  await page.getByTestId("tab-sign-up").click();
  await page.getByTestId("name").fill("Milk Buyer");
  await page.getByTestId("email").fill(`milk-${Date.now()}@example.com`);
  await page.getByTestId("password").fill("correct horse battery");
  await page.getByTestId("auth-submit").click();
  await page.getByTestId("message").waitFor();
  assert.equal(await page.getByTestId("who").textContent(), "Milk Buyer");

  step("chat, and watch the reply stream in");
  await page.evaluate(() => {
    window.__partials = [];
    new MutationObserver((records) => {
      for (const r of records) {
        // each delta replaces the text node of the reply's span: the added node holds the text as it
        // was then (the span itself may be detached by the time this runs)
        const isReply = r.target.nodeType === 1 && r.target.classList.contains("text");
        if (isReply) for (const n of r.addedNodes) if (n.nodeType === Node.TEXT_NODE) window.__partials.push(n.data);
      }
    }).observe(document.getElementById("messages"), { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId("message").fill("add a task to buy milk");
  await page.getByTestId("message").press("Enter");
  const reply = page.getByTestId("assistant-message").last();
  await reply.filter({ hasText: "buy milk" }).waitFor();
  await page.waitForFunction(() => !document.querySelector("li.msg.assistant.streaming"));
  const partials = await page.evaluate(() => window.__partials);
  const finalText = (await reply.locator(".text").textContent()).trim();
  const growing = new Set(partials.filter((p) => p.length > 0 && p.length < finalText.length));
  assert.ok(growing.size >= 2, `the reply arrived in pieces (saw ${JSON.stringify([...growing])})`);
  assert.match(finalText, /buy milk/);
  assert.equal(await page.getByTestId("user-message").first().textContent(), "add a task to buy milk");

  step("the task appears in the panel");
  const panelBox = page.getByTestId("task-1");
  await panelBox.waitFor();
  assert.equal(await page.getByTestId("task-list").getByTestId("task-title").first().textContent(), "buy milk");
  assert.equal(await panelBox.isChecked(), false);

  step("the conversation is listed with its title");
  await page.getByTestId("thread-list").getByRole("button", { name: "add a task to buy milk" }).waitFor();

  step("tick it complete in the panel");
  await panelBox.check();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]')?.checked === true
    && document.querySelector("#task-list .done") !== null);

  step("the todo widget shows it done; unticking there reopens it, ticking completes it again");
  await page.getByTestId("message").fill("show me all my tasks");
  await page.getByTestId("send").click();
  const widgetBox = page.getByTestId("widget").last().getByTestId("widget-task-1");
  await widgetBox.waitFor();
  assert.equal(await widgetBox.isChecked(), true);
  await page.waitForFunction(() => !document.getElementById("send").disabled);
  await widgetBox.uncheck();
  await page.getByTestId("assistant-message").filter({ hasText: "reopened task 1" }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]')?.checked === false);
  await page.waitForFunction(() => !document.getElementById("send").disabled);
  await page.getByTestId("widget").last().getByTestId("widget-task-1").check();
  await page.getByTestId("assistant-message").filter({ hasText: "marked task 1" }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]')?.checked === true);

  step("reload: the conversation and the task state are intact");
  await page.reload();
  await page.getByTestId("message").waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]')?.checked === true);
  await page.getByTestId("thread-list").getByRole("button", { name: "add a task to buy milk" }).click();
  await page.getByTestId("user-message").filter({ hasText: "add a task to buy milk" }).waitFor();
  const texts = await page.getByTestId("messages").locator("li").allTextContents();
  assert.ok(texts.some((t) => /added "buy milk"/.test(t)), JSON.stringify(texts));
  assert.ok(texts.some((t) => t.includes("show me all my tasks")), JSON.stringify(texts));
  assert.equal(await page.getByTestId("widget").last().getByTestId("widget-task-1").isChecked(), true);

  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/e2e-desktop.png` });

  step("phone-sized screen: everything is still reachable");
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.getByTestId("message").isVisible());
  assert.ok(await page.getByTestId("task-1").isVisible() || (await page.getByTestId("task-1").count()) === 1);

  assert.deepEqual(problems, [], "no console errors (CSP violations included)");
  console.log("browser e2e: ok");
} catch (e) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/e2e-failure.png`, fullPage: true }).catch(() => {});
  console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
