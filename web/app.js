// todobot web UI: sign in, chat over the ChatKit protocol (/chatkit), a live task panel.
// Buildless ES modules, no third-party code; text is rendered with textContent (never innerHTML)
// and every string comes from the catalogue in i18n/ through t().

import { $, el, mountIcons } from "./js/dom.js";
import { currentLocale, hasCatalogue, loadLocale, pickLocale, t, translateDom } from "./js/i18n.js";
import {
  ApiError, accessToken, connection, describeError, forgetSession, onSignedOut, probe, publicRequest, request, setAccessToken,
} from "./js/api.js";
import { on, state, userPath } from "./js/state.js";
import { initChat, reloadAfterReconnect, resetChat, showBanner, showNewThread } from "./js/chat.js";
import { announce, initThreads, loadThreads } from "./js/threads.js";
import { initTasks, loadTasks, resetTasks } from "./js/tasks.js";
import { initVoice, stopVoice } from "./js/voice.js";
import { initReminders, syncSettings } from "./js/reminders.js";

let config = { chatkit_domain_key: null, locales: ["en"] };

function show(view) {
  for (const v of ["boot-view", "auth-view", "app-view"]) $(v).hidden = v !== view;
  $("account").hidden = view !== "app-view";
  for (const id of ["open-threads", "open-tasks"]) $(id).classList.toggle("off", view !== "app-view");
  if (view !== "app-view") setDrawer(null);
}

// ---------------------------------------------------------------------------------------------
// start-up: catalogue, configuration, session (a failure here never signs anyone out)

let bootFailed = false;

function showBootError(e) {
  bootFailed = true;
  show("boot-view");
  $("boot-view").setAttribute("aria-busy", "false");
  $("boot-loading").hidden = true;
  $("boot-error").hidden = false;
  $("boot-error-text").textContent = e instanceof ApiError && hasCatalogue() ? describeError(e) : t("error.network");
  $("boot-retry").textContent = t("action.retry");
}

async function boot() {
  show("boot-view");
  $("boot-view").setAttribute("aria-busy", "true");
  $("boot-loading").hidden = false;
  $("boot-error").hidden = true;
  try {
    const { data } = await publicRequest("/api/config");
    config = data || config;
    if (!hasCatalogue()) {
      const chosen = stored(localStorage, LOCALE_KEY);
      const wanted = pickLocale(config.locales, chosen ? [chosen] : undefined);
      await loadLocale(wanted).catch((e) => (wanted === "en" ? Promise.reject(e) : loadLocale("en")));
      translateDom();
      document.title = t("app.name");
      $("header-links").hidden = false; // named only once the catalogue is in
      initLanguagePicker();
      initVoice(config);
    }
    const { data: current, res } = await publicRequest("/api/auth/get-session");
    bootFailed = false;
    if (current && current.user) {
      state.user = current.user;
      setAccessToken(res.headers.get("set-auth-jwt"));
      enterApp();
    } else {
      setAuthMode(false);
      show("auth-view");
    }
  } catch (e) {
    showBootError(e);
  }
}

// ---------------------------------------------------------------------------------------------
// language: the browser's preference until the user picks one (kept in this browser)

const LOCALE_KEY = "todobot.locale";
const DRAFT_KEY = "todobot.draft";

function stored(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null; // storage disabled
  }
}

