// Feedback on replies goes through ChatKit's items.feedback; every control has an accessible name;
// the keyboard focus order follows the page (conversations, title bar, messages, composer, tasks).
import assert from "node:assert/strict";
import { send, shot, signUp } from "../lib/harness.mjs";

export const title = "feedback controls, accessible names, focus order";

/** Visible interactive elements without an accessible name. */
function unnamedControls(page) {
  return page.evaluate(() => {
    const visible = (n) => {
      const r = n.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(n).visibility !== "hidden";
    };
    const name = (n) => {
      if (n.getAttribute("aria-label")) return n.getAttribute("aria-label");
      const by = n.getAttribute("aria-labelledby");
      if (by) return by.split(" ").map((id) => document.getElementById(id)?.textContent || "").join(" ");
      if (n.labels && n.labels.length) return [...n.labels].map((l) => l.textContent).join(" ");
      return n.textContent || n.getAttribute("title") || "";
    };
    return [...document.querySelectorAll("button, input, textarea, select, a[href], [role=tab]")]
      .filter(visible)
      .filter((n) => !name(n).trim())
      .map((n) => n.outerHTML.slice(0, 120));
  });
}

export async function run({ newPage, step }) {
  const page = await newPage();
  step("the sign-in form: every control is named");
  assert.deepEqual(await unnamedControls(page), []);
  await signUp(page, "Rater");
  await send(page, "add a task to water the plants");
  await send(page, "show me all my tasks");

  step("thumbs up sends items.feedback (positive) for that reply; thumbs down switches it");
  const reply = page.getByTestId("assistant-message").first();
  const up = reply.getByTestId("feedback-positive");
  const down = reply.getByTestId("feedback-negative");
  assert.equal(await up.getAttribute("aria-label"), "Good reply");
  const itemId = await reply.getAttribute("data-id");
  const sent = page.waitForRequest((r) => r.url().endsWith("/chatkit") && r.postDataJSON()?.type === "items.feedback");
  await up.click();
  const body = (await sent).postDataJSON();
  assert.deepEqual(body.params.item_ids, [itemId]);
  assert.equal(body.params.kind, "positive");
  await reply.getByText("Thanks for the feedback.").waitFor();
  assert.equal(await up.getAttribute("aria-pressed"), "true");
  assert.equal(await down.getAttribute("aria-pressed"), "false");
  const sentDown = page.waitForRequest((r) => r.url().endsWith("/chatkit") && r.postDataJSON()?.type === "items.feedback");
  await down.click();
  assert.equal((await sentDown).postDataJSON().params.kind, "negative");
  await page.waitForFunction((id) => document.querySelector(`[data-id="${id}"] [data-testid="feedback-negative"]`)
    .getAttribute("aria-pressed") === "true", itemId);
  assert.equal(await up.getAttribute("aria-pressed"), "false");
  await reply.hover();
  await shot(page, "feedback");

  step("the app: every control is named");
  assert.deepEqual(await unnamedControls(page), []);

  step("keyboard focus order: conversations, title bar, messages, composer, tasks");
  await page.getByTestId("message").fill("draft");
  await page.locator("body").click({ position: { x: 640, y: 30 } });
  const order = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => {
      const a = document.activeElement;
      return a.dataset.testid || a.id || a.className || a.tagName;
    }));
  }
  const at = (id) => order.indexOf(id);
  const sequence = ["sign-out", "new-thread", "rename-thread", "feedback-positive", "widget-task-1", "message", "send", "quick-add"];
  for (const id of sequence) assert.ok(at(id) >= 0, `${id} is reachable by Tab (${order.join(", ")})`);
  for (let i = 1; i < sequence.length; i++) {
    assert.ok(at(sequence[i - 1]) < at(sequence[i]), `${sequence[i - 1]} comes before ${sequence[i]}: ${order.join(", ")}`);
  }
}
