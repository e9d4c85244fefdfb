// At phone size (390×844): the conversations and the task panel are drawers, the composer and the
// latest output stay on screen after every send, the page never grows, nothing spills sideways.
import assert from "node:assert/strict";
import { PHONE, assertChatInView, onScreen, send, shot, signUp } from "../lib/harness.mjs";
import { LONG_TASK, assertEllipsized, assertTaskNumbersOneLine } from "./02-layout-desktop.mjs";

export const title = "layout at 390×844: drawers, composer and reply in view";

export async function run({ newPage, step }) {
  const page = await newPage({ viewport: PHONE });
  step("the sign-in form fits the phone");
  await page.getByTestId("auth-submit").waitFor();
  const authBox = await page.locator(".auth-card").boundingBox();
  assert.ok(authBox.x >= 0 && authBox.x + authBox.width <= PHONE.width, JSON.stringify(authBox));
  await signUp(page, "Phone User");
  await shot(page, "phone-empty");

  step("the side panels are closed drawers; the chat has the whole width");
  assert.equal(await onScreen(page.locator("#threads-panel")), false, "conversations drawer closed");
  assert.equal(await onScreen(page.locator("#tasks-panel")), false, "tasks drawer closed");
  const chat = await page.locator("#chat").boundingBox();
  assert.ok(chat.width >= PHONE.width - 1, `chat width ${chat.width}`);

  step("after every send the composer and the latest reply are on screen");
  const first = `add a task to ${LONG_TASK} before the end of the month please`;
  await send(page, first);
  await assertChatInView(page, "first send");
  for (let i = 2; i <= 11; i++) {
    await send(page, i === 6 ? "show me all my tasks" : `add a task to phone chore number ${i} with a title long enough to wrap`);
    await assertChatInView(page, `send ${i}`);
  }
  const g = await assertChatInView(page, "long conversation");
  assert.ok(g.list.scrollHeight > g.list.clientHeight * 2, "the message list scrolls");
  await shot(page, "phone-chat");

  step("typing a multi-line message keeps the composer on screen");
  await page.getByTestId("message").fill("line one");
  for (let i = 0; i < 6; i++) await page.getByTestId("message").press("Shift+Enter");
  await assertChatInView(page, "multi-line draft");
  await page.getByTestId("message").fill("");

  step("the conversations drawer opens, lists the conversation (ellipsized), and closes on Esc");
  await page.getByRole("button", { name: "Conversations" }).click();
  await page.waitForFunction(() => {
    const r = document.getElementById("threads-panel").getBoundingClientRect();
    return r.left >= -1 && r.right <= innerWidth + 1 && getComputedStyle(document.getElementById("threads-panel")).visibility === "visible";
  });
  assert.equal(await page.getByRole("button", { name: "Conversations" }).getAttribute("aria-expanded"), "true");
  await assertEllipsized(page.getByTestId("thread-list").locator(".thread-title").first(), "drawer title");
  await page.waitForTimeout(250); // the slide-in animation
  await shot(page, "phone-threads-drawer");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => getComputedStyle(document.getElementById("threads-panel")).visibility === "hidden");
  assert.equal(await page.evaluate(() => document.activeElement.id), "open-threads", "focus returns to the toggle");

  step("picking a conversation in the drawer opens it and closes the drawer");
  await page.getByRole("button", { name: "Conversations" }).click();
  await page.getByTestId("new-thread").click();
  await page.getByTestId("chat-state").getByRole("heading").waitFor();
  await page.waitForFunction(() => getComputedStyle(document.getElementById("threads-panel")).visibility === "hidden");
  await page.getByRole("button", { name: "Conversations" }).click();
  await page.getByTestId("thread-list").locator("button").first().click();
  await page.getByTestId("user-message").first().waitFor();
  await page.waitForFunction(() => getComputedStyle(document.getElementById("threads-panel")).visibility === "hidden");
  await assertChatInView(page, "reopened conversation");

  step("the task drawer shows the tasks; ticking one works; the scrim closes it");
  await page.getByTestId("open-tasks").click();
  await page.waitForFunction(() => {
    const r = document.getElementById("tasks-panel").getBoundingClientRect();
    return r.left >= -1 && r.right <= innerWidth + 1; // slid in completely
  });
  assert.ok(await onScreen(page.getByTestId("task-1")));
  await assertTaskNumbersOneLine(page, "task drawer");
  await page.getByTestId("task-1").check();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]').closest("li").classList.contains("done"));
  await page.waitForTimeout(250);
  await shot(page, "phone-tasks-drawer");
  await page.mouse.click(20, 400); // on the scrim, outside the drawer
  await page.waitForFunction(() => getComputedStyle(document.getElementById("tasks-panel")).visibility === "hidden");
  const docWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(docWidth <= PHONE.width, `nothing spills sideways (${docWidth})`);
}
