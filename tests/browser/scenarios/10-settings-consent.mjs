// The settings page (personal access tokens, connected apps) and the OAuth consent page, in the
// pseudo-locale: every visible string comes from the catalogue; a token is shown once and revoked;
// the consent page signs the user in, names the client and sends the browser back on Deny.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { DESKTOP, shot, signUp } from "../lib/harness.mjs";
import { pseudoCatalogue } from "../lib/catalogue.mjs";

export const title = "settings and consent pages: tokens shown once, revoked; consent in the catalogue";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "web");
const CONTENT = ".items strong, #token-secret, #oauth-ask, #oauth-who, #oauth-redirect";

/** Visible text outside ⟦…⟧ (not translated), user content excepted. */
const untranslated = (page) => page.evaluate((content) => {
  const shown = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const st = getComputedStyle(n);
      if (st.display === "none" || st.visibility === "hidden" || n.hidden) return false;
    }
    return true;
  };
  const wrapped = (s) => {
    // remove bracketed messages from the innermost out (messages can contain messages)
    for (let i = s.lastIndexOf("⟦"); i >= 0; i = s.lastIndexOf("⟦")) {
      const j = s.indexOf("⟧", i + 1);
      if (j < 0) return false;
      s = s.slice(0, i) + s.slice(j + 1);
    }
    return !/[\p{L}\p{N}]/u.test(s);
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.data.trim() || !el || el.closest(content) || !shown(el) || el.closest("option")) continue;
    if (!wrapped(n.data.trim())) bad.push(n.data.trim());
  }
  if (!wrapped(document.title)) bad.push(`title: ${document.title}`);
  return bad;
}, CONTENT);

export async function run({ newPage, step, base }) {
  const pseudo = JSON.stringify(pseudoCatalogue(WEB, "⟦", "⟧"));
  const page = await newPage({ viewport: DESKTOP });
  await page.route("**/i18n/en.json", (r) => r.fulfill({ contentType: "application/json", body: pseudo }));
  await page.reload();
  const email = await signUp(page, "Settings User");

  step("the header links to the settings page; tokens are created, shown once, listed and revoked");
  await page.getByTestId("settings-link").click();
  await page.getByTestId("tokens").waitFor();
  assert.deepEqual(await untranslated(page), [], "settings page");
  await page.getByTestId("token-name").fill("My desktop client");
  await page.getByTestId("create-token").click();
  await page.getByTestId("token").first().waitFor();
  const secret = await page.getByTestId("token-secret").textContent();
  assert.match(secret, /^tbp_/);
  const mcp = await fetch(`${base}/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "e2e", version: "1" } } }),
  });
  assert.equal(mcp.status, 200, "the token opens /mcp");
  assert.deepEqual(await untranslated(page), [], "settings page with a token");
  await page.reload();
  await page.getByTestId("token").first().waitFor();
  assert.equal(await page.getByTestId("token-list").textContent().then((t) => t.includes(secret)), false, "shown once");
  await shot(page, "settings");
  await page.getByTestId("token").first().getByTestId("revoke").click();
  await page.getByTestId("token").first().waitFor({ state: "detached" });
  const after = await fetch(`${base}/mcp`, { method: "POST", headers: { authorization: `Bearer ${secret}` } });
  assert.equal(after.status, 401, "revoked at once");

  step("the consent page: sign in, the client is named, Deny goes back with access_denied");
  const reg = await fetch(`${base}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "Browser Test Client", redirect_uris: ["http://127.0.0.1:45679/cb"] }),
  }).then((r) => r.json());
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const query = new URLSearchParams({ response_type: "code", client_id: reg.client_id, redirect_uri: "http://127.0.0.1:45679/cb",
    code_challenge: challenge, code_challenge_method: "S256", state: "s1" });
  const consent = await newPage({ viewport: DESKTOP });
  consent.expectNetworkErrors = true; // the 401 before signing in
  await consent.route("**/i18n/en.json", (r) => r.fulfill({ contentType: "application/json", body: pseudo }));
  let landed = null;
  await consent.route("http://127.0.0.1:45679/**", (r) => { landed = r.request().url(); return r.fulfill({ body: "ok" }); });
  await consent.goto(`${base}/oauth/authorize?${query}`);
  await consent.getByTestId("oauth-signin").waitFor();
  assert.deepEqual(await untranslated(consent), [], "consent sign-in");
  await consent.getByTestId("oauth-email").fill(email);
  await consent.getByTestId("oauth-password").fill("correct horse battery");
  await consent.getByTestId("oauth-signin-submit").click();
  await consent.getByTestId("oauth-consent").waitFor();
  assert.match(await consent.getByTestId("oauth-ask").textContent(), /Browser Test Client/);
  assert.deepEqual(await untranslated(consent), [], "consent");
  await shot(consent, "consent");
  await consent.getByTestId("oauth-deny").click();
  for (let i = 0; i < 50 && !landed; i++) await consent.waitForTimeout(100);
  const back = new URL(landed);
  assert.equal(back.searchParams.get("error"), "access_denied");
  assert.equal(back.searchParams.get("state"), "s1");

  step("someone without an account creates one on the consent page, then allows the app");
  const fresh = await newPage({ viewport: DESKTOP });
  fresh.expectNetworkErrors = true; // the 401 before signing up, the refused weak password
  let code = null;
  await fresh.route("http://127.0.0.1:45679/**", (r) => { code = new URL(r.request().url()).searchParams.get("code"); return r.fulfill({ body: "ok" }); });
  await fresh.goto(`${base}/oauth/authorize?${query}`);
  await fresh.getByTestId("oauth-signin").waitFor();
  await fresh.getByTestId("oauth-mode").click();
  await fresh.getByTestId("oauth-name").fill("New Person");
  const newEmail = `new-${Date.now()}@example.com`;
  await fresh.getByTestId("oauth-email").fill(newEmail);
  await fresh.getByTestId("oauth-password").fill("password");
  await fresh.getByTestId("oauth-signin-submit").click();
  await fresh.getByTestId("oauth-error").waitFor();
  assert.match(await fresh.getByTestId("oauth-error").textContent(), /password/i, "the server's reason is shown");
  assert.equal(await fresh.getByTestId("oauth-consent").isVisible(), false);
  await fresh.getByTestId("oauth-password").fill("a long and unusual passphrase");
  await fresh.getByTestId("oauth-signin-submit").click();
  await fresh.getByTestId("oauth-consent").waitFor();
  assert.match(await fresh.locator("#oauth-who").textContent(), new RegExp(newEmail.replace(/[.]/g, "\\.")));
  await fresh.getByTestId("oauth-allow").click();
  for (let i = 0; i < 50 && !code; i++) await fresh.waitForTimeout(100);
  assert.ok(code, "the app got an authorization code for the new account");
}
