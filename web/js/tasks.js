// The user's tasks: one client-side copy (all tasks) that the task panel and every todo widget in
// the thread render from, so they always agree. Changes made here (panel checkbox, quick add)
// apply at once and are confirmed by the server's answer; changes made through the chat are
// picked up by reloading after each turn (and every 15 s, and when the tab comes back).

import { $, el } from "./dom.js";
import { compare, editIcon, editor, isDueSoon, matches, metaLine } from "./taskmeta.js";
import { t } from "./i18n.js";
import { connection, describeError, isConnectivity, request } from "./api.js";
import { emit, state, userPath } from "./state.js";

export const tasks = {
  byId: new Map(), loaded: false, loadError: null, filter: "all",
  // the panel's search, priority, tag and sort (the same rules as the API's list parameters)
  view: { search: "", priority: "", tag: "", sort: "created" },
};

// Every local change bumps `seq`, so a reload that was already in flight cannot undo it.
let seq = 0;

function changed() {
  renderPanel();
  emit("tasks");
}

export function resetTasks() {
  seq += 1;
  tasks.byId = new Map();
  tasks.loaded = false;
  tasks.loadError = null;
  changed();
}

/** Reloads every task from the server. Never throws: a failure shows in the panel. */
export async function loadTasks() {
  if (!state.user) return;
  const mine = ++seq;
  try {
    const { data } = await request(userPath("/tasks"));
    if (mine !== seq) return;
    tasks.byId = new Map(data.map((task) => [task.id, task]));
    tasks.loaded = true;
    tasks.loadError = null;
  } catch (e) {
    if (mine !== seq || e.kind === "auth") return;
    tasks.loadError = e;
  }
  changed();
}

/** Shows a task as done/pending everywhere at once (before the server confirms); returns the
 *  previous task for `restoreTask`. */
export function applyLocal(id, completed) {
  const prev = tasks.byId.get(id);
  if (!prev) return null;
  seq += 1;
  tasks.byId.set(id, { ...prev, completed });
  changed();
  return prev;
}

export function restoreTask(prev) {
  if (!prev) return;
  seq += 1;
  tasks.byId.set(prev.id, prev);
  changed();
}

