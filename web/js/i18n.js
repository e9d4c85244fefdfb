// Every user-visible string of the UI comes from a catalogue (web/i18n/<locale>.json) through t().
// Adding a language = adding its catalogue file: the server lists the catalogues it embeds in
// /api/config (`locales`), and the browser's preferred languages pick one. A catalogue's
// "meta.dir" sets the text direction (rtl for Urdu, Arabic…).

let messages = null;
let locale = "en";
let plurals = new Intl.PluralRules("en");
let numbers = new Intl.NumberFormat("en");

// Only used when no catalogue could be loaded at all (the server was unreachable at start-up).
const BOOT_FALLBACK = {
  "error.network": "Can't reach todobot. Check your connection.",
  "action.retry": "Retry",
};

/** The best of `available` for the browser's preferred languages (exact, then base language). */
export function pickLocale(available, preferred = navigator.languages || [navigator.language]) {
  const have = available && available.length ? available : ["en"];
  const find = (tag) => have.find((l) => l.toLowerCase() === tag);
  for (const want of preferred.filter(Boolean).map((l) => l.toLowerCase())) {
    const hit = find(want) || find(want.split("-")[0]);
    if (hit) return hit;
  }
  return find("en") || have[0];
}

/** Loads the catalogue of `wanted`; throws when it cannot be fetched. */
export async function loadLocale(wanted) {
  const url = new URL(`../i18n/${wanted}.json`, import.meta.url);
  const res = await fetch(url, { cache: "no-cache" });
  if (!res.ok) throw new Error(`catalogue ${wanted}: ${res.status}`);
  messages = await res.json();
  locale = wanted;
  plurals = new Intl.PluralRules(locale);
  numbers = new Intl.NumberFormat(locale);
  document.documentElement.lang = locale;
  document.documentElement.dir = messages["meta.dir"] === "rtl" ? "rtl" : "ltr";
}

export const hasCatalogue = () => messages !== null;
export const currentLocale = () => locale;

/** Whether the catalogue has `key` (used to translate known server error codes). */
export const has = (key) => !!messages && Object.hasOwn(messages, key);

/** The message `key`, with `{name}` placeholders filled from params (numbers formatted for the
 *  locale). A message may be an object of plural forms chosen by `params.count`. */
export function t(key, params = {}) {
  let msg = messages ? messages[key] : BOOT_FALLBACK[key];
  if (msg === undefined) {
    console.error(`i18n: missing message "${key}"`);
    return key;
  }
  if (typeof msg === "object") msg = msg[plurals.select(Number(params.count) || 0)] ?? msg.other;
  return msg.replace(/\{(\w+)\}/g, (whole, name) => {
    const v = params[name];
    if (v === undefined || v === null) return whole;
    return typeof v === "number" ? numbers.format(v) : String(v);
  });
}

/** Fills elements marked with data-i18n (text), data-i18n-placeholder, data-i18n-aria-label and
 *  data-i18n-title under root. */
export function translateDom(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const [attr, data] of [["placeholder", "i18nPlaceholder"], ["aria-label", "i18nAriaLabel"], ["title", "i18nTitle"]]) {
    const sel = `[data-i18n-${attr}]`;
    for (const node of root.querySelectorAll(sel)) node.setAttribute(attr, t(node.dataset[data]));
  }
}

export const formatNumber = (n) => numbers.format(n);

/** A short, locale-aware time for a list: "14:05" today, "Yesterday", a weekday this week, else a date. */
export function formatWhen(value, now = new Date()) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(now) - day(d)) / 86400000);
  if (days <= 0) return new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit" }).format(d);
  if (days === 1) return new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(-1, "day");
  if (days < 7) return new Intl.DateTimeFormat(locale, { weekday: "short" }).format(d);
  const sameYear = d.getFullYear() === now.getFullYear();
  return new Intl.DateTimeFormat(locale, sameYear ? { month: "short", day: "numeric" } : { dateStyle: "medium" }).format(d);
}

/** A full date and time (tooltips). */
export function formatFull(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "short" }).format(d);
}
