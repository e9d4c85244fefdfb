// Every user-visible string of the UI comes from the catalogue (web/i18n/en.json) through t():
// checked statically, and in the browser with a pseudo-locale that brackets every message (any
// unbracketed UI text on screen was not translated). A second catalogue with "meta.dir": "rtl"
// is all a right-to-left language needs: the layout mirrors.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { DESKTOP, send, shot, signUp } from "../lib/harness.mjs";
import { checkCatalogue, pseudoCatalogue } from "../lib/catalogue.mjs";

export const title = "i18n: every string through the catalogue, RTL from a second catalogue";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "web");
// content that is not UI text: what users and the assistant wrote, task titles, dates
// (the language picker lists each language by its own name, which is not translated)
const CONTENT = [".bubble", ".lang-select", ".task-title", ".wtask-title", ".thread-title", "#thread-title", "#who", ".thread-time",
  ".widget-status:not(.widget-listview[data-todo] .widget-status)"].join(", ");

/** Visible UI text (text nodes and labelling attributes) that is not inside open…close. */
function untranslated(page, open, close) {
  return page.evaluate(([open, close, content]) => {
    const shown = (el) => {
      for (let n = el; n; n = n.parentElement) {
        const st = getComputedStyle(n);
        if (st.display === "none" || st.visibility === "hidden") return false;
      }
      return true;
    };
    const isContent = (el) => !!el.closest(content);
    const wrapped = (s) => {
      // remove bracketed messages from the innermost out (messages can contain messages)
      for (let i = s.lastIndexOf(open); i >= 0; i = s.lastIndexOf(open)) {
        const j = s.indexOf(close, i + open.length);
        if (j < 0) return false;
        s = s.slice(0, i) + s.slice(j + close.length);
      }
      return !/[\p{L}\p{N}]/u.test(s);
    };
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.data.trim();
      const el = n.parentElement;
      if (!text || !el || el.closest("script, style") || isContent(el) || !shown(el)) continue;
      if (!wrapped(text)) bad.push(`text: ${text}`);
    }
    for (const el of document.body.querySelectorAll("[placeholder], [aria-label], [title]")) {
      // skipped: user content, and dates (formatted by Intl, not messages)
      if (isContent(el) || !shown(el) || el.matches(".thread, .bubble, time, [data-when]")) continue;
      for (const attr of ["placeholder", "aria-label", "title"]) {
        const v = el.getAttribute(attr);
        if (v && !wrapped(v)) bad.push(`${attr}: ${v}`);
      }
    }
    if (!wrapped(document.title)) bad.push(`document.title: ${document.title}`);
    return bad;
  }, [open, close, CONTENT]);
}

export async function run({ newPage, step }) {
  step("static: every key used exists, every message is used, no literal text in the sources");
  assert.deepEqual(checkCatalogue(WEB), []);

  step("pseudo-locale: every visible UI string on every screen comes from the catalogue");
  const page = await newPage({ viewport: DESKTOP });
  const pseudo = pseudoCatalogue(WEB, "⟦", "⟧");
  await page.route("**/i18n/en.json", (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify(pseudo) }));
  await page.reload();
  await page.getByTestId("auth-submit").waitFor();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "sign-in form");
  await page.getByTestId("auth-submit").click(); // empty form: an error message
  await page.getByTestId("auth-error").waitFor();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "sign-in error");
  await signUp(page, "Pseudo");
  await page.getByTestId("chat-state").getByRole("heading").waitFor();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "empty app");
  await page.getByTestId("message").fill("add a task to check the translations");
  await page.getByTestId("message").press("Enter");
  await page.getByTestId("assistant-message").first().waitFor();
  await send(page, "show me all my tasks");
  await page.getByTestId("assistant-message").first().hover();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "conversation with a widget");
  await page.getByTestId("rename-thread").click();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "rename editor");
  await page.getByTestId("rename-input").press("Escape");
  await page.getByTestId("delete-thread").click();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "delete confirmation");
  await page.getByTestId("delete-no").click();
  await page.getByRole("button", { name: /Done/ }).click();
  assert.deepEqual(await untranslated(page, "⟦", "⟧"), [], "empty task filter");
  await shot(page, "i18n-pseudo");

  step("a right-to-left catalogue (pseudo-locale ar-XB): lang, dir and a mirrored layout");
  const rtl = await newPage({ viewport: DESKTOP, locale: "ar-XB" });
  const rtlCatalogue = pseudoCatalogue(WEB, "‮⟪", "⟫‬", "rtl");
  await rtl.route("**/api/config", async (r) => {
    const res = await r.fetch();
    const body = await res.json();
    await r.fulfill({ response: res, json: { ...body, locales: [...body.locales, "ar-XB"] } });
  });
  await rtl.route("**/i18n/ar-XB.json", (r) => r.fulfill({ contentType: "application/json", body: JSON.stringify(rtlCatalogue) }));
  await rtl.reload();
  await rtl.getByTestId("auth-submit").waitFor();
  assert.deepEqual(await rtl.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), ["ar-XB", "rtl"]);
  await signUp(rtl, "RTL");
  const sides = await rtl.evaluate(() => ({
    threads: document.getElementById("threads-panel").getBoundingClientRect().left,
    chat: document.getElementById("chat").getBoundingClientRect().left,
    tasks: document.getElementById("tasks-panel").getBoundingClientRect().left,
  }));
  assert.ok(sides.threads > sides.chat && sides.chat > sides.tasks, `mirrored columns ${JSON.stringify(sides)}`);
  assert.deepEqual(await untranslated(rtl, "‮⟪", "⟫‬"), [], "RTL app");
  await shot(rtl, "i18n-rtl");
}