function store(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

/** Each language is listed by its own name (English, اردو), whatever the current language. */
function initLanguagePicker() {
  const select = $("language");
  const endonym = (code) => {
    try {
      return new Intl.DisplayNames([code], { type: "language" }).of(code) || code;
    } catch {
      return code;
    }
  };
  select.replaceChildren(...config.locales.map((code) => el("option", { value: code, lang: code, textContent: endonym(code) })));
  select.value = currentLocale();
  select.parentElement.hidden = config.locales.length < 2;
  select.addEventListener("change", () => switchLocale(select.value, true));
}

/** Rebuilds the page in `locale`, kept in this browser and (when `save`) for the account. */
async function switchLocale(locale, save) {
  store(localStorage, LOCALE_KEY, locale);
  if (save && state.user) {
    await request(userPath("/settings"), { method: "PUT", body: { locale } }).catch(() => {});
  }
  // what the user was writing survives the reload
  store(sessionStorage, DRAFT_KEY, $("message").value || null);
  location.reload();
}

function restoreDraft() {
  const draft = stored(sessionStorage, DRAFT_KEY);
  if (!draft) return;
  store(sessionStorage, DRAFT_KEY, null);
  const box = $("message");
  box.value = draft;
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

// ---------------------------------------------------------------------------------------------
// sign in / sign up / sign out

let signUpMode = false;

function setAuthMode(signUp) {
  signUpMode = signUp;
  $("tab-sign-in").setAttribute("aria-selected", String(!signUp));
  $("tab-sign-up").setAttribute("aria-selected", String(signUp));
  $("name-field").hidden = !signUp;
  $("auth-submit").textContent = t(signUp ? "auth.createAccount" : "auth.signIn");
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
  if (!body.email || !body.password) {
    err.textContent = t("auth.missingFields");
    err.hidden = false;
    return;
  }
  $("auth-submit").disabled = true;
  try {
    const path = signUpMode ? "/api/auth/sign-up/email" : "/api/auth/sign-in/email";
    // the response sets the HttpOnly session cookie; only the access token is kept (in memory)
    const { data, res } = await publicRequest(path, { method: "POST", body });
    setAccessToken(res.headers.get("set-auth-jwt"));
    state.user = data.user;
    form.password.value = "";
    enterApp();
  } catch (e) {
    err.textContent = describeError(e);
    err.hidden = false;
  } finally {
    $("auth-submit").disabled = false;
  }
}

function signedOut(message) {
  stopVoice();
  forgetSession();
  document.title = t("app.name");
  state.user = null;
  resetTasks();
  resetChat();
  $("thread-list").replaceChildren();
  setAuthMode(false);
  show("auth-view");
  if (message) {
    $("auth-error").textContent = message;
    $("auth-error").hidden = false;
  }
}

async function signOut() {
  const button = $("sign-out");
  button.disabled = true;
  try {
    // the cookie goes along (and is cleared by the answer); it is the only way to end the session
    await publicRequest("/api/auth/sign-out", { method: "POST" });
    signedOut();
  } catch (e) {
    showBanner(t("auth.signOutFailed", { reason: describeError(e) }), signOut);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// the app

function enterApp() {
  show("app-view");
  $("who").textContent = state.user ? state.user.name || state.user.email : "";
  resetTasks();
  if (config.chatkit_domain_key) mountHostedChatKit(config.chatkit_domain_key);
  else {
    showNewThread();
    $("thread-list").replaceChildren();
    loadThreads();
  }
  loadTasks();
  restoreDraft();
  syncSettings({
    localChoice: stored(localStorage, LOCALE_KEY),
    locales: config.locales,
    // the account's language, chosen on another device: adopt it here (the draft survives)
    adopt: (locale) => switchLocale(locale, false),
  });
}

// drawers (conversations and tasks become drawers on narrow screens) -------------------------

const drawers = {
  threads: { panel: "threads-panel", toggle: "open-threads", query: window.matchMedia("(max-width: 719px)") },
  tasks: { panel: "tasks-panel", toggle: "open-tasks", query: window.matchMedia("(max-width: 1099px)") },
};
let openDrawer = null;

function setDrawer(name) {
  const was = openDrawer;
  openDrawer = name;
  $("app-view").classList.toggle("threads-open", name === "threads");
  $("app-view").classList.toggle("tasks-open", name === "tasks");
  $("scrim").hidden = !name;
  $("chat").inert = !!name;
  for (const [key, d] of Object.entries(drawers)) {
    $(d.toggle).setAttribute("aria-expanded", String(name === key));
    // a closed drawer, and everything beside an open one, is out of reach
    $(d.panel).inert = (d.query.matches || !!name) && name !== key;
  }
  if (name) {
    const panel = $(drawers[name].panel);
    const first = panel.querySelector("[aria-current=true]") || panel.querySelector("input, button:not([disabled])");
    first?.focus();
  } else if (was) {
    $(drawers[was].toggle).focus();
  }
}

function initDrawers() {
  for (const [key, d] of Object.entries(drawers)) {
    $(d.toggle).addEventListener("click", () => setDrawer(openDrawer === key ? null : key));
    d.query.addEventListener("change", () => setDrawer(openDrawer && drawers[openDrawer].query.matches ? openDrawer : null));
  }
  for (const b of document.querySelectorAll("[data-close-drawer]")) b.addEventListener("click", () => setDrawer(null));
  $("scrim").addEventListener("click", () => setDrawer(null));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && openDrawer) setDrawer(null);
  });
  on("navigate", () => {
    if (openDrawer === "threads") setDrawer(null);
  });
  setDrawer(null);
}

// connection banner -----------------------------------------------------------------------------

let countdown = null;
let nextProbeAt = 0;

function showConnection(kind) {
  const banner = $("connection");
  // the start-up error page already says it all (and has its own Retry)
  banner.hidden = !$("boot-view").hidden;
  banner.className = `connection ${kind}`;
  clearInterval(countdown);
  if (kind === "up") {
    $("connection-text").textContent = t("connection.back");
    $("connection-retry").hidden = true;
    setTimeout(() => {
      if (connection.online) banner.hidden = true;
    }, 2500);
    return;
  }
  $("connection-retry").hidden = false;
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((nextProbeAt - Date.now()) / 1000));
    const reason = t(connection.reason === "unavailable" ? "error.unavailable" : "error.network");
    $("connection-text").textContent = seconds > 0
      ? t("connection.downRetrying", { reason, seconds })
      : t("connection.checking", { reason });
  };
  tick();
  countdown = setInterval(tick, 1000);
}

