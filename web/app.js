// todobot web UI: sign in, chat over the ChatKit protocol (/chatkit), and a live task panel.
// No build step and no third-party code; all text is rendered with textContent (never innerHTML).

const $ = (id) => document.getElementById(id);
const SESSION_KEY = "todobot.session";

const state = {
  config: { chatkit_domain_key: null },
  session: localStorage.getItem(SESSION_KEY),
  jwt: null,
  jwtExp: 0,
  user: null,
  threadId: null,
  threadTitle: null,
  threadsAfter: null,
  streaming: false,
  retryItem: null,
  filter: "all",
  items: new Map(), // item id -> <li>
};

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

function jwtExp(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).exp || 0;
  } catch {
    return 0;
  }
}

function setJwt(jwt) {
  state.jwt = jwt;
  state.jwtExp = jwt ? jwtExp(jwt) : 0;
}

async function token(force = false) {
  if (!force && state.jwt && Date.now() / 1000 < state.jwtExp - 30) return state.jwt;
  if (!state.session) throw new ApiError(401, { message: "Please sign in." });
  const res = await fetch("/api/auth/token", { headers: { authorization: `Bearer ${state.session}` } });
  if (res.status === 401) {
    signedOut("Your session has ended. Please sign in again.");
    throw new ApiError(401, { message: "Please sign in." });
  }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  setJwt((await res.json()).token);
  return state.jwt;
}

async function request(path, { method = "GET", body, auth = true, raw = false } = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth) headers.authorization = `Bearer ${await token(attempt > 0)}`;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && auth && attempt === 0) continue; // refresh the token once
    if (raw) {
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
      return res;
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, data);
    return { data, res };
  }
  throw new ApiError(401, { message: "Please sign in." });
}

const chatkit = async (type, params) =>
  (await request("/chatkit", { method: "POST", body: { type, params, metadata: {} } })).data;

