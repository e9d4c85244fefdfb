// Drives the consent page in headless Chromium like a person would: opens the authorization URL
// the MCP client produced, signs in, checks what the page says, clicks Allow (or Deny), and prints
// the URL the browser was sent back to (the client's redirect URI, intercepted here).
// Usage: node consent.mjs AUTH_URL EMAIL PASSWORD CLIENT_NAME [deny]
import { chromium } from "../browser/node_modules/playwright-core/index.mjs";

const [url, email, password, clientName, answer] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage();
  const redirect = new URL(new URL(url).searchParams.get("redirect_uri"));
  let landed = null;
  await page.route(`${redirect.origin}/**`, (route) => {
    landed = route.request().url();
    return route.fulfill({ contentType: "text/plain", body: "done" });
  });
  await page.goto(url);
  await page.getByTestId("oauth-signin").waitFor();
  await page.getByTestId("oauth-email").fill(email);
  await page.getByTestId("oauth-password").fill(password);
  await page.getByTestId("oauth-signin-submit").click();
  await page.getByTestId("oauth-consent").waitFor();
  const ask = await page.getByTestId("oauth-ask").textContent();
  if (!ask.includes(clientName)) throw new Error(`consent page does not name the client: ${ask}`);
  await page.getByTestId(answer === "deny" ? "oauth-deny" : "oauth-allow").click();
  for (let i = 0; i < 100 && !landed; i++) await page.waitForTimeout(100);
  if (!landed) throw new Error("the browser was not sent back to the client");
  console.log(landed);
} finally {
  await browser.close();
}
