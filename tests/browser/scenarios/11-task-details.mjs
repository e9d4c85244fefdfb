// Task details in the panel: priority, due date, repetition and tags edited inline and kept by the
// server; overdue shown; "Due soon", search, priority, tag and sort narrow and order the list.
import assert from "node:assert/strict";
import { DESKTOP, send, shot, signUp } from "../lib/harness.mjs";

export const title = "task details: inline editor, due soon, search, priority, tags, sort";

const titles = (page) => page.getByTestId("task-list").getByTestId("task-title").allTextContents();

async function quickAdd(page, text) {
  const before = await page.getByTestId("task-list").locator("li").count();
  await page.getByTestId("quick-add").fill(text);
  await page.getByTestId("quick-add").press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll("#task-list li").length > n, before);
}

/** datetime-local value `hours` from now. */
const localIn = (hours) => {
  const d = new Date(Date.now() + hours * 3600 * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

async function edit(page, id, { priority, dueInHours, recurrence, tags }) {
  await page.getByTestId(`task-edit-${id}`).click();
  const form = page.getByTestId("task-editor");
  if (priority) await form.locator("select[name=priority]").selectOption(priority);
  if (dueInHours !== undefined) await form.locator("input[name=due]").fill(localIn(dueInHours));
  if (recurrence) await form.locator("select[name=recurrence]").selectOption(recurrence);
  if (tags) await form.locator("input[name=tags]").fill(tags);
  await page.getByTestId("task-editor-save").click();
  await form.waitFor({ state: "detached" });
}

export async function run({ newPage, step }) {
  const page = await newPage({ viewport: DESKTOP });
  await page.getByTestId("auth-submit").waitFor();
  await signUp(page, "Planner");
  for (const text of ["Water the plants", "Pay rent", "Write the report"]) await quickAdd(page, text);

  step("details edited inline are shown and kept by the server");
  await edit(page, 2, { priority: "high", dueInHours: -3, tags: "Money, home" });
  await edit(page, 3, { dueInHours: 2, recurrence: "weekly", tags: "work" });
  const rent = page.locator('#task-list li[data-task-id="2"]');
  await rent.getByText("High").waitFor();
  assert.match(await rent.getByTestId("task-meta").textContent(), /Overdue/);
  assert.deepEqual(await rent.locator(".chip").allTextContents(), ["#money", "#home"]);
  const report = page.locator('#task-list li[data-task-id="3"]');
  assert.match(await report.getByTestId("task-meta").textContent(), /Due .*Every week/);
  await page.reload();
  await page.getByTestId("task-list").locator('li[data-task-id="2"] .chip').first().waitFor();
  assert.match(await page.locator('#task-list li[data-task-id="2"]').getByTestId("task-meta").textContent(), /High.*Overdue/);

  step("due soon: overdue and upcoming, soonest first");
  await page.getByTestId("filter-due").click();
  assert.deepEqual(await titles(page), ["Pay rent", "Write the report"]);
  await page.getByRole("button", { name: /All/ }).click();

  step("search, priority and tag narrow the list; sort orders it");
  await page.getByTestId("task-search").fill("REPORT");
  await page.waitForFunction(() => document.querySelectorAll("#task-list li").length === 1);
  assert.deepEqual(await titles(page), ["Write the report"]);
  await page.getByTestId("task-search").fill("nothing like this");
  await page.getByTestId("tasks-status").getByText("No task matches.").waitFor();
  await page.getByTestId("task-search").fill("");
  await page.getByTestId("task-priority").selectOption("high");
  assert.deepEqual(await titles(page), ["Pay rent"]);
  await page.getByTestId("task-priority").selectOption("");
  await page.locator('#task-list li[data-task-id="2"] .chip', { hasText: "#home" }).click();
  await page.getByTestId("tag-filter").waitFor();
  assert.deepEqual(await titles(page), ["Pay rent"]);
  await page.getByTestId("tag-filter").click();
  await page.getByTestId("task-sort").selectOption("title");
  assert.deepEqual(await titles(page), ["Pay rent", "Water the plants", "Write the report"]);
  await page.getByTestId("task-sort").selectOption("priority");
  assert.equal((await titles(page))[0], "Pay rent");
  await shot(page, "task-details");

  step("the chat finds overdue tasks; its todo widget shows priority, due date and tags");
  const reply = await send(page, "what's overdue?");
  assert.match(await reply.textContent(), /Pay rent/);
  const row = page.getByTestId("widget").last().locator("li.widget-row")
    .filter({ has: page.locator('.wtask[data-task-id="2"]') });
  await row.locator(".widget-meta").waitFor();
  assert.match(await row.locator(".widget-meta").textContent(), /high priority.*Overdue · was due.*#money.*#home/);
  assert.equal(await row.locator(".widget-caption.overdue").count(), 1);

  step("the server kept the browser's time zone for repetitions");
  const zone = await page.evaluate(async () => {
    const me = await (await fetch("/api/auth/get-session")).json();
    const token = (await (await fetch("/api/auth/token")).json()).token;
    const res = await fetch(`/api/${me.user.id}/settings`, { headers: { authorization: `Bearer ${token}` } });
    return [(await res.json()).timezone, Intl.DateTimeFormat().resolvedOptions().timeZone];
  });
  assert.equal(zone[0], zone[1]);
}
