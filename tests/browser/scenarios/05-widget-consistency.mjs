// The todo widgets in the thread and the task panel always agree: a change made in the panel, in
// a widget or by a chat turn shows everywhere at once, and a reloaded thread shows the current
// state of every task (not the state the widget was stored with).
import assert from "node:assert/strict";
import { idle, send, shot, signUp } from "../lib/harness.mjs";

export const title = "widget and task panel consistency, live and after a reload";

/** Every rendering of each task: the panel checkbox and the checkbox of each widget. */
function views(page) {
  return page.evaluate(() => {
    const out = {};
    for (const id of [1, 2, 3]) {
      const panel = document.querySelector(`[data-testid="task-${id}"]`);
      const rows = [...document.querySelectorAll(`[data-testid="widget"] .wtask[data-task-id="${id}"]`)];
      out[id] = {
        panel: panel ? panel.checked : "absent",
        widgets: rows.map((r) => (r.classList.contains("gone") ? "deleted" : r.querySelector("input").checked)),
      };
    }
    return out;
  });
}

async function expectEverywhere(page, want, label) {
  // want: {1: true|false|"deleted", ...}
  await page.waitForFunction((w) => Object.entries(w).every(([id, v]) => {
    const panel = document.querySelector(`[data-testid="task-${id}"]`);
    const rows = [...document.querySelectorAll(`[data-testid="widget"] .wtask[data-task-id="${id}"]`)];
    const panelOk = v === "deleted" ? panel === null : panel && panel.checked === v;
    return panelOk && rows.length > 0 && rows.every((r) => (v === "deleted"
      ? r.classList.contains("gone") && r.querySelector("input").disabled
      : !r.classList.contains("gone") && r.querySelector("input").checked === v));
  }), want, { timeout: 10000 }).catch(async (e) => {
    throw new Error(`${label}: ${JSON.stringify(await views(page))} (wanted ${JSON.stringify(want)}): ${e.message}`);
  });
}

export async function run({ newPage, step }) {
  const page = await newPage();
  await signUp(page, "Consistent");
  step("three tasks from the panel's quick add, two widgets in the thread");
  for (const t of ["buy milk", "pay bills", "call mom"]) {
    await page.getByTestId("quick-add").fill(t);
    await page.getByTestId("quick-add").press("Enter");
    await page.getByTestId("task-list").getByText(t).waitFor();
  }
  await send(page, "show me all my tasks");
  await send(page, "show me all my tasks");
  assert.equal(await page.getByTestId("widget").count(), 2);
  await expectEverywhere(page, { 1: false, 2: false, 3: false }, "start");

  step("ticking in the panel updates both widgets at once");
  await page.getByTestId("task-2").check();
  await expectEverywhere(page, { 1: false, 2: true, 3: false }, "panel tick");

  step("unticking in a widget updates the panel and the other widget");
  await page.getByTestId("widget").first().getByTestId("widget-task-2").uncheck();
  await expectEverywhere(page, { 1: false, 2: false, 3: false }, "widget untick");
  await idle(page);

  step("a chat turn's tool calls update the panel and every widget");
  await send(page, "mark task 3 as complete");
  await expectEverywhere(page, { 1: false, 2: false, 3: true }, "chat complete");
  await send(page, "delete task 1");
  await expectEverywhere(page, { 1: "deleted", 2: false, 3: true }, "chat delete");
  await shot(page, "widgets-live");

  step("after a reload the widgets show the current state, not the stored one");
  // the widgets were stored when every task was pending; task 3 is done and task 1 gone since
  await page.reload();
  await page.getByTestId("thread-list").locator("button").first().click();
  await page.getByTestId("widget").first().waitFor();
  await expectEverywhere(page, { 1: "deleted", 2: false, 3: true }, "after reload");
  const note = await page.getByTestId("widget").first().locator('.wtask[data-task-id="1"] .wtask-note').textContent();
  assert.equal(note, "deleted");

  step("and a change in the panel after the reload still reaches the widgets");
  await page.getByTestId("task-3").uncheck();
  await expectEverywhere(page, { 1: "deleted", 2: false, 3: false }, "panel after reload");
  await shot(page, "widgets-after-reload");
}
