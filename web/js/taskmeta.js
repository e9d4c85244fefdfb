// What a task has beyond its title, in the task panel: priority, due date, tags, repetition (a line
// under the title), an inline editor for them, and the panel's search / priority / tag / sort rules.

import { el, icon } from "./dom.js";
import { currentLocale, t } from "./i18n.js";

const SOON_MS = 24 * 3600 * 1000;
const RANK = { low: 0, medium: 1, high: 2 };

export const isOverdue = (task, now = Date.now()) => !task.completed && !!task.due_at && Date.parse(task.due_at) < now;
export const isDueSoon = (task, now = Date.now()) => !task.completed && !!task.due_at && Date.parse(task.due_at) <= now + SOON_MS;

/** A due date for people: "today 17:00", "Fri 09:00", "12 Dec". */
export function formatDue(value) {
  const d = new Date(value);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const inWeek = Math.abs(d - now) < 6 * 24 * 3600 * 1000;
  const opts = sameDay
    ? { hour: "numeric", minute: "2-digit" }
    : inWeek
      ? { weekday: "short", hour: "numeric", minute: "2-digit" }
      : { day: "numeric", month: "short", year: d.getFullYear() === now.getFullYear() ? undefined : "numeric" };
  return new Intl.DateTimeFormat(currentLocale(), opts).format(d);
}

/** Whether a task passes the panel's search, priority and tag rules. */
export function matches(task, { search, priority, tag }) {
  if (priority && task.priority !== priority) return false;
  if (tag && !(task.tags || []).includes(tag)) return false;
  if (search) {
    const text = `${task.title} ${task.description || ""}`.toLowerCase();
    if (!search.toLowerCase().split(/\s+/).filter(Boolean).every((w) => text.includes(w))) return false;
  }
  return true;
}

/** The panel's order (the same rules as the API's `sort`): ties by task number. */
export function compare(sort) {
  const due = (task) => (task.due_at ? Date.parse(task.due_at) : Infinity);
  const by = {
    created: () => 0,
    due: (a, b) => due(a) - due(b),
    priority: (a, b) => (RANK[b.priority] ?? 1) - (RANK[a.priority] ?? 1),
    title: (a, b) => a.title.localeCompare(b.title, currentLocale(), { sensitivity: "base" }),
  }[sort] || (() => 0);
  return (a, b) => by(a, b) || a.id - b.id;
}

/** The line under a task's title; `onTag(tag)` filters by a tag. */
export function metaLine(task, onTag) {
  const parts = [];
  if (task.priority && task.priority !== "medium") {
    parts.push(el("span", { className: `prio prio-${task.priority}`, textContent: t(`tasks.priority.${task.priority}`) }));
  }
  if (task.due_at) {
    const late = isOverdue(task);
    const when = formatDue(task.due_at);
    parts.push(el("time", {
      className: late ? "due overdue" : "due", dateTime: task.due_at,
      textContent: t(late ? "tasks.due.overdue" : "tasks.due.at", { when }),
    }));
  }
  if (task.recurrence) parts.push(el("span", { className: "repeat", textContent: t(`tasks.recurrence.${task.recurrence}`) }));
  for (const tag of task.tags || []) {
    parts.push(el("button", {
      type: "button", className: "chip", dir: "auto", textContent: `#${tag}`, title: t("tasks.tag.filter", { tag }),
      onclick: (e) => {
        e.preventDefault();
        onTag(tag);
      },
    }));
  }
  return parts;
}

/** A `datetime-local` value (local time) for an instant, and back. */
const toLocalInput = (iso) => {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);

/** The inline editor of a task's details; `save(body)` resolves when stored, `close()` hides it. */
export function editor(task, { save, close }) {
  const select = (name, values, current, labelKey) => {
    const s = el("select", { name, "aria-label": t(labelKey) },
      ...values.map(([v, key]) => el("option", { value: v, textContent: t(key), selected: v === current })));
    return el("label", {}, el("span", { textContent: t(labelKey) }), s);
  };
  const priority = select("priority", [["high", "tasks.priority.high"], ["medium", "tasks.priority.medium"], ["low", "tasks.priority.low"]],
    task.priority || "medium", "tasks.edit.priority");
  const due = el("label", {}, el("span", { textContent: t("tasks.edit.due") }),
    el("input", { type: "datetime-local", name: "due", value: toLocalInput(task.due_at) }));
  const recurrence = select("recurrence", [["", "tasks.recurrence.none"], ["daily", "tasks.recurrence.daily"],
    ["weekdays", "tasks.recurrence.weekdays"], ["weekly", "tasks.recurrence.weekly"], ["monthly", "tasks.recurrence.monthly"]],
  task.recurrence || "", "tasks.edit.recurrence");
  const tags = el("label", {}, el("span", { textContent: t("tasks.edit.tags") }),
    el("input", { name: "tags", dir: "auto", value: (task.tags || []).join(", "), placeholder: t("tasks.edit.tagsHint"), maxLength: 400 }));
  const error = el("p", { className: "error small-text", role: "alert", hidden: true });
  const form = el("form", { className: "task-editor", dataset: { testid: "task-editor" } },
    priority, due, recurrence, tags, error,
    el("div", { className: "confirm-actions" },
      el("button", { type: "submit", className: "primary small", textContent: t("action.save"), dataset: { testid: "task-editor-save" } }),
      el("button", { type: "button", className: "small", textContent: t("action.cancel"), onclick: close })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = {
      priority: f.priority.value,
      due_at: fromLocalInput(f.due.value),
      recurrence: f.recurrence.value || null,
      tags: f.tags.value.split(",").map((s) => s.trim()).filter(Boolean),
    };
    error.hidden = true;
    try {
      await save(body);
      close();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  return form;
}

export const editIcon = () => icon("pencil");
