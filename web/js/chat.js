// The conversation: messages streamed over ChatKit (/chatkit), the composer, scrolling that follows
// new output unless the user scrolled up, feedback on replies, and every failure shown with a way
// to retry — nothing typed is lost (an unsent message stays in the list with Retry / Edit).

import { $, el, icon, prefersReducedMotion } from "./dom.js";
import { formatFull, t } from "./i18n.js";
import { chatkit, chatkitStream, describeError } from "./api.js";
import { emit, on, state } from "./state.js";
import { renderWidget, syncWidgets } from "./widgets.js";
import { applyLocal, loadTasks, restoreTask } from "./tasks.js";
import { speakReply } from "./voice.js";

const PAGE = 50;
const items = new Map(); // item id -> <li>
let olderCursor = null;
/** Messages that never reached the server, per conversation ("new" before it exists). */
const unsent = new Map();
let unsentSeq = 0;
/** What the "Retry" of the error banner does. */
let bannerRetry = null;
/** A conversation that could not be opened (reopened when the connection is back). */
let failedOpen = null;

const list = () => $("messages");
const threadKey = () => state.threadId || "new";

// ---------------------------------------------------------------------------------------------
// scrolling: follow new output while the user is at the bottom

let follow = true;

function nearBottom() {
  const m = list();
  return m.scrollHeight - m.scrollTop - m.clientHeight < 48;
}

function toBottom(smooth = false) {
  const m = list();
  m.scrollTo({ top: m.scrollHeight, behavior: smooth && !prefersReducedMotion() ? "smooth" : "auto" });
}

/** Called after new output: keeps the latest in view, or offers "Jump to latest". */
function grew(force = false) {
  if (force) follow = true;
  if (follow) {
    toBottom();
    $("jump-latest").hidden = true;
  } else {
    $("jump-latest").hidden = false;
  }
}

// ---------------------------------------------------------------------------------------------
// what the message area shows: the messages, a welcome, a loading or an error state

function setView(kind, { message, retry } = {}) {
  const box = $("chat-state");
  list().hidden = kind !== "messages";
  box.hidden = kind === "messages";
  if (kind === "messages") return;
  box.className = `chat-state ${kind}`;
  if (kind === "loading") {
    box.replaceChildren(el("div", { className: "spinner", "aria-hidden": "true" }), el("p", { textContent: t("chat.loading") }));
  } else if (kind === "error") {
    box.replaceChildren(
      icon("offline", "icon big"),
      el("h3", { textContent: t("chat.openFailed") }),
      el("p", { textContent: message }),
      el("button", { type: "button", className: "primary", textContent: t("action.retry"), onclick: retry, dataset: { testid: "open-retry" } }));
  } else {
    const suggestions = ["chat.suggestion.add", "chat.suggestion.list", "chat.suggestion.complete"].map((key) =>
      el("li", {}, el("button", {
        type: "button", className: "suggestion", textContent: t(key),
        onclick: () => {
          $("message").value = t(key);
          $("composer").requestSubmit();
        },
      })));
    box.replaceChildren(
      icon("chat", "icon big"),
      el("h3", { textContent: t("chat.welcome.title") }),
      el("p", { textContent: t("chat.welcome.text") }),
      el("ul", { className: "suggestions", "aria-label": t("chat.suggestions") }, ...suggestions));
  }
  box.setAttribute("aria-busy", String(kind === "loading"));
}

// ---------------------------------------------------------------------------------------------
// the error banner above the composer

export function showBanner(message, retry = null) {
  $("chat-error-text").textContent = message;
  bannerRetry = retry;
  $("retry").hidden = !retry;
  $("chat-error").hidden = false;
  grew();
}

export function hideBanner() {
  $("chat-error").hidden = true;
  bannerRetry = null;
}

// ---------------------------------------------------------------------------------------------
// items

/** Adds live output at the end of the list (above the typing indicator). */
function insert(li) {
  list().insertBefore(li, list().querySelector("li.typing"));
}