/** Sends a streaming ChatKit request and calls onEvent for every `data:` frame. */
async function chatkitStream(type, params, onEvent) {
  const res = await request("/chatkit", { method: "POST", body: { type, params, metadata: {} }, raw: true });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of frame.split("\n")) {
        if (line.startsWith("data: ")) onEvent(JSON.parse(line.slice(6)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// auth

let signUpMode = false;

function setAuthMode(signUp) {
  signUpMode = signUp;
  $("tab-sign-in").setAttribute("aria-selected", String(!signUp));
  $("tab-sign-up").setAttribute("aria-selected", String(signUp));
  $("name-field").hidden = !signUp;
  $("auth-submit").textContent = signUp ? "Create account" : "Sign in";
  $("auth-form").password.autocomplete = signUp ? "new-password" : "current-password";
  $("auth-error").hidden = true;
}

async function submitAuth(event) {
  event.preventDefault();
  const form = event.target;
  const body = { email: form.email.value.trim(), password: form.password.value };
  if (signUpMode) body.name = form.name.value.trim() || body.email.split("@")[0];
  const err = $("auth-error");
  err.hidden = true;
  $("auth-submit").disabled = true;
  try {
    const path = signUpMode ? "/api/auth/sign-up/email" : "/api/auth/sign-in/email";
    const { data, res } = await request(path, { method: "POST", body, auth: false });
    state.session = data.token;
    localStorage.setItem(SESSION_KEY, data.token);
    setJwt(res.headers.get("set-auth-jwt"));
    state.user = data.user;
    form.password.value = "";
    await showApp();
  } catch (e) {
    const fields = e.body && e.body.fields ? Object.values(e.body.fields).join(" ") : "";
    err.textContent = fields || e.message;
    err.hidden = false;
  } finally {
    $("auth-submit").disabled = false;
  }
}

function signedOut(message) {
  state.session = null;
  state.user = null;
  setJwt(null);
  localStorage.removeItem(SESSION_KEY);
  $("app-view").hidden = true;
  $("account").hidden = true;
  $("auth-view").hidden = false;
  if (message) {
    $("auth-error").textContent = message;
    $("auth-error").hidden = false;
  }
}

async function signOut() {
  const session = state.session;
  signedOut();
  if (session) {
    await fetch("/api/auth/sign-out", { method: "POST", headers: { authorization: `Bearer ${session}` } }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// conversations

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node && k !== "list") node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function threadButton(thread) {
  return el("li", { dataset: { thread: thread.id } },
    el("button", {
      type: "button", textContent: thread.title || "New conversation",
      "aria-current": String(thread.id === state.threadId), onclick: () => openThread(thread.id),
    }));
}

async function loadThreads(reset = true) {
  if (reset) state.threadsAfter = null;
  const params = { limit: 20, order: "desc" };
  if (state.threadsAfter) params.after = state.threadsAfter;
  const page = await chatkit("threads.list", params);
  const list = $("thread-list");
  if (reset) list.replaceChildren();
  for (const t of page.data) list.append(threadButton(t));
  state.threadsAfter = page.has_more ? page.after : null;
  $("more-threads").hidden = !page.has_more;
}

function markCurrentThread() {
  for (const b of $("thread-list").querySelectorAll("button")) {
    b.setAttribute("aria-current", String(b.parentElement.dataset.thread === state.threadId));
  }
  $("rename-thread").disabled = !state.threadId;
  $("delete-thread").disabled = !state.threadId;
  $("thread-title").textContent = state.threadTitle || "New conversation";
}

function resetChat() {
  state.items.clear();
  state.retryItem = null;
  $("messages").replaceChildren();
  hideError();
}

function newThread() {
  state.threadId = null;
  state.threadTitle = null;
  resetChat();
  $("messages").append(el("li", { className: "empty-chat", textContent: "Ask me to add, list, complete, rename or delete tasks." }));
  markCurrentThread();
  $("message").focus();
}

async function openThread(id) {
  if (state.streaming) return;
  const thread = await chatkit("threads.get_by_id", { thread_id: id });
  const page = await chatkit("items.list", { thread_id: id, order: "desc", limit: 100 });
  state.threadId = id;
  state.threadTitle = thread.title || null;
  resetChat();
  for (const item of page.data.reverse()) renderItem(item);
  markCurrentThread();
  scrollDown();
}

async function renameThread() {
  if (!state.threadId) return;
  const title = window.prompt("Rename conversation", state.threadTitle || "");
  if (title == null || !title.trim()) return;
  try {
    const t = await chatkit("threads.update", { thread_id: state.threadId, title: title.trim() });
    state.threadTitle = t.title;
    markCurrentThread();
    await loadThreads();
  } catch (e) {
    showError(e.message, false);
  }
}

async function deleteThread() {
  if (!state.threadId || !window.confirm("Delete this conversation? Your tasks are kept.")) return;
  try {
    await chatkit("threads.delete", { thread_id: state.threadId });
    newThread();
    await loadThreads();
  } catch (e) {
    showError(e.message, false);
  }
}

// ---------------------------------------------------------------------------------------------
// messages and widgets

function scrollDown() {
  const m = $("messages");
  m.scrollTop = m.scrollHeight;
}

function feedbackButtons(itemId) {
  const box = el("div", { className: "feedback" });
  for (const [kind, label, text] of [["positive", "Helpful", "Helpful"], ["negative", "Not helpful", "Not helpful"]]) {
    box.append(el("button", {
      type: "button", className: "small", textContent: text, "aria-label": label, "aria-pressed": "false",
      onclick: async (ev) => {
        await chatkit("items.feedback", { thread_id: state.threadId, item_ids: [itemId], kind }).catch(() => {});
        for (const b of box.children) b.setAttribute("aria-pressed", String(b === ev.currentTarget));
      },
    }));
  }
  return box;
}

function renderWidget(node, itemId) {
  if (!node || typeof node !== "object") return null;
  const kids = () => (node.children || []).map((c) => renderWidget(c, itemId)).filter(Boolean);
  switch (node.type) {
    case "ListView": {
      const wrap = el("div", { className: "widget-listview" });
      if (node.status && node.status.text) wrap.append(el("div", { className: "widget-status", textContent: node.status.text }));
      wrap.append(el("ul", { className: "widget-list" }, ...kids()));
      return wrap;
    }
    case "ListViewItem":
      return el("li", { className: "widget-row" }, ...kids());
    case "Checkbox": {
      const input = el("input", { type: "checkbox", checked: !!node.defaultChecked, disabled: !!node.disabled, name: node.name || "" });
      if (node.onChangeAction) {
        input.dataset.testid = `widget-${node.name}`;
        input.addEventListener("change", () => {
          const action = node.onChangeAction;
          const payload = { ...(action.payload || {}), completed: input.checked };
          customAction(itemId, { type: action.type, payload });
        });
      }
      return el("label", {}, input, el("span", { textContent: node.label || "" }));
    }
    case "Text": case "Markdown": return el("span", { textContent: node.value || "" });
    case "Title": return el("strong", { textContent: node.value || "" });
    case "Caption": return el("small", { className: "muted", textContent: node.value || "" });
    case "Badge": return el("span", { className: "badge", textContent: node.label || "" });
    case "Divider": return el("hr");
    case "Button": {
      const b = el("button", { type: "button", className: "small", textContent: node.label || "OK" });
      if (node.onClickAction) b.addEventListener("click", () => customAction(itemId, node.onClickAction));
      return b;
    }
    default:
      return el("div", { className: `widget-${String(node.type).toLowerCase()}` }, ...kids());
  }
}

function renderItem(item) {
  let li = state.items.get(item.id);
  if (item.type === "user_message") {
    const text = item.content.map((c) => c.text || "").join(" ");
    li = li || el("li", { className: "msg user" });
    li.textContent = text;
    li.dataset.testid = "user-message";
    state.retryItem = item.id;
  } else if (item.type === "assistant_message") {
    const text = item.content.map((c) => c.text || "").join("");
    li = li || el("li", { className: "msg assistant" });
    li.replaceChildren(el("span", { className: "text", textContent: text }), feedbackButtons(item.id));
    li.dataset.testid = "assistant-message";
  } else if (item.type === "widget") {
    li = li || el("li", { className: "msg widget" });
    li.replaceChildren(renderWidget(item.widget, item.id) || "");
    li.dataset.testid = "widget";
  } else {
    return;
  }
  li.dataset.id = item.id;
  if (!state.items.has(item.id)) {
    $("messages").querySelector(".empty-chat")?.remove();
    $("messages").append(li);
    state.items.set(item.id, li);
  }
}

function handleEvent(ev, pending) {
  switch (ev.type) {
    case "thread.created":
      state.threadId = ev.thread.id;
      state.threadTitle = ev.thread.title || null;
      $("thread-list").prepend(threadButton(ev.thread));
      markCurrentThread();
      break;
    case "thread.updated":
      state.threadTitle = ev.thread.title || null;
      markCurrentThread();
      for (const li of $("thread-list").children) {
        if (li.dataset.thread === ev.thread.id) li.firstChild.textContent = ev.thread.title || "New conversation";
      }
      break;
    case "thread.item.added":
      if (ev.item.type === "assistant_message") {
        const li = el("li", { className: "msg assistant streaming", "aria-busy": "true" }, el("span", { className: "text" }));
        li.dataset.id = ev.item.id;
        li.dataset.testid = "assistant-message";
        $("messages").append(li);
        state.items.set(ev.item.id, li);
        $("progress").hidden = true;
      } else renderItem(ev.item);
      break;
    case "thread.item.updated": {
      const li = state.items.get(ev.item_id);
      if (!li) break;
      const u = ev.update;
      if (u.type === "assistant_message.content_part.text_delta") li.querySelector(".text").textContent += u.delta;
      else if (u.type === "assistant_message.content_part.done") li.querySelector(".text").textContent = u.content.text;
      else if (u.type === "widget.root.updated") li.replaceChildren(renderWidget(u.widget, ev.item_id) || "");
      break;
    }
    case "thread.item.done":
      if (ev.item.type === "user_message" && pending) {
        state.items.set(ev.item.id, pending);
        pending.classList.remove("pending");
      }
      renderItem(ev.item);
      state.items.get(ev.item.id)?.classList.remove("streaming");
      state.items.get(ev.item.id)?.removeAttribute("aria-busy");
      break;
    case "progress_update":
      $("progress").textContent = ev.text;
      $("progress").hidden = false;
      break;
    case "error":
      showError(ev.message || "Something went wrong.", ev.allow_retry);
      break;
    default:
      break;
  }
  scrollDown();
}

function showError(message, canRetry) {
  $("chat-error-text").textContent = message;
  $("retry").hidden = !(canRetry && state.retryItem && state.threadId);
  $("chat-error").hidden = false;
}

function hideError() {
  $("chat-error").hidden = true;
}

async function runStream(type, params, pending) {
  state.streaming = true;
  $("send").disabled = true;
  hideError();
  $("progress").textContent = "Thinking…";
  $("progress").hidden = false;
  try {
    await chatkitStream(type, params, (ev) => handleEvent(ev, pending));
    return true;
  } catch (e) {
    showError(e.message, false);
    return false;
  } finally {
    state.streaming = false;
    $("send").disabled = false;
    $("progress").hidden = true;
    loadTasks().catch(() => {});
  }
}

async function send(event) {
  event.preventDefault();
  const box = $("message");
  const text = box.value.trim();
  if (!text || state.streaming) return;
  box.value = "";
  $("messages").querySelector(".empty-chat")?.remove();
  const pending = el("li", { className: "msg user pending", textContent: text });
  $("messages").append(pending);
  scrollDown();
  const input = { content: [{ type: "input_text", text }], attachments: [], quoted_text: null, inference_options: {} };
  const ok = state.threadId
    ? await runStream("threads.add_user_message", { thread_id: state.threadId, input }, pending)
    : await runStream("threads.create", { input }, pending);
  if (!ok && pending.classList.contains("pending")) {
    pending.remove(); // the server never stored it: give the text back
    box.value = text;
  }
  box.focus();
}

async function retry() {
  if (!state.retryItem || !state.threadId || state.streaming) return;
  // drop everything after the retried message; the server regenerates the reply
  let after = false;
  for (const [id, li] of [...state.items]) {
    if (after) {
      li.remove();
      state.items.delete(id);
    }
    if (id === state.retryItem) after = true;
  }
  await runStream("threads.retry_after_item", { thread_id: state.threadId, item_id: state.retryItem });
}

async function customAction(itemId, action) {
  if (!state.threadId) return;
  await runStream("threads.custom_action", { thread_id: state.threadId, item_id: itemId, action });
}

// ---------------------------------------------------------------------------------------------
// tasks

async function loadTasks() {
  if (!state.user) return;
  const { data } = await request(`/api/${encodeURIComponent(state.user.id)}/tasks?status=${state.filter}`);
  const list = $("task-list");
  list.replaceChildren(...data.map((t) => {
    const box = el("input", { type: "checkbox", checked: t.completed, "aria-label": `Completed: ${t.title}` });
    box.dataset.testid = `task-${t.id}`;
    box.addEventListener("change", () => toggleTask(t.id));
    const title = el("span", { className: t.completed ? "done" : "", textContent: t.title });
    title.dataset.testid = "task-title";
    return el("li", {}, el("label", {}, box, el("span", { className: "task-id", textContent: `${t.id}.` }), title));
  }));
  $("tasks-empty").hidden = data.length > 0;
}

async function toggleTask(id) {
  try {
    await request(`/api/${encodeURIComponent(state.user.id)}/tasks/${id}/complete`, { method: "PATCH" });
  } catch (e) {
    showError(e.message, false);
  }
  await loadTasks();
}

async function quickAdd(event) {
  event.preventDefault();
  const input = $("task-title");
  const title = input.value.trim();
  if (!title) return;
  try {
    await request(`/api/${encodeURIComponent(state.user.id)}/tasks`, { method: "POST", body: { title } });
    input.value = "";
  } catch (e) {
    showError(e.body && e.body.fields ? Object.values(e.body.fields).join(" ") : e.message, false);
  }
  await loadTasks();
}

function setFilter(filter) {
  state.filter = filter;
  for (const b of document.querySelectorAll(".filters button")) b.setAttribute("aria-pressed", String(b.dataset.filter === filter));
  loadTasks().catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// OpenAI's hosted ChatKit component (when CHATKIT_DOMAIN_KEY is configured)

function mountHostedChatKit(domainKey) {
  for (const id of ["messages", "composer", "progress", "chat-error"]) $(id).hidden = true;
  document.querySelector(".chat-head").hidden = true;
  $("chatkit-host").hidden = false;
  const script = document.createElement("script");
  script.src = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
  script.async = true;
  script.addEventListener("load", async () => {
    await customElements.whenDefined("openai-chatkit");
    const kit = document.createElement("openai-chatkit");
    kit.setOptions({
      api: {
        url: `${location.origin}/chatkit`,
        domainKey,
        fetch: async (input, init = {}) => {
          const headers = new Headers(init.headers || {});
          headers.set("authorization", `Bearer ${await token()}`);
          return fetch(input, { ...init, headers });
        },
      },
      theme: window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
      startScreen: { greeting: "What would you like to get done?" },
      composer: { placeholder: "Add a task to buy groceries…" },
    });
    kit.addEventListener("chatkit.response.end", () => loadTasks().catch(() => {}));
    $("chatkit-host").append(kit);
  });
  document.head.append(script);
}

// ---------------------------------------------------------------------------------------------
// startup

async function showApp() {
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  $("account").hidden = false;
  $("who").textContent = state.user ? state.user.name || state.user.email : "";
  if (state.config.chatkit_domain_key) mountHostedChatKit(state.config.chatkit_domain_key);
  else {
    newThread();
    await loadThreads().catch((e) => showError(e.message, false));
  }
  await loadTasks().catch(() => {});
}

async function start() {
  $("tab-sign-in").addEventListener("click", () => setAuthMode(false));
  $("tab-sign-up").addEventListener("click", () => setAuthMode(true));
  $("auth-form").addEventListener("submit", submitAuth);
  $("sign-out").addEventListener("click", signOut);
  $("composer").addEventListener("submit", send);
  $("message").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("new-thread").addEventListener("click", newThread);
  $("more-threads").addEventListener("click", () => loadThreads(false));
  $("rename-thread").addEventListener("click", renameThread);
  $("delete-thread").addEventListener("click", deleteThread);
  $("retry").addEventListener("click", retry);
  $("task-form").addEventListener("submit", quickAdd);
  for (const b of document.querySelectorAll(".filters button")) b.addEventListener("click", () => setFilter(b.dataset.filter));
  setInterval(() => {
    if (state.user && !document.hidden && !state.streaming) loadTasks().catch(() => {});
  }, 15000);

  state.config = await fetch("/api/config").then((r) => r.json()).catch(() => state.config);
  if (state.session) {
    try {
      const res = await fetch("/api/auth/get-session", { headers: { authorization: `Bearer ${state.session}` } });
      const data = res.ok ? await res.json() : null;
      if (data && data.user) {
        state.user = data.user;
        await showApp();
        return;
      }
    } catch {
      // fall through to the sign-in form
    }
    signedOut();
    return;
  }
  setAuthMode(false);
  $("auth-view").hidden = false;
}

start();
