// Urdu: the browser's language picks the Urdu catalogue (right-to-left, Nastaliq font), the choice
// can be changed in the header and is kept (a draft survives the switch), bubbles take their
// direction from their own text, the layout holds at desktop and phone sizes, and the voice
// controls appear only where they can work.
import assert from "node:assert/strict";
import { DESKTOP, PHONE, assertChatInView, send, shot, signIn, signUp } from "../lib/harness.mjs";

export const title = "Urdu: RTL UI from the browser language, language switch, bubble direction, voice controls";

const pageDir = (page) => page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
const bubbleDir = (locator) => locator.locator(".bubble").evaluate((b) => getComputedStyle(b).direction);

export async function run({ newPage, step }) {
  step("a browser preferring Urdu gets the Urdu catalogue, right to left");
  const page = await newPage({ viewport: DESKTOP, locale: "ur-PK" });
  await page.getByTestId("auth-submit").waitFor();
  assert.deepEqual(await pageDir(page), ["ur", "rtl"]);
  assert.equal(await page.getByTestId("auth-submit").textContent(), "سائن اِن کریں");
  assert.equal(await page.getByTestId("language").inputValue(), "ur");
  const email = await signUp(page, "اردو صارف");

  step("the Nastaliq font is available for Urdu text");
  const faces = await page.evaluate(async () => (await document.fonts.load('16px "Noto Nastaliq Urdu"', "کام")).length);
  assert.ok(faces > 0, "Noto Nastaliq Urdu loads");

  step("mirrored columns; each bubble reads in its own direction");
  const sides = await page.evaluate(() => ({
    threads: document.getElementById("threads-panel").getBoundingClientRect().left,
    chat: document.getElementById("chat").getBoundingClientRect().left,
    tasks: document.getElementById("tasks-panel").getBoundingClientRect().left,
  }));
  assert.ok(sides.threads > sides.chat && sides.chat > sides.tasks, `mirrored columns ${JSON.stringify(sides)}`);
  await send(page, "add a task to buy milk");
  const english = page.getByTestId("user-message").last();
  assert.equal(await bubbleDir(english), "ltr", "English text in an Urdu page reads left to right");
  await send(page, "میرے کام دکھاؤ");
  const urdu = page.getByTestId("user-message").last();
  assert.equal(await bubbleDir(urdu), "rtl");
  assert.equal(await urdu.locator(".bubble").getAttribute("lang"), "ur");
  for (let i = 0; i < 6; i++) await send(page, `add a task to urdu layout chore ${i}`);
  await assertChatInView(page, "Urdu desktop");
  await shot(page, "urdu-desktop");

  step("the read-aloud switch is kept");
  await page.getByTestId("read-aloud").click();
  assert.equal(await page.getByTestId("read-aloud").getAttribute("aria-pressed"), "true");

  step("switching to English keeps the draft and the choice");
  await page.getByTestId("message").fill("a draft that must survive");
  await page.getByTestId("language").selectOption("en");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  await page.getByTestId("message").waitFor();
  assert.deepEqual(await pageDir(page), ["en", "ltr"]);
  await page.waitForFunction(() => document.getElementById("message").value === "a draft that must survive");
  assert.equal(await page.getByTestId("read-aloud").getAttribute("aria-pressed"), "true");
  await page.reload();
  await page.getByTestId("message").waitFor();
  assert.deepEqual(await pageDir(page), ["en", "ltr"], "the choice outlives a reload");
  await page.getByTestId("language").selectOption("ur");
  await page.waitForFunction(() => document.documentElement.lang === "ur");

  step("the choice belongs to the account: another browser (English) signs in and gets Urdu");
  const other = await newPage({ viewport: DESKTOP, locale: "en-US" });
  await other.getByTestId("auth-submit").waitFor();
  assert.deepEqual(await pageDir(other), ["en", "ltr"]);
  await signIn(other, email);
  await other.waitForFunction(() => document.documentElement.lang === "ur", null, { timeout: 15000 });
  await other.getByTestId("message").waitFor();
  assert.deepEqual(await pageDir(other), ["ur", "rtl"]);

  step("phone size in Urdu: drawers closed, composer and reply in view");
  const phone = await newPage({ viewport: PHONE, locale: "ur-PK" });
  await phone.getByTestId("auth-submit").waitFor();
  await signUp(phone, "فون");
  for (const text of ["add a task to call the bank", "کون سے کام باقی ہیں؟", "show me all my tasks"]) {
    await send(phone, text);
    await assertChatInView(phone, `Urdu phone: ${text}`);
  }
  await shot(phone, "urdu-phone");

  step("the microphone shows only where speech can be recognised or transcribed");
  const withSpeech = await page.evaluate(() => !!(window.SpeechRecognition || window.webkitSpeechRecognition));
  assert.equal(await page.getByTestId("mic").isVisible(), withSpeech);
  const noSpeech = await newPage({ viewport: DESKTOP });
  await noSpeech.addInitScript(() => {
    delete window.SpeechRecognition;
    delete window.webkitSpeechRecognition;
  });
  await noSpeech.reload();
  await noSpeech.getByTestId("auth-submit").waitFor();
  await signUp(noSpeech, "No Speech");
  // no speech recognition and no transcription on this server (offline planner): no microphone
  assert.equal(await noSpeech.getByTestId("mic").isVisible(), false);
}