/** Sets a task's completion through the REST API (idempotent: sends the wanted state). */
export async function setCompleted(id, completed) {
  const prev = applyLocal(id, completed);
  if (!prev) return;
  try {
    const { data } = await request(userPath(`/tasks/${id}/complete`), { method: "PATCH", body: { completed } });
    seq += 1;
    tasks.byId.set(id, data);
    changed();
  } catch (e) {
    seq += 1;
    if (e.status === 404) tasks.byId.delete(id);
    else tasks.byId.set(id, prev);
    changed();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// the panel

const counts = () => {
  let completed = 0;
  let due = 0;
  const now = Date.now();
  for (const task of tasks.byId.values()) {
    if (task.completed) completed += 1;
    if (isDueSoon(task, now)) due += 1;
  }
  return { all: tasks.byId.size, pending: tasks.byId.size - completed, completed, due };
};

/** Saves a task's details (priority, due date, repetition, tags) through the REST API. */
async function saveDetails(id, body) {
  try {
    const { data } = await request(userPath(`/tasks/${id}`), { method: "PUT", body });
    seq += 1;
    tasks.byId.set(id, data);
    changed();
  } catch (e) {
    throw new Error(describeError(e));
  }
}

function setTag(tag) {
  tasks.view.tag = tag;
  $("tag-filter").hidden = !tag;
  $("tag-filter-name").textContent = tag ? `#${tag}` : "";
  renderPanel();
}

function showPanelError(message) {
  $("tasks-error-text").textContent = message;
  $("tasks-error").hidden = false;
}

export const hidePanelError = () => {
  $("tasks-error").hidden = true;
};

const rows = new Map(); // task id -> <li>

function taskRow(task) {
  let li = rows.get(task.id);
  if (!li) {
    const boxId = `task-box-${task.id}`;
    const box = el("input", { type: "checkbox", id: boxId, className: "check" });
    box.dataset.testid = `task-${task.id}`;
    box.addEventListener("change", () => {
      hidePanelError();
      setCompleted(task.id, box.checked).catch((e) => showPanelError(describeError(e)));
    });
    const title = el("span", { className: "task-title", dir: "auto" });
    title.dataset.testid = "task-title";
    const edit = el("button", {
      type: "button", className: "icon-button tiny task-edit", "aria-label": t("tasks.edit.button"), title: t("tasks.edit.button"),
      dataset: { testid: `task-edit-${task.id}` },
    }, editIcon());
    const body = el("div", { className: "task-body" },
      el("label", { htmlFor: boxId }, el("span", { className: "task-id" }), title),
      el("div", { className: "task-meta", dataset: { testid: "task-meta" } }));
    li = el("li", { className: "task", dataset: { taskId: task.id } }, box, body, edit);
    edit.addEventListener("click", () => {
      const open = li.querySelector(".task-editor");
      if (open) {
        open.remove();
        return;
      }
      const current = tasks.byId.get(task.id) || task;
      const form = editor(current, {
        save: (changes) => saveDetails(task.id, changes),
        close: () => {
          form.remove();
          edit.focus();
        },
      });
      body.append(form);
      form.querySelector("select").focus();
    });
    rows.set(task.id, li);
  }
  li.querySelector(".task-id").textContent = t("tasks.number", { id: String(task.id) });
  li.querySelector(".task-title").textContent = task.title;
  li.querySelector(".task-meta").replaceChildren(...metaLine(task, setTag));
  li.querySelector("input").checked = task.completed;
  li.classList.toggle("done", task.completed);
  return li;
}

/** Puts `wanted` into `list` in order, moving as few nodes as possible (keeps keyboard focus). */
function reconcile(list, wanted) {
  let cursor = list.firstChild;
  for (const node of wanted) {
    if (node === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

function renderFilters(c) {
  for (const b of document.querySelectorAll("#task-filters button")) {
    const f = b.dataset.filter;
    b.setAttribute("aria-pressed", String(f === tasks.filter));
    b.querySelector(".count").textContent = tasks.loaded ? t("tasks.count", { count: c[f] }) : "";
  }
  const badge = $("pending-badge");
  badge.textContent = tasks.loaded && c.pending ? t("tasks.count", { count: c.pending }) : "";
  badge.hidden = !badge.textContent;
  $("open-tasks").setAttribute("aria-label", tasks.loaded
    ? t("tasks.toggleLabel", { count: c.pending })
    : t("tasks.title"));
}

export function renderPanel() {
  const c = counts();
  renderFilters(c);
  const list = $("task-list");
  const status = $("tasks-status");
  if (!tasks.loaded) {
    reconcile(list, []);
    status.hidden = false;
    status.className = tasks.loadError ? "empty error-state" : "empty";
    status.replaceChildren(tasks.loadError
      ? el("span", { textContent: t("tasks.loadFailed", { reason: describeError(tasks.loadError) }) })
      : el("span", { textContent: t("tasks.loading") }));
    if (tasks.loadError) {
      status.append(el("button", { type: "button", className: "small", textContent: t("action.retry"), onclick: () => loadTasks() }));
    }
    return;
  }
  const now = Date.now();
  const byStatus = {
    all: () => true,
    pending: (task) => !task.completed,
    completed: (task) => task.completed,
    due: (task) => isDueSoon(task, now),
  }[tasks.filter];
  const shown = [...tasks.byId.values()]
    .filter((task) => byStatus(task) && matches(task, tasks.view))
    .sort(compare(tasks.filter === "due" ? "due" : tasks.view.sort));
  for (const id of [...rows.keys()]) if (!tasks.byId.has(id)) rows.delete(id);
  reconcile(list, shown.map(taskRow));
  status.className = "empty";
  status.hidden = shown.length > 0;
  if (!shown.length) {
    const narrowed = tasks.view.search || tasks.view.priority || tasks.view.tag;
    const key = c.all === 0 ? "tasks.empty.none" : narrowed ? "tasks.empty.noMatch" : `tasks.empty.${tasks.filter}`;
    status.replaceChildren(el("span", { textContent: t(key) }));
  }
  if (tasks.loadError && isConnectivity(tasks.loadError)) showPanelError(describeError(tasks.loadError));
}

export function setFilter(filter) {
  tasks.filter = filter;
  renderPanel();
}

async function quickAdd(event) {
  event.preventDefault();
  const input = $("task-title");
  const title = input.value.trim();
  if (!title) {
    input.focus();
    return;
  }
  hidePanelError();
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const { data } = await request(userPath("/tasks"), { method: "POST", body: { title } });
    seq += 1;
    tasks.byId.set(data.id, data);
    input.value = ""; // only once it is saved: nothing typed is lost on a failure
    changed();
  } catch (e) {
    showPanelError(describeError(e));
  } finally {
    button.disabled = false;
  }
}

export function initTasks() {
  $("task-form").addEventListener("submit", quickAdd);
  $("task-search").addEventListener("input", (e) => {
    tasks.view.search = e.target.value.trim();
    renderPanel();
  });
  $("task-priority").addEventListener("change", (e) => {
    tasks.view.priority = e.target.value;
    renderPanel();
  });
  $("task-sort").addEventListener("change", (e) => {
    tasks.view.sort = e.target.value;
    renderPanel();
  });
  $("tag-filter-clear").addEventListener("click", () => setTag(""));
  $("tasks-error-close").addEventListener("click", hidePanelError);
  for (const b of document.querySelectorAll("#task-filters button")) {
    b.addEventListener("click", () => setFilter(b.dataset.filter));
  }
  const refresh = () => {
    if (state.user && !document.hidden && !state.streaming) loadTasks();
  };
  setInterval(refresh, 15000);
  connection.addEventListener("up", hidePanelError); // "can't reach" is stale once reachable
  document.addEventListener("visibilitychange", refresh);
}
