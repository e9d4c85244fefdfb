// A long conversation at 1280×800: the page never grows, the message list scrolls and follows new
// output, "Jump to latest" appears when the user has scrolled up, long titles are ellipsized, and
// task numbers never wrap.
import assert from "node:assert/strict";
import { DESKTOP, assertChatInView, idle, onScreen, send, shot, signUp } from "../lib/harness.mjs";

export const title = "layout at 1280×800: long conversation, follow/jump, ellipsis, task numbers";

export const LONG_TASK = "call the insurance company about the claim and ask which documents they still need from us";

/** Checks that every "N." task number is on one line and its row did not squeeze it. */
export async function assertTaskNumbersOneLine(page, label) {
  const bad = await page.evaluate(() => [...document.querySelectorAll(".task-id")]
    .filter((n) => n.getClientRects().length > 0)
    .map((n) => {
      const lines = n.getClientRects().length;
      const h = n.getBoundingClientRect().height;
      const lh = parseFloat(getComputedStyle(n).lineHeight) || 24;
      return { text: n.textContent, lines, tall: h > lh * 1.5 };
    })
    .filter((x) => x.lines !== 1 || x.tall || !/^\d+\.$/.test(x.text)));
  assert.deepEqual(bad, [], `${label}: task numbers wrap`);
}

/** Checks that a text element is cut with an ellipsis (not wrapped, not spilling out). */
export async function assertEllipsized(locator, label) {
  const s = await locator.evaluate((n) => {
    const st = getComputedStyle(n);
    return { overflow: n.scrollWidth > n.clientWidth, ellipsis: st.textOverflow, wrap: st.whiteSpace, lines: n.getClientRects().length };
  });
  assert.ok(s.overflow, `${label}: the title is long enough to overflow`);
  assert.equal(s.ellipsis, "ellipsis", label);
  assert.equal(s.wrap, "nowrap", label);
}

export async function run({ newPage, step }) {
  const page = await newPage({ viewport: DESKTOP });
  await signUp(page, "Layout Tester");

  step("a long conversation: after every turn the composer and the latest reply are in view");
  const messages = ["add a task to buy milk", `add a task to ${LONG_TASK}`, "add a task to pay bills", "show me all my tasks"];
  for (let i = 4; i <= 12; i++) messages.push(`add a task to sort out item number ${i} of the long list of chores for this week`);
  for (const text of messages) {
    await send(page, text);
    await assertChatInView(page, `after "${text.slice(0, 30)}"`);
  }
  const g = await assertChatInView(page, "long conversation");
  assert.ok(g.list.scrollHeight > g.list.clientHeight * 2, "the message list scrolls");
  assert.ok(g.composer.bottom <= DESKTOP.height, `composer at y=${g.composer.bottom}`);
  await page.getByTestId("task-12").waitFor();
  await assertTaskNumbersOneLine(page, "panel and widget");
  await shot(page, "layout-desktop");

  step("scrolled up, new output does not move the list; Jump to latest appears and works");
  const widgetBox = page.getByTestId("widget").first().getByTestId("widget-task-2");
  await widgetBox.scrollIntoViewIfNeeded();
  await page.waitForTimeout(100);
  assert.equal(await page.getByTestId("jump-latest").isVisible(), false, "no new output yet");
  const before = await page.evaluate(() => document.getElementById("messages").scrollTop);
  await widgetBox.check();
  await page.getByTestId("assistant-message").filter({ hasText: "marked task 2" }).waitFor();
  await idle(page);
  await page.getByTestId("jump-latest").waitFor();
  const after = await page.evaluate(() => document.getElementById("messages").scrollTop);
  assert.ok(Math.abs(after - before) < 5, `the list stayed where the user was (${before} -> ${after})`);
  assert.ok(await onScreen(widgetBox), "the widget the user was looking at is still on screen");
  await shot(page, "layout-desktop-jump");
  await page.getByTestId("jump-latest").click();
  await page.waitForFunction(() => {
    const m = document.getElementById("messages");
    return m.scrollHeight - m.scrollTop - m.clientHeight < 2;
  });
  await page.getByTestId("jump-latest").waitFor({ state: "hidden" });
  assert.ok(await onScreen(page.getByTestId("assistant-message").filter({ hasText: "marked task 2" })));

  step("scrolled up, sending a message brings the list back to the latest");
  await page.evaluate(() => { document.getElementById("messages").scrollTop = 0; });
  await send(page, "what's pending?");
  await assertChatInView(page, "send after scrolling up");

  step("a long conversation title is ellipsized in the header and the sidebar");
  const longTitle = `Planning ${"the big family move to the new apartment across town ".repeat(3)}`.trim();
  await page.getByTestId("rename-thread").click();
  await page.getByTestId("rename-input").fill(longTitle);
  await page.getByTestId("rename-input").press("Enter");
  await page.waitForFunction((t) => document.getElementById("thread-title").textContent === t, longTitle);
  await assertEllipsized(page.getByTestId("thread-title"), "header title");
  await assertEllipsized(page.getByTestId("thread-list").locator(".thread-title").first(), "sidebar title");
  const sidebar = await page.evaluate(() => {
    const p = document.getElementById("threads-panel");
    const row = p.querySelector(".thread").getBoundingClientRect();
    const panel = p.getBoundingClientRect();
    return { scroll: p.scrollWidth, client: p.clientWidth, rowRight: row.right, panelRight: panel.right };
  });
  assert.ok(sidebar.scroll <= sidebar.client, `the sidebar does not scroll sideways ${JSON.stringify(sidebar)}`);
  assert.ok(sidebar.rowRight <= sidebar.panelRight, `the row stays inside the sidebar ${JSON.stringify(sidebar)}`);
  await assertChatInView(page, "after rename");
  await shot(page, "layout-desktop-long-title");
}
