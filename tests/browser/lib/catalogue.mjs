// Static checks of the UI catalogue against the sources: every key the UI uses exists, every key
// in the catalogue is used, and no user-visible text is written into the HTML or the scripts
// directly (everything goes through t()).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

function sources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (/\.(js|html)$/.test(entry.name)) out.push({ path, text: readFileSync(path, "utf8") });
  }
  return out;
}

export function checkCatalogue(webDir) {
  const catalogue = JSON.parse(readFileSync(join(webDir, "i18n", "en.json"), "utf8"));
  const keys = new Set(Object.keys(catalogue));
  const used = new Set();
  const prefixes = new Set();
  const problems = [];
  const referenced = new Set(); // keys the sources ask for: t("key"), data-i18n*="key"
  for (const { path, text } of sources(webDir)) {
    for (const m of text.matchAll(/["'`]([a-z][A-Za-z0-9_.]*)["'`]/g)) {
      if (keys.has(m[1])) used.add(m[1]); // also keys passed around before reaching t()
    }
    for (const m of text.matchAll(/\bt\(\s*["']([^"']+)["']/g)) referenced.add(m[1]);
    for (const m of text.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) referenced.add(m[1]);
    for (const m of text.matchAll(/`([a-z][A-Za-z0-9_.]*\.)\$\{/g)) prefixes.add(m[1]);
    if (path.endsWith(".html")) {
      const body = text.replace(/<head>[\s\S]*?<\/head>/, "").replace(/<!--[\s\S]*?-->/g, "");
      const literal = body.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
      if (literal) problems.push(`${path}: text outside the catalogue: "${literal.slice(0, 80)}"`);
      for (const m of body.matchAll(/\s(placeholder|aria-label|title)="([^"]*)"/g)) {
        problems.push(`${path}: literal ${m[1]}="${m[2]}" (use data-i18n-${m[1]})`);
      }
    } else {
      for (const m of text.matchAll(/(textContent|placeholder|title|"aria-label")\s*[:=]\s*"([^"]+)"/g)) {
        problems.push(`${path}: literal text ${m[1]} = "${m[2]}" (use t())`);
      }
    }
  }
  for (const k of referenced) {
    used.add(k);
    if (!keys.has(k)) problems.push(`missing in en.json: ${k}`);
  }
  const covered = (k) => used.has(k) || [...prefixes].some((p) => k.startsWith(p)) || k.startsWith("meta.");
  for (const p of prefixes) {
    if (![...keys].some((k) => k.startsWith(p))) problems.push(`no message for the dynamic key ${p}*`);
  }
  for (const k of keys) if (!covered(k)) problems.push(`unused message in en.json: ${k}`);
  for (const [k, v] of Object.entries(catalogue)) {
    const forms = typeof v === "object" ? Object.values(v) : [v];
    if (!forms.every((f) => typeof f === "string" && f.length)) problems.push(`empty or malformed message: ${k}`);
    if (typeof v === "object" && !("other" in v)) problems.push(`plural message without "other": ${k}`);
  }
  return problems;
}

/** The catalogue with every message wrapped in `open`…`close` (a pseudo-locale). */
export function pseudoCatalogue(webDir, open, close, dir) {
  const catalogue = JSON.parse(readFileSync(join(webDir, "i18n", "en.json"), "utf8"));
  const wrap = (s) => `${open}${s}${close}`;
  const out = {};
  for (const [k, v] of Object.entries(catalogue)) {
    if (k.startsWith("meta.")) out[k] = v;
    else if (typeof v === "object") out[k] = Object.fromEntries(Object.entries(v).map(([f, s]) => [f, wrap(s)]));
    else out[k] = wrap(v);
  }
  if (dir) out["meta.dir"] = dir;
  return out;
}
