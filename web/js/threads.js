// The conversation list (sidebar) and the open conversation's title bar: inline rename (Enter or
// leaving the field saves, Esc cancels) and inline delete confirmation — no browser dialogs.

import { $, el } from "./dom.js";
import { formatFull, formatWhen, t } from "./i18n.js";
import { chatkit, describeError } from "./api.js";
import { emit, on, state } from "./state.js";
import { openThread, showNewThread } from "./chat.js";

const PAGE = 30;
let after = null;
/** The listed conversations by id (their latest known title). */
const known = new Map();

export function announce(message) {
  const region = $("announcer");
  region.textContent = "";
  // a fresh text node after a tick is announced even when the text repeats
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

const titleOf = (thread) => thread.title || t("threads.untitled");

function row(thread) {
  known.set(thread.id, thread);
  const title = titleOf(thread);
  const button = el("button", { type: "button", className: "thread", title, "aria-current": String(thread.id === state.threadId) },
    el("span", { className: "thread-title", dir: "auto", textContent: title }),
    el("time", { className: "thread-time", dateTime: thread.created_at, textContent: formatWhen(thread.created_at), title: formatFull(thread.created_at) }));
  button.addEventListener("click", () => {
    emit("navigate");
    openThread(thread.id, { title: known.get(thread.id)?.title });
  });
  return el("li", { dataset: { thread: thread.id } }, button);
}

const rowOf = (id) => [...$("thread-list").children].find((li) => li.dataset.thread === id);

function updateEmpty() {
  $("threads-empty").hidden = $("thread-list").children.length > 0 || !$("threads-error").hidden;
}

/** Loads the first page of conversations (or the next one with reset = false). */
export async function loadThreads(reset = true) {
  const params = { limit: PAGE, order: "desc" };
  if (!reset && after) params.after = after;
  try {
    const page = await chatkit("threads.list", params);
    $("threads-error").hidden = true;
    if (reset) $("thread-list").replaceChildren();
    for (const thread of page.data) if (!rowOf(thread.id)) $("thread-list").append(row(thread));
    after = page.has_more ? page.after : null;
    $("more-threads").hidden = !after;
  } catch (e) {
    if (e.kind === "auth") return;
    $("threads-error-text").textContent = describeError(e);
    $("threads-error").hidden = false;
  }
  updateEmpty();
}

function showTitle() {
  const title = state.threadTitle || t(state.threadId ? "threads.untitled" : "threads.new");
  $("thread-title").textContent = title;
  $("thread-title").title = title;
  document.title = t("app.documentTitle", { title });
  // a new conversation has nothing to rename or delete yet
  $("rename-thread").hidden = !state.threadId;
  $("delete-thread").hidden = !state.threadId;
  for (const li of $("thread-list").children) {
    li.firstChild.setAttribute("aria-current", String(li.dataset.thread === state.threadId));
  }
}

// ---------------------------------------------------------------------------------------------
// inline rename

let saving = false;

function startRename() {
  if (!state.threadId) return;
  closeDelete(false);
  $("title-view").hidden = true;
  $("rename-form").hidden = false;
  $("rename-error").hidden = true;
  const input = $("rename-input");
  input.value = state.threadTitle || "";
  input.focus();
  input.select();
}

function stopRename(focusBack = true) {
  if ($("rename-form").hidden) return;
  $("rename-form").hidden = true;
  $("title-view").hidden = false;
  if (focusBack) $("rename-thread").focus();
}

function renameError(message) {
  $("rename-error").textContent = message;
  $("rename-error").hidden = false;
}

async function saveRename() {
  const input = $("rename-input");
  const title = input.value.trim();
  if (!title) {
    renameError(t("threads.rename.empty"));
    input.focus();
    return;
  }
  if (title === state.threadTitle) {
    stopRename();
    return;
  }
  const id = state.threadId;
  saving = true;
  $("rename-form").setAttribute("aria-busy", "true");
  try {
    const thread = await chatkit("threads.update", { thread_id: id, title });
    if (state.threadId === id) state.threadTitle = thread.title || title;
    emit("thread-updated", thread);
    stopRename();
    announce(t("threads.renamed"));
  } catch (e) {
    renameError(describeError(e)); // the typed title stays in the field
    input.focus();
  } finally {
    saving = false;
    $("rename-form").removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------------
// inline delete confirmation

function askDelete() {
  if (!state.threadId) return;
  stopRename(false);
  $("title-view").hidden = true;
  $("delete-confirm").hidden = false;
  $("delete-error").hidden = true;
  $("delete-confirm-text").textContent = t("threads.delete.confirm", { title: state.threadTitle || t("threads.untitled") });
  $("delete-no").focus();
}

function closeDelete(focusBack = true) {
  if ($("delete-confirm").hidden) return;
  $("delete-confirm").hidden = true;
  $("title-view").hidden = false;
  if (focusBack) $("delete-thread").focus();
}

async function confirmDelete() {
  const id = state.threadId;
  const yes = $("delete-yes");
  yes.disabled = true;
  try {
    await chatkit("threads.delete", { thread_id: id });
    known.delete(id);
    rowOf(id)?.remove();
    closeDelete(false);
    if (state.threadId === id) showNewThread();
    updateEmpty();
    announce(t("threads.deleted"));
    $("message").focus();
  } catch (e) {
    $("delete-error").textContent = describeError(e);
    $("delete-error").hidden = false;
  } finally {
    yes.disabled = false;
  }
}

export function initThreads() {
  $("new-thread").addEventListener("click", () => {
    emit("navigate");
    showNewThread();
    $("message").focus();
  });
  $("more-threads").addEventListener("click", () => loadThreads(false));
  $("threads-retry").addEventListener("click", () => loadThreads());
  $("rename-thread").addEventListener("click", startRename);
  $("delete-thread").addEventListener("click", askDelete);
  const form = $("rename-form");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    saveRename();
  });
  $("rename-cancel").addEventListener("click", () => stopRename());
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      stopRename();
    }
  });
  // leaving the field saves a changed title (like a spreadsheet cell); an empty one is dropped
  form.addEventListener("focusout", (e) => {
    if (form.hidden || saving || form.contains(e.relatedTarget)) return;
    if (!$("rename-input").value.trim()) stopRename(false);
    else saveRename();
  });
  $("delete-yes").addEventListener("click", confirmDelete);
  $("delete-no").addEventListener("click", () => closeDelete());
  $("delete-confirm").addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      closeDelete();
    }
  });

  on("thread-changed", () => {
    stopRename(false);
    closeDelete(false);
    showTitle();
  });
  on("thread-created", (thread) => {
    if (!rowOf(thread.id)) $("thread-list").prepend(row(thread));
    updateEmpty();
    showTitle();
  });
  on("thread-updated", (thread) => {
    if (known.has(thread.id)) known.set(thread.id, { ...known.get(thread.id), ...thread });
    const li = rowOf(thread.id);
    if (li) {
      const title = titleOf(thread);
      li.firstChild.title = title;
      li.querySelector(".thread-title").textContent = title;
    }
    showTitle();
  });
  on("thread-gone", (id) => {
    known.delete(id);
    rowOf(id)?.remove();
    updateEmpty();
  });
}