/** Urdu-script text gets lang="ur" (its font and line height); the rest follows the page. */
function markLang(bubble, text) {
  if (/[\u0600-\u06FF]/.test(text)) bubble.lang = "ur";
  else bubble.removeAttribute("lang");
}

function userLi(text) {
  // dir="auto": every bubble takes its direction from its own text (mixed Urdu/English conversations)
  const li = el("li", { className: "msg user" }, el("div", { className: "bubble", dir: "auto", textContent: text }));
  li.dataset.testid = "user-message";
  markLang(li.firstChild, text);
  return li;
}

function feedbackTools(itemId) {
  const box = el("div", { className: "msg-tools", role: "group", "aria-label": t("feedback.group") });
  const note = el("span", { className: "tools-note", role: "status" });
  for (const [kind, name, label] of [["positive", "thumbUp", "feedback.good"], ["negative", "thumbDown", "feedback.bad"]]) {
    const b = el("button", {
      type: "button", className: "icon-button tiny", title: t(label), "aria-label": t(label), "aria-pressed": "false",
      dataset: { kind, testid: `feedback-${kind}` },
    }, icon(name));
    b.addEventListener("click", async () => {
      note.textContent = "";
      try {
        await chatkit("items.feedback", { thread_id: state.threadId, item_ids: [itemId], kind });
        for (const other of box.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === b));
        note.textContent = t("feedback.thanks");
      } catch (e) {
        note.textContent = t("feedback.failed", { reason: describeError(e) });
      }
    });
    box.append(b);
  }
  box.append(note);
  return box;
}

function assistantLi(streaming) {
  const li = el("li", { className: streaming ? "msg assistant streaming" : "msg assistant" },
    el("div", { className: "bubble", dir: "auto" }, el("span", { className: "text" })));
  li.dataset.testid = "assistant-message";
  if (streaming) li.setAttribute("aria-busy", "true");
  return li;
}

const widgetCtx = (itemId) => ({ itemId, onToggle: toggleFromWidget, onAction: customAction });

/** Shows a stored item (creating or updating its element); null for items todobot never sends. */
function renderItem(item) {
  let li = items.get(item.id);
  if (item.type === "user_message") {
    const text = item.content.map((c) => c.text || "").join(" ");
    li = li || userLi(text);
    li.querySelector(".bubble").textContent = text;
    markLang(li.querySelector(".bubble"), text);
  } else if (item.type === "assistant_message") {
    li = li || assistantLi(false);
    li.querySelector(".text").textContent = item.content.map((c) => c.text || "").join("");
    markLang(li.querySelector(".bubble"), li.querySelector(".text").textContent);
    li.classList.remove("streaming");
    li.removeAttribute("aria-busy");
    if (!li.querySelector(".msg-tools")) li.append(feedbackTools(item.id));
  } else if (item.type === "widget") {
    li = li || el("li", { className: "msg widget" });
    li.dataset.testid = "widget";
    li.replaceChildren(renderWidget(item.widget, widgetCtx(item.id)) || "");
    syncWidgets(li);
  } else {
    return null;
  }
  li.dataset.id = item.id;
  if (item.created_at && li.firstChild) {
    li.firstChild.title = formatFull(item.created_at); // when it was written, as a tooltip
    li.firstChild.dataset.when = item.created_at;
  }
  if (!items.has(item.id)) {
    items.set(item.id, li);
    if (!li.isConnected) insert(li);
  }
  return li;
}

function clearItems() {
  items.clear();
  olderCursor = null;
  list().replaceChildren();
  $("jump-latest").hidden = true;
}

// unsent messages ------------------------------------------------------------------------------

function unsentLi(entry) {
  const li = userLi(entry.text);
  li.classList.add("unsent");
  li.dataset.unsent = entry.id;
  li.append(el("p", { className: "msg-status", role: "status" },
    icon("alert"), el("span", { textContent: t("chat.notSent") }),
    el("button", { type: "button", className: "link", textContent: t("action.retry"), onclick: () => resend(entry), dataset: { testid: "resend" } }),
    el("button", { type: "button", className: "link", textContent: t("chat.editUnsent"), onclick: () => editUnsent(entry) })));
  return li;
}

