// Browser end-to-end tests: each scenario (scenarios/*.mjs, one behaviour each) gets a fresh
// `todobot serve` (its own port and database) and a fresh browser context, in headless Debian
// Chromium. A scenario fails on any console error or page error, on any browser dialog
// (prompt/confirm/alert) and on any failed network request unless it simulates an outage.
// Usage: node e2e.mjs [name-filter...]
import { chromium } from "playwright-core";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { TodobotServer } from "./lib/server.mjs";
import { DESKTOP, SHOTS } from "./lib/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(join(here, "scenarios"))
  .filter((f) => f.endsWith(".mjs"))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Development shortcut: E2E_WEB_DIR=web serves the UI files from disk instead of the copy
// embedded in the binary (no rebuild per UI change). CI never sets it.
async function serveWebFromDisk(context, base) {
  const types = { js: "text/javascript", css: "text/css", json: "application/json", html: "text/html", svg: "image/svg+xml" };
  await context.route((url) => url.origin === base && !/^\/(api|chatkit|mcp|readyz|healthz)/.test(url.pathname), (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(process.env.E2E_WEB_DIR, path === "/" ? "index.html" : path);
    if (!existsSync(file)) return route.continue();
    return route.fulfill({ body: readFileSync(file), contentType: types[file.split(".").pop()] || "application/octet-stream" });
  });
}

const failures = [];
for (const file of files) {
  const scenario = await import(join(here, "scenarios", file));
  const name = file.replace(/\.mjs$/, "");
  console.log(`\n# ${name}: ${scenario.title}`);
  const server = await TodobotServer.start(scenario.env || {});
  const pages = [];
  const ctx = {
    server,
    base: server.base,
    step: (text) => console.log(`  - ${text}`),
    /** A page in a fresh context (own cookies), watched for console errors and dialogs. */
    async newPage({ viewport = DESKTOP, locale = "en-US" } = {}) {
      const context = await browser.newContext({ viewport, locale });
      if (process.env.E2E_WEB_DIR) await serveWebFromDisk(context, server.base);
      const page = await context.newPage();
      page.problems = [];
      page.networkErrors = [];
      page.expectNetworkErrors = false;
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        if (/^Failed to load resource/.test(m.text())) page.networkErrors.push(m.text());
        else page.problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
      page.on("dialog", (d) => {
        page.problems.push(`browser dialog (${d.type()}): ${d.message()}`);
        d.dismiss().catch(() => {});
      });
      page.setDefaultTimeout(15000);
      pages.push(page);
      await page.goto(server.base);
      return page;
    },
  };
  try {
    await scenario.run(ctx);
    for (const page of pages) {
      if (page.problems.length) throw new Error(`console/page errors:\n${page.problems.join("\n")}`);
      if (page.networkErrors.length && !page.expectNetworkErrors) {
        throw new Error(`failed requests:\n${page.networkErrors.join("\n")}`);
      }
    }
    console.log(`  ok`);
  } catch (e) {
    failures.push(name);
    console.error(`  FAILED: ${e.stack || e}`);
    mkdirSync(SHOTS, { recursive: true });
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: `${SHOTS}/browser-failure-${name}-${i}.png` }).catch(() => {});
      if (page.problems.length) console.error(page.problems.join("\n"));
    }
    console.error(`  server log (tail):\n${server.log().split("\n").slice(-20).join("\n")}`);
  } finally {
    for (const page of pages) await page.context().close().catch(() => {});
    await server.dispose();
  }
}
await browser.close();

if (failures.length) {
  console.error(`\nbrowser e2e: ${failures.length} of ${files.length} scenarios failed: ${failures.join(", ")}`);
  process.exit(1);
}
console.log(`\nbrowser e2e: ${files.length} scenarios ok (screenshots in ${SHOTS})`);
