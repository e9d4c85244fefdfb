// The server process really goes away (SIGKILL) and comes back: the UI says so in words people
// understand, keeps the user signed in and everything they typed, offers Retry everywhere, detects
// the recovery by itself and reloads what it could not show.
import assert from "node:assert/strict";
import { PHONE, send, shot, signIn, signUp } from "../lib/harness.mjs";

export const title = "outage and recovery: real server stop, error states, Retry, session kept";

const OFFLINE = "Can't reach todobot. Check your connection.";

export async function run({ newPage, server, step }) {
  const page = await newPage();
  page.expectNetworkErrors = true; // the browser logs the refused connections
  const email = await signUp(page, "Outage User");
  await send(page, "add a task to buy milk");
  await page.getByTestId("new-thread").click();
  await send(page, "add a task to call mom");
  const phone = await newPage({ viewport: PHONE });
  phone.expectNetworkErrors = true;
  await signIn(phone, email);
  // the phone has loaded its conversation list (in its closed drawer) before the server goes away
  await phone.getByTestId("thread-list").locator("button", { hasText: "add a task to buy milk" }).first().waitFor({ state: "attached" });

  step("the server process is killed");
  await server.stop();

  step("opening a conversation shows an error state with Retry, and the connection banner");
  await page.getByTestId("thread-list").getByRole("button", { name: "add a task to buy milk" }).click();
  const state = page.getByTestId("chat-state");
  await state.getByText(OFFLINE).waitFor();
  await state.getByRole("heading", { name: "This conversation could not be opened" }).waitFor();
  await page.getByTestId("connection").getByText(OFFLINE).waitFor();
  assert.equal(await page.getByTestId("thread-title").textContent(), "add a task to buy milk", "the title bar names it");
  assert.equal(await page.getByTestId("who").isVisible(), true, "still signed in");
  assert.equal(await page.locator("#auth-view").isVisible(), false);
  await page.getByTestId("open-retry").click();
  await state.getByText(OFFLINE).waitFor();

  step("a message sent during the outage stays in the list as not sent, with Retry");
  await page.getByTestId("message").fill("add a task to water the plants");
  await page.getByTestId("message").press("Enter");
  const unsent = page.locator("li.unsent");
  await unsent.getByText("Not sent.").waitFor();
  assert.equal(await unsent.locator(".bubble").textContent(), "add a task to water the plants");
  await page.getByTestId("chat-error").getByText(OFFLINE).waitFor();
  assert.equal(await page.getByTestId("retry").isVisible(), true);
  assert.doesNotMatch(await page.locator("body").innerText(), /Failed to fetch|NetworkError|TypeError/);

  step("the task panel keeps what was typed and undoes a tick it could not save");
  await page.getByTestId("quick-add").fill("buy bread");
  await page.getByTestId("quick-add").press("Enter");
  await page.getByTestId("tasks-error").getByText(OFFLINE).waitFor();
  assert.equal(await page.getByTestId("quick-add").inputValue(), "buy bread");
  await page.getByTestId("task-1").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="task-1"]').checked === false);
  await shot(page, "outage-desktop");

  step("at phone size too: the error state is on screen with its Retry");
  await phone.getByRole("button", { name: "Conversations" }).click();
  await phone.getByTestId("thread-list").getByRole("button", { name: "add a task to buy milk" }).click();
  await phone.getByTestId("chat-state").getByText(OFFLINE).waitFor();
  await phone.getByTestId("open-retry").waitFor();
  assert.equal(await phone.getByTestId("thread-title").textContent(), "add a task to buy milk");
  await phone.waitForTimeout(250);
  await shot(phone, "outage-phone");

  step("the server comes back: the UI notices by itself and reopens the conversation");
  await server.restart();
  await page.getByTestId("user-message").filter({ hasText: "add a task to buy milk" }).waitFor({ timeout: 35000 });
  await page.getByTestId("connection").waitFor({ state: "hidden", timeout: 10000 });
  await phone.getByTestId("user-message").filter({ hasText: "add a task to buy milk" }).waitFor({ timeout: 35000 });
  assert.equal(await unsent.count(), 1, "the unsent message is still there");
  assert.equal(await page.getByTestId("who").textContent(), "Outage User", "still signed in");

  step("Retry sends the unsent message; the quick add works again");
  await page.getByTestId("resend").click();
  await page.getByTestId("assistant-message").filter({ hasText: "water the plants" }).waitFor();
  assert.equal(await unsent.count(), 0);
  await page.getByTestId("quick-add").press("Enter");
  await page.getByTestId("task-list").getByText("buy bread").waitFor();
  assert.equal(await page.getByTestId("quick-add").inputValue(), "");
  await shot(page, "outage-recovered");

  step("the session survived: a reload is still signed in");
  await page.reload();
  await page.getByTestId("thread-list").getByRole("button", { name: "add a task to buy milk" }).waitFor();
  assert.equal(await page.getByTestId("who").textContent(), "Outage User");
}