function renderUnsent() {
  for (const entry of unsent.get(threadKey()) || []) list().append(unsentLi(entry));
}

function dropUnsent(entry) {
  for (const [key, entries] of unsent) {
    const rest = entries.filter((e) => e !== entry);
    if (rest.length) unsent.set(key, rest);
    else unsent.delete(key);
  }
  list().querySelector(`li[data-unsent="${entry.id}"]`)?.remove();
}

function resend(entry) {
  if (state.streaming) return;
  dropUnsent(entry);
  hideBanner();
  send(entry.text);
}

function editUnsent(entry) {
  dropUnsent(entry);
  hideBanner();
  const box = $("message");
  box.value = box.value ? `${entry.text}\n${box.value}` : entry.text;
  box.dispatchEvent(new Event("input"));
  box.focus();
}

// ---------------------------------------------------------------------------------------------
// turns

function showTyping(text) {
  let li = list().querySelector("li.typing");
  if (!li) {
    li = el("li", { className: "msg assistant typing" },
      el("div", { className: "bubble" }, el("span", { className: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")), el("span", { className: "typing-text" })));
    li.dataset.testid = "typing";
    list().append(li);
  }
  li.querySelector(".typing-text").textContent = text;
  grew();
}

const hideTyping = () => list().querySelector("li.typing")?.remove();

function setBusy(busy) {
  state.streaming = busy;
  list().setAttribute("aria-busy", String(busy));
  emit("busy", busy);
  syncWidgets(list());
  updateSendButton();
}

function handleEvent(ev, ctx) {
  const here = ctx.view === state.view;
  switch (ev.type) {
    case "thread.created":
      if (here) {
        if (unsent.has("new")) {
          unsent.set(ev.thread.id, unsent.get("new"));
          unsent.delete("new");
        }
        state.threadId = ev.thread.id;
        state.threadTitle = ev.thread.title || null;
      }
      ctx.threadId = ev.thread.id;
      emit("thread-created", ev.thread);
      return;
    case "thread.updated":
      if (here) state.threadTitle = ev.thread.title || null;
      emit("thread-updated", ev.thread);
      return;
    default:
      break;
  }
  if (!here) return; // the user opened another conversation: this turn's output is stored anyway
  switch (ev.type) {
    case "thread.item.added":
      if (ev.item.type === "assistant_message") {
        hideTyping();
        const li = assistantLi(true);
        li.dataset.id = ev.item.id;
        items.set(ev.item.id, li);
        insert(li);
      } else renderItem(ev.item);
      break;
    case "thread.item.removed": {
      // streamed text that turned out not to be the reply (the model went on to use tools)
      const gone = items.get(ev.item_id);
      if (gone) { gone.remove(); items.delete(ev.item_id); }
      break;
    }
    case "thread.item.updated": {
      const li = items.get(ev.item_id);
      const u = ev.update;
      if (!li) break;
      if (u.type === "assistant_message.content_part.text_delta") li.querySelector(".text").textContent += u.delta;
      else if (u.type === "assistant_message.content_part.done") li.querySelector(".text").textContent = u.content.text;
      else if (u.type === "widget.root.updated") {
        li.replaceChildren(renderWidget(u.widget, widgetCtx(ev.item_id)) || "");
        syncWidgets(li);
      }
      break;
    }
    case "thread.item.done":
      if (ev.item.type === "user_message" && ctx.pending) {
        items.set(ev.item.id, ctx.pending);
        ctx.pending.classList.remove("pending");
        ctx.pending = null;
        ctx.userItem = ev.item.id;
      }
      renderItem(ev.item);
      if (ev.item.type === "assistant_message") speakReply(ev.item.content.map((c) => c.text || "").join(""));
      break;
    case "progress_update":
      showTyping(ev.text || t("chat.thinking"));
      break;
    case "error":
      ctx.failed = true;
      hideTyping();
      showBanner(ev.message || t("error.unexpected"),
        ev.allow_retry && ctx.userItem ? () => retryAfter(ctx.userItem) : null);
      break;
    default:
      break;
  }
  grew();
}

function turnFailed(e, ctx) {
  if (e.kind === "auth") return;
  const reason = describeError(e);
  if (ctx.pending) {
    // the server never got it: keep it as an unsent message
    const entry = { id: ++unsentSeq, text: ctx.text };
    const key = ctx.threadId || "new";
    unsent.set(key, [...(unsent.get(key) || []), entry]);
    const here = ctx.view === state.view;
    ctx.pending.remove();
    if (here) {
      list().append(unsentLi(entry));
      showBanner(reason, () => resend(entry));
    }
    return;
  }
  if (ctx.view === state.view && ctx.userItem) showBanner(reason, () => retryAfter(ctx.userItem));
  else if (ctx.view === state.view) showBanner(reason, null);
}

async function runTurn(type, params, ctx) {
  setBusy(true);
  hideBanner();
  showTyping(t("chat.thinking"));
  try {
    await chatkitStream(type, params, (ev) => handleEvent(ev, ctx));
  } catch (e) {
    turnFailed(e, ctx);
  } finally {
    hideTyping();
    for (const li of list().querySelectorAll("li.streaming")) {
      li.classList.remove("streaming");
      li.removeAttribute("aria-busy");
    }
    setBusy(false);
    await loadTasks();
  }
  return !ctx.failed;
}

/** Sends a message in the open conversation (creating it first when new). */
export async function send(text) {
  if (!text.trim() || state.streaming) return;
  setView("messages");
  const pending = userLi(text);
  pending.classList.add("pending");
  list().append(pending);
  grew(true);
  const input = { content: [{ type: "input_text", text }], attachments: [], quoted_text: null, inference_options: {} };
  const ctx = { view: state.view, threadId: state.threadId, pending, text, userItem: null, failed: false };
  if (state.threadId) await runTurn("threads.add_user_message", { thread_id: state.threadId, input }, ctx);
  else await runTurn("threads.create", { input }, ctx);
}

async function retryAfter(userItemId) {
  if (state.streaming || !state.threadId) return;
  // the server regenerates everything after that message
  let after = false;
  for (const [id, li] of [...items]) {
    if (after) {
      li.remove();
      items.delete(id);
    }
    if (id === userItemId) after = true;
  }
  const ctx = { view: state.view, threadId: state.threadId, pending: null, userItem: userItemId, failed: false };
  grew(true);
  await runTurn("threads.retry_after_item", { thread_id: state.threadId, item_id: userItemId }, ctx);
}

async function customAction(itemId, action) {
  if (!state.threadId || state.streaming) return true;
  const ctx = { view: state.view, threadId: state.threadId, pending: null, userItem: null, failed: false };
  return runTurn("threads.custom_action", { thread_id: state.threadId, item_id: itemId, action }, ctx);
}

/** A widget checkbox: every view of the task changes at once, then the server confirms. */
async function toggleFromWidget(itemId, taskId, completed, action) {
  const prev = applyLocal(taskId, completed);
  const ok = await customAction(itemId, { type: action.type, payload: { ...(action.payload || {}), completed } });
  if (!ok && prev) restoreTask(prev);
}

// ---------------------------------------------------------------------------------------------
// conversations

/** Forgets everything of the signed-out user (unsent messages included). */
export function resetChat() {
  unsent.clear();
  showNewThread();
}

/** An empty, new conversation (created by its first message). */
export function showNewThread() {
  state.view += 1;
  state.threadId = null;
  state.threadTitle = null;
  failedOpen = null;
  clearItems();
  hideBanner();
  renderUnsent();
  setView(unsent.has("new") ? "messages" : "welcome");
  emit("thread-changed");
}

function olderButton() {
  return el("li", { className: "older" }, el("button", {
    type: "button", className: "small", textContent: t("chat.loadOlder"), dataset: { testid: "load-older" },
    onclick: loadOlder,
  }));
}

async function loadOlder(event) {
  const button = event.currentTarget;
  const view = state.view;
  button.disabled = true;
  try {
    const page = await chatkit("items.list", { thread_id: state.threadId, order: "desc", limit: PAGE, after: olderCursor });
    if (view !== state.view) return;
    const m = list();
    const before = m.scrollHeight;
    button.parentElement.remove();
    const anchor = m.firstChild;
    for (const item of page.data.reverse()) {
      const li = renderItem(item);
      if (li) m.insertBefore(li, anchor);
    }
    olderCursor = page.has_more ? page.after : null;
    if (olderCursor) m.prepend(olderButton());
    m.scrollTop += m.scrollHeight - before;
  } catch (e) {
    button.disabled = false;
    showBanner(describeError(e), null);
  }
}

/** Opens a conversation; on failure the message area says why and offers Retry. */
export async function openThread(id, { quiet = false, title } = {}) {
  const view = ++state.view;
  if (state.threadId !== id || title !== undefined) state.threadTitle = title || null;
  state.threadId = id;
  failedOpen = null;
  hideBanner();
  emit("thread-changed");
  if (!quiet) {
    clearItems();
    setView("loading");
  }
  try {
    const [thread, page] = await Promise.all([
      chatkit("threads.get_by_id", { thread_id: id }),
      chatkit("items.list", { thread_id: id, order: "desc", limit: PAGE }),
    ]);
    if (view !== state.view) return;
    state.threadTitle = thread.title || null;
    clearItems();
    olderCursor = page.has_more ? page.after : null;
    if (olderCursor) list().append(olderButton());
    for (const item of page.data.reverse()) renderItem(item);
    renderUnsent();
    setView("messages");
    syncWidgets(list());
    emit("thread-changed");
    grew(true);
  } catch (e) {
    if (view !== state.view || e.kind === "auth") return;
    if (e.status === 404) {
      emit("thread-gone", id);
      showNewThread();
      showBanner(t("chat.threadGone"));
      return;
    }
    failedOpen = id;
    clearItems();
    setView("error", { message: describeError(e), retry: () => openThread(id, { title: state.threadTitle }) });
  }
}

/** After a reconnect: reopen a conversation that failed to open, or refresh the open one. */
export function reloadAfterReconnect() {
  if (state.streaming) return;
  if (failedOpen) openThread(failedOpen, { title: state.threadTitle });
  else if (state.threadId && !bannerRetry) openThread(state.threadId, { quiet: true });
}

// ---------------------------------------------------------------------------------------------
// composer

function autosize() {
  const box = $("message");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, 200)}px`;
  if (follow) toBottom(); // a taller composer must not hide the latest output
}

function updateSendButton() {
  $("send").disabled = state.streaming || !$("message").value.trim();
}

export function initChat() {
  const m = list();
  on("tasks", () => syncWidgets(m)); // every widget follows the task list
  m.addEventListener("scroll", () => {
    follow = nearBottom();
    if (follow) $("jump-latest").hidden = true;
  }, { passive: true });
  new ResizeObserver(() => {
    if (follow) toBottom();
  }).observe(m);
  $("jump-latest").addEventListener("click", () => {
    follow = true;
    $("jump-latest").hidden = true;
    toBottom(true);
  });
  $("retry").addEventListener("click", () => {
    const retry = bannerRetry;
    hideBanner();
    if (retry) retry();
  });
  $("chat-error-close").addEventListener("click", hideBanner);
  const box = $("message");
  box.addEventListener("input", () => {
    autosize();
    updateSendButton();
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = box.value;
    if (!text.trim() || state.streaming) return;
    box.value = "";
    autosize();
    updateSendButton();
    send(text.trim());
  });
  updateSendButton();
}
