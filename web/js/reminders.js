// Reminders while the app is open: a browser notification when a pending task comes due (after the
// user asked for them with the panel's button — the page never prompts by itself), and the user's
// time zone sent to the server so that due dates and repetitions follow the user's clock.

import { $ } from "./dom.js";
import { currentLocale, t } from "./i18n.js";
import { request } from "./api.js";
import { on, state, userPath } from "./state.js";
import { formatDue } from "./taskmeta.js";
import { tasks } from "./tasks.js";

const CHECK_MS = 30 * 1000;
const notified = new Set(); // "id@due" already announced

const supported = () => "Notification" in window;

function updateButton() {
  $("notify").hidden = !supported() || Notification.permission !== "default" || !state.user;
}

function check() {
  if (!supported() || Notification.permission !== "granted" || !state.user) return;
  const now = Date.now();
  for (const task of tasks.byId.values()) {
    if (task.completed || !task.due_at) continue;
    const due = Date.parse(task.due_at);
    const key = `${task.id}@${task.due_at}`;
    // came due since the page opened (or within the last check), once per due date
    if (due <= now && due > now - 2 * CHECK_MS && !notified.has(key)) {
      notified.add(key);
      new Notification(task.title, { body: t("tasks.notify.body", { when: formatDue(task.due_at) }), tag: `todobot-${key}`, lang: document.documentElement.lang });
    }
  }
}

/** Tells the server the browser's time zone when it differs from the stored one, and adopts the
 *  account's UI language when this browser has no choice of its own. */
export async function syncSettings({ localChoice, locales, adopt }) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!state.user) return;
  try {
    const { data } = await request(userPath("/settings"));
    if (!data) return;
    if (zone && data.timezone !== zone) await request(userPath("/settings"), { method: "PUT", body: { timezone: zone } });
    if (data.locale && !localChoice && data.locale !== currentLocale() && locales.includes(data.locale)) adopt(data.locale);
  } catch {
    // not essential: due dates stay correct as instants; repetitions use the stored zone
  }
}

export function initReminders() {
  $("notify").addEventListener("click", async () => {
    await Notification.requestPermission();
    updateButton();
  });
  on("tasks", () => {
    updateButton();
    check();
  });
  setInterval(check, CHECK_MS);
}
