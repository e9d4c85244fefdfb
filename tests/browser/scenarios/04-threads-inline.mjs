// Renaming and deleting a conversation happen inline (an editor in the title bar, a confirmation
// in place) — never through the browser's prompt()/confirm() (the runner fails on any dialog).
// Keyboard: Enter saves / sends, Esc cancels, Shift+Enter makes a new line.
import assert from "node:assert/strict";
import { send, shot, signUp } from "../lib/harness.mjs";

export const title = "conversations: inline rename and delete, keyboard";

const rowTitles = (page) => page.getByTestId("thread-list").locator(".thread-title").allTextContents();

export async function run({ newPage, step }) {
  const page = await newPage();
  await signUp(page, "Renamer");
  await send(page, "add a task to water the plants");
  await page.getByTestId("new-thread").click();
  await send(page, "add a task to book the dentist");
  assert.deepEqual(await rowTitles(page), ["add a task to book the dentist", "add a task to water the plants"]);

  step("Enter in the composer sends; Shift+Enter adds a line without sending");
  const users = await page.getByTestId("user-message").count();
  await page.getByTestId("message").fill("first line");
  await page.getByTestId("message").press("Shift+Enter");
  await page.getByTestId("message").pressSequentially("second line");
  assert.equal(await page.getByTestId("message").inputValue(), "first line\nsecond line");
  assert.equal(await page.getByTestId("user-message").count(), users, "nothing was sent");
  await page.getByTestId("message").fill("");

  step("rename: the title becomes an editor; Esc cancels and gives focus back");
  await page.getByTestId("rename-thread").click();
  const input = page.getByTestId("rename-input");
  assert.equal(await input.evaluate((n) => n === document.activeElement), true, "the editor has focus");
  assert.equal(await input.inputValue(), "add a task to book the dentist");
  assert.equal(await input.evaluate((n) => n.value.slice(n.selectionStart, n.selectionEnd)), "add a task to book the dentist",
    "the old title is selected, ready to be replaced");
  await input.fill("Something else");
  await input.press("Escape");
  await page.getByTestId("rename-form").waitFor({ state: "hidden" });
  assert.equal(await page.getByTestId("thread-title").textContent(), "add a task to book the dentist");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "rename-thread");

  step("rename: an empty title is refused with a message, nothing is saved");
  await page.getByTestId("rename-thread").click();
  await input.fill("   ");
  await input.press("Enter");
  await page.locator("#rename-error").waitFor();
  await shot(page, "threads-rename-error");
  assert.match(await page.locator("#rename-error").textContent(), /title/i);
  await page.getByTestId("rename-cancel").click();
  assert.equal(await page.getByTestId("thread-title").textContent(), "add a task to book the dentist");

  step("rename: Enter saves; the title bar and the list update, and it survives a reload");
  await page.getByTestId("rename-thread").click();
  await input.fill("Dentist");
  await input.press("Enter");
  await page.waitForFunction(() => document.getElementById("thread-title").textContent === "Dentist");
  assert.deepEqual(await rowTitles(page), ["Dentist", "add a task to water the plants"]);
  await page.reload();
  await page.getByTestId("thread-list").getByRole("button", { name: "Dentist" }).click();
  await page.waitForFunction(() => document.getElementById("thread-title").textContent === "Dentist");

  step("rename: leaving the field saves a changed title");
  await page.getByTestId("rename-thread").click();
  await input.fill("Dentist appointment");
  await page.getByTestId("message").click();
  await page.waitForFunction(() => document.getElementById("thread-title").textContent === "Dentist appointment");
  assert.deepEqual(await rowTitles(page), ["Dentist appointment", "add a task to water the plants"]);

  step("delete: an inline confirmation; Cancel (focused first) and Esc keep the conversation");
  await page.getByTestId("delete-thread").click();
  const confirmBox = page.getByTestId("delete-confirm");
  await confirmBox.waitFor();
  assert.match(await confirmBox.textContent(), /Dentist appointment/);
  assert.match(await confirmBox.textContent(), /tasks are kept/);
  await shot(page, "threads-delete-confirm");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "delete-no", "the safe choice has focus");
  await page.getByTestId("delete-no").click();
  await confirmBox.waitFor({ state: "hidden" });
  await page.getByTestId("delete-thread").click();
  await page.keyboard.press("Escape");
  await confirmBox.waitFor({ state: "hidden" });
  assert.equal((await rowTitles(page)).length, 2);

  step("delete: confirming removes it from the list and shows a new conversation; tasks are kept");
  await page.getByTestId("delete-thread").click();
  await page.getByTestId("delete-yes").click();
  await page.getByTestId("chat-state").getByRole("heading").waitFor();
  assert.deepEqual(await rowTitles(page), ["add a task to water the plants"]);
  assert.equal(await page.getByTestId("thread-title").textContent(), "New conversation");
  assert.equal(await page.getByTestId("delete-thread").isVisible(), false, "nothing to delete in a new conversation");
  await page.getByTestId("task-2").waitFor();
  await page.reload();
  await page.getByTestId("thread-list").locator("li").first().waitFor();
  assert.deepEqual(await rowTitles(page), ["add a task to water the plants"]);
}