function initConnection() {
  connection.addEventListener("down", () => showConnection("down"));
  connection.addEventListener("retrying", (e) => {
    nextProbeAt = e.detail.at;
    if (!connection.online) showConnection("down");
  });
  connection.addEventListener("up", () => {
    showConnection("up");
    announce(t("connection.back"));
    if (bootFailed) {
      boot();
      return;
    }
    if (!state.user) return;
    accessToken().catch(() => {});
    loadThreads();
    loadTasks();
    reloadAfterReconnect();
  });
  $("connection-retry").addEventListener("click", () => {
    nextProbeAt = 0;
    showConnection("down");
    probe();
  });
}

// OpenAI's hosted ChatKit component (when CHATKIT_DOMAIN_KEY is configured) -------------------

function mountHostedChatKit(domainKey) {
  for (const id of ["messages-wrap", "composer", "chat-error", "chat-head"]) $(id).hidden = true;
  $("chatkit-host").hidden = false;
  if ($("chatkit-host").childElementCount) return;
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
          headers.set("authorization", `Bearer ${await accessToken()}`);
          return fetch(input, { ...init, headers });
        },
      },
      theme: window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
      startScreen: { greeting: t("chat.welcome.title") },
      composer: { placeholder: t("chat.placeholder") },
    });
    kit.addEventListener("chatkit.response.end", () => loadTasks());
    $("chatkit-host").append(kit);
  });
  document.head.append(script);
}

// ---------------------------------------------------------------------------------------------

function start() {
  try {
    localStorage.removeItem("todobot.session"); // a session token kept there by older versions
  } catch {
    // storage unavailable: nothing to clean
  }
  mountIcons();
  onSignedOut(() => signedOut(t("auth.sessionEnded")));
  $("tab-sign-in").addEventListener("click", () => setAuthMode(false));
  $("tab-sign-up").addEventListener("click", () => setAuthMode(true));
  $("auth-form").addEventListener("submit", submitAuth);
  $("sign-out").addEventListener("click", signOut);
  $("boot-retry").addEventListener("click", boot);
  initDrawers();
  initConnection();
  initChat();
  initThreads();
  initTasks();
  initReminders();
  boot();
}

start();
