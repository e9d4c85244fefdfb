// The session lives in an HttpOnly cookie: nothing is kept in localStorage/sessionStorage, the
// access token only in memory (refreshed with the cookie on a 401). A 503 or a network failure
// at start-up never signs anyone out — only a 401 does. Signing out really ends the session.
import assert from "node:assert/strict";
import { send, shot, signUp } from "../lib/harness.mjs";

export const title = "session: HttpOnly cookie, no stored tokens, only a 401 signs out";

const sessionCookie = async (page) =>
  (await page.context().cookies()).find((c) => c.name === "better-auth.session_token");

export async function run({ newPage, step, base }) {
  const page = await newPage();
  page.expectNetworkErrors = true; // the faked 503/401 answers below
  await page.evaluate(() => localStorage.setItem("todobot.session", "a token kept by an older version"));
  await page.reload();
  await signUp(page, "Cookie Monster");

  step("the session is an HttpOnly SameSite=Lax cookie; nothing is stored in web storage");
  const cookie = await sessionCookie(page);
  assert.ok(cookie && cookie.value.length > 20, "session cookie set");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  assert.equal(await page.evaluate(() => document.cookie.includes("better-auth")), false);
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0],
    "no token in localStorage or sessionStorage (the old key is cleaned up too)");

  step("API calls carry the in-memory access token");
  const chatReq = page.waitForRequest((r) => r.url().endsWith("/chatkit"));
  await send(page, "add a task to bake bread");
  const auth = (await chatReq).headers().authorization || "";
  assert.match(auth, /^Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.notEqual(auth.slice(7), cookie.value, "the session token itself is never sent as the bearer");

  step("a reload signs in from the cookie alone");
  await page.reload();
  await page.getByTestId("who").waitFor();
  assert.equal(await page.getByTestId("who").textContent(), "Cookie Monster");
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);

  step("a 503 from get-session at start-up shows an error with Retry, and keeps the session");
  await page.route("**/api/auth/get-session", (r) => r.fulfill({
    status: 503, contentType: "application/json",
    body: JSON.stringify({ code: "SERVICE_UNAVAILABLE", message: "The service is temporarily unavailable." }),
  }));
  await page.reload();
  await page.getByTestId("boot-error").getByText("todobot is temporarily unavailable").waitFor();
  assert.equal(await page.locator("#auth-view").isVisible(), false, "not sent to the sign-in form");
  await shot(page, "session-503");
  await page.unroute("**/api/auth/get-session");
  await page.getByTestId("boot-retry").click();
  await page.getByTestId("who").waitFor();
  assert.ok(await sessionCookie(page), "the cookie is still there");

  step("unreachable at start-up: a human message, then recovery without a click");
  await page.route("**/api/auth/get-session", (r) => r.abort("connectionrefused"));
  await page.reload();
  await page.getByTestId("boot-error").getByText("Can't reach todobot. Check your connection.").waitFor();
  await page.unroute("**/api/auth/get-session");
  await page.getByTestId("who").waitFor({ timeout: 20000 });

  step("an access token refused once (401) is refreshed with the cookie and the request retried");
  let refused = 0;
  await page.route("**/chatkit", (r) => {
    if (refused++ === 0) return r.fulfill({ status: 401, contentType: "application/json", body: '{"code":"UNAUTHORIZED","message":"Token expired."}' });
    return r.continue();
  });
  const refreshed = page.waitForRequest((r) => r.url().endsWith("/api/auth/token"));
  await send(page, "add a task to fold laundry");
  await refreshed;
  assert.equal(await page.getByTestId("who").isVisible(), true, "still signed in");
  await page.unroute("**/chatkit");

  step("when the server says the session is over (401 on refresh), the UI signs out and says why");
  await page.route("**/chatkit", (r) => r.fulfill({ status: 401, contentType: "application/json", body: '{"code":"UNAUTHORIZED","message":"Token expired."}' }));
  await page.route("**/api/auth/token", (r) => r.fulfill({ status: 401, contentType: "application/json", body: '{"code":"UNAUTHORIZED","message":"Session expired or signed out."}' }));
  await page.getByTestId("message").fill("add a task to iron shirts");
  await page.getByTestId("message").press("Enter");
  await page.getByTestId("auth-error").getByText("Your session has ended. Please sign in again.").waitFor();
  await page.unroute("**/chatkit");
  await page.unroute("**/api/auth/token");

  step("signing out ends the session on the server and clears the cookie");
  await page.reload(); // the cookie is still valid: the faked 401 did not end it
  await page.getByTestId("who").waitFor();
  const before = (await sessionCookie(page)).value;
  await page.getByTestId("sign-out").click();
  await page.getByTestId("auth-submit").waitFor();
  assert.equal(await sessionCookie(page), undefined, "cookie cleared");
  const res = await page.request.get(`${base}/api/auth/get-session`, {
    headers: { cookie: `better-auth.session_token=${before}` },
  });
  assert.equal(await res.text(), "null", "the old session no longer works");
  await page.reload();
  await page.getByTestId("auth-submit").waitFor();
}
