// Sign up, chat "add a task to buy milk", watch the reply stream in and the task appear, tick it in
// the panel and in the widget, reload, and find the conversation and the task state intact.
import assert from "node:assert/strict";
import { idle, send, shot, signUp } from "../lib/harness.mjs";

export const title = "chat: streamed reply, task panel, widget, reload";

export async function run({ newPage, step }) {
  const page = await newPage();
  step("sign up");
  await signUp(page, "Milk Buyer");
  assert.equal(await page.getByTestId("who").textContent(), "Milk Buyer");
  await page.getByTestId("chat-state").getByRole("heading").waitFor();

  step("chat, and watch the reply stream in");
  await page.evaluate(() => {
    window.__partials = [];
    new MutationObserver((records) => {
      for (const r of records) {
        const isReply = r.target.nodeType === 1 && r.target.classList.contains("text");
        if (isReply) for (const n of r.addedNodes) if (n.nodeType === Node.TEXT_NODE) window.__partials.push(n.data);
      }
    }).observe(document.getElementById("messages"), { subtree: true, childList: true, characterData: true });
  });
  const reply = await send(page, "add a task to buy milk");
  const partials = await page.evaluate(() => window.__partials);
  const finalText = (await reply.locator(".text").textContent()).trim();
  const growing = new Set(partials.filter((p) => p.length > 0 && p.length < finalText.length));
  assert.ok(growing.size >= 2, `the reply arrived in pieces (saw ${JSON.stringify([...growing])})`);
  assert.match(finalText, /buy milk/);
  assert.equal(await page.getByTestId("user-message").first().textContent(), "add a task to buy milk");

  step("the task appears in the panel; the conversation is listed with its title");
  const panelBox = page.getByTestId("task-1");
  await panelBox.waitFor();
  assert.equal(await page.getByTestId("task-list").getByTestId("task-title").first().textContent(), "buy milk");
  assert.equal(await panelBox.isChecked(), false);
  await page.getByTestId("thread-list").getByRole("button", { name: "add a task to buy milk" }).waitFor();
  assert.equal(await page.getByTestId("thread-title").textContent(), "add a task to buy milk");

  step("tick it complete in the panel");
  await panelBox.check();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]')?.checked === true
    && document.querySelector("#task-list .done") !== null);

  step("the todo widget shows it done; unticking there reopens it, ticking completes it again");
  await send(page, "show me all my tasks");
  const widgetBox = page.getByTestId("widget").last().getByTestId("widget-task-1");
  assert.equal(await widgetBox.isChecked(), true);
  await widgetBox.uncheck();
  await page.getByTestId("assistant-message").filter({ hasText: "reopened task 1" }).waitFor();
  await idle(page);
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]')?.checked === false);
  await page.getByTestId("widget").last().getByTestId("widget-task-1").check();
  await page.getByTestId("assistant-message").filter({ hasText: "marked task 1" }).waitFor();
  await idle(page);
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
  await shot(page, "chat-desktop");
}
