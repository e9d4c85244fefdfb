// Settings: personal access tokens for MCP clients without OAuth (created, shown once, revoked)
// and the OAuth clients connected to the account (revoked). Uses the web session cookie.
import { formatFull, loadLocale, pickLocale, t, translateDom } from "./js/i18n.js";

const $ = (id) => document.getElementById(id);

function showError(key) {
  $("settings-error").hidden = !key;
  if (key) $("settings-error").textContent = t(key);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) {
    $("settings-body").hidden = true;
    $("settings-signed-out").hidden = false;
    throw new Error("signed out");
  }
  if (!res.ok) throw new Error(String(res.status));
  return res.status === 204 ? null : res.json();
}

/** A list row: a title, a detail line and a Revoke button. */
function row(title, detail, onRevoke, testid) {
  const li = document.createElement("li");
  li.dataset.testid = testid;
  const text = document.createElement("div");
  text.className = "grow";
  const name = document.createElement("strong");
  name.textContent = title;
  const info = document.createElement("div");
  info.className = "muted";
  info.textContent = detail;
  text.append(name, info);
  const revoke = document.createElement("button");
  revoke.type = "button";
  revoke.className = "small danger";
  revoke.dataset.testid = "revoke";
  revoke.textContent = t("settings.revoke");
  revoke.addEventListener("click", async () => {
    revoke.disabled = true;
    try {
      await onRevoke();
      await refresh();
    } catch {
      showError("settings.failed");
      revoke.disabled = false;
    }
  });
  li.append(text, revoke);
  return li;
}

async function refresh() {
  const [tokens, connections] = await Promise.all([
    api("GET", "/api/account/tokens"),
    api("GET", "/api/account/connections"),
  ]);
  $("token-list").replaceChildren(...tokens.map((tok) => row(
    tok.name,
    t("settings.tokenDetail", { hint: tok.hint, expires: formatFull(tok.expires_at) }),
    () => api("DELETE", `/api/account/tokens/${encodeURIComponent(tok.id)}`),
    "token",
  )));
  $("no-tokens").hidden = tokens.length > 0;
  $("connection-list").replaceChildren(...connections.map((c) => row(
    c.client_name,
    t("settings.connectedOn", { date: formatFull(c.created_at) }),
    () => api("DELETE", `/api/account/connections/${encodeURIComponent(c.id)}`),
    "connection",
  )));
  $("no-connections").hidden = connections.length > 0;
  $("settings-body").hidden = false;
}

async function createToken(event) {
  event.preventDefault();
  showError("");
  try {
    const created = await api("POST", "/api/account/tokens", {
      name: $("token-name").value,
      expires_in_days: Number($("token-days").value),
    });
    $("token-secret").textContent = created.token;
    $("token-created").hidden = false;
    $("token-name").value = "";
    await refresh();
  } catch {
    showError("settings.failed");
  }
}

async function start() {
  try {
    const config = await fetch("/api/config").then((r) => r.json());
    await loadLocale(pickLocale(config.locales));
  } catch {
    await loadLocale("en").catch(() => {});
  }
  translateDom();
  document.title = t("app.documentTitle", { title: t("settings.title") });
  $("token-form").addEventListener("submit", createToken);
  await refresh().catch((e) => {
    if (e.message !== "signed out") showError("error.network");
  });
}

start();
