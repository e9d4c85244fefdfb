// Helpers shared by the browser scenarios.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";

export const SHOTS = process.env.SHOT_DIR || ".cache";
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Saves a screenshot as .cache/browser-<name>.png (look at them!). */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = `${SHOTS}/browser-${name}.png`;
  await page.screenshot({ path });
  return path;
}

let counter = 0;

export async function signUp(page, name = "Test User") {
  await page.getByTestId("tab-sign-up").click();
  await page.getByTestId("name").fill(name);
  const email = `e2e-${Date.now()}-${++counter}@example.com`;
  await page.getByTestId("email").fill(email);
  await page.getByTestId("password").fill("correct horse battery");
  await page.getByTestId("auth-submit").click();
  await page.getByTestId("message").waitFor();
  return email;
}

/** Waits until no turn is streaming. */
export const idle = (page) =>
  page.waitForFunction(() => document.getElementById("messages").getAttribute("aria-busy") !== "true");

/** Sends a message with Enter and waits for the whole turn (reply, widget) to finish. */
export async function send(page, text) {
  const before = await page.getByTestId("assistant-message").count();
  await page.getByTestId("message").fill(text);
  await page.getByTestId("message").press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="assistant-message"]').length > n
    && document.getElementById("messages").getAttribute("aria-busy") !== "true", before);
  return page.getByTestId("assistant-message").last();
}

/** Geometry of the page that the layout checks need. */
export function measure(page) {
  return page.evaluate(() => {
    const box = (el) => {
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
    };
    const m = document.getElementById("messages");
    const output = [...document.querySelectorAll("#messages > li.msg")];
    return {
      vw: innerWidth,
      vh: innerHeight,
      docHeight: document.documentElement.scrollHeight,
      docWidth: document.documentElement.scrollWidth,
      bodyScroll: document.scrollingElement.scrollTop,
      composer: box(document.getElementById("composer")),
      message: box(document.getElementById("message")),
      send: box(document.getElementById("send")),
      list: { ...box(m), scrollHeight: m.scrollHeight, clientHeight: m.clientHeight, scrollTop: m.scrollTop },
      last: box(output[output.length - 1]),
    };
  });
}

/** The page never grows beyond the viewport; the composer and the latest reply are in view. */
export async function assertChatInView(page, label) {
  const g = await measure(page);
  assert.ok(g.docHeight <= g.vh, `${label}: page taller than the viewport (${g.docHeight} > ${g.vh})`);
  assert.ok(g.docWidth <= g.vw, `${label}: page wider than the viewport (${g.docWidth} > ${g.vw})`);
  assert.equal(g.bodyScroll, 0, `${label}: the page itself scrolled`);
  for (const [name, r] of [["composer", g.composer], ["message box", g.message], ["send button", g.send]]) {
    assert.ok(r.top >= 0 && r.bottom <= g.vh + 0.5, `${label}: ${name} outside the viewport ${JSON.stringify(r)}`);
  }
  if (g.last) {
    // the end of the latest output (a reply, a widget) is visible above the composer
    assert.ok(g.last.bottom <= g.list.bottom + 1 && g.last.bottom > g.list.top + 20,
      `${label}: latest output not visible ${JSON.stringify(g.last)} in ${JSON.stringify(g.list)}`);
    assert.ok(g.last.bottom <= g.composer.top + 1, `${label}: the latest output is under the composer`);
  }
  return g;
}

/** Whether an element is really on screen (in the viewport, visible). */
export function onScreen(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight
      && style.visibility !== "hidden";
  });
}

export async function signIn(page, email) {
  await page.getByTestId("tab-sign-in").click();
  await page.getByTestId("email").fill(email);
  await page.getByTestId("password").fill("correct horse battery");
  await page.getByTestId("auth-submit").click();
  await page.getByTestId("message").waitFor();
}
