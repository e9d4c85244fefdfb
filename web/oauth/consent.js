// The OAuth consent page: /oauth/authorize sends the browser here with the client's request in the
// query. Signs the user in if needed (the web session cookie), shows who asks for what, and sends
// the browser back to the client with a code (Allow) or access_denied (Deny).
import { describeError, publicRequest } from "../js/api.js";
import { loadLocale, pickLocale, t, translateDom } from "../js/i18n.js";

const $ = (id) => document.getElementById(id);
const params = Object.fromEntries(new URLSearchParams(location.search));
const query = location.search;

function showError(key) {
  $("oauth-error").textContent = t(key);
  $("oauth-error").hidden = false;
}

async function describe() {
  const res = await fetch(`/api/oauth/authorize${query}`, { headers: { accept: "application/json" } });
  if (res.status === 401) {
    $("oauth-consent").hidden = true;
    $("oauth-signin").hidden = false;
    return;
  }
  if (!res.ok) {
    showError("oauth.badRequest");
    return;
  }
  const about = await res.json();
  // a client identified by its metadata document URL: its site's host is shown next to the name
  // it gives itself
  const client = about.client_host ? `${about.client_name} (${about.client_host})` : about.client_name;
  $("oauth-ask").textContent = t("oauth.ask", { client });
  $("oauth-who").textContent = t("oauth.signedInAs", { email: about.user.email });
  $("oauth-redirect").textContent = t("oauth.redirectNote", { host: about.redirect_host });
  $("oauth-signin").hidden = true;
  $("oauth-consent").hidden = false;
}

async function decide(approve) {
  $("oauth-allow").disabled = true;
  $("oauth-deny").disabled = true;
  try {
    const res = await fetch("/api/oauth/authorize", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ params, approve }),
    });
    if (!res.ok) throw new Error(String(res.status));
    const { redirect_to } = await res.json();
    location.assign(redirect_to);
  } catch {
    showError("oauth.failed");
    $("oauth-allow").disabled = false;
    $("oauth-deny").disabled = false;
  }
}

// Someone connecting an app before having an account creates it here, without leaving the page.
let signUpMode = false;

function setMode(signUp) {
  signUpMode = signUp;
  $("oauth-name-field").hidden = !signUp;
  $("oauth-signin-intro").textContent = t(signUp ? "oauth.signUpFirst" : "oauth.signInFirst");
  $("oauth-submit").textContent = t(signUp ? "auth.createAccount" : "auth.signIn");
  $("oauth-mode").textContent = t(signUp ? "oauth.haveAccount" : "oauth.newAccount");
  $("oauth-password").autocomplete = signUp ? "new-password" : "current-password";
  $("oauth-error").hidden = true;
}

async function signIn(event) {
  event.preventDefault();
  $("oauth-error").hidden = true;
  const body = { email: $("oauth-email").value.trim(), password: $("oauth-password").value };
  if (!signUpMode) {
    const res = await fetch("/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (!res || !res.ok) {
      showError("oauth.signInFailed");
      return;
    }
    await describe();
    return;
  }
  body.name = $("oauth-name").value.trim() || body.email.split("@")[0];
  $("oauth-submit").disabled = true;
  try {
    // the answer sets the session cookie the consent API reads
    await publicRequest("/api/auth/sign-up/email", { method: "POST", body });
    $("oauth-password").value = "";
    await describe();
  } catch (e) {
    $("oauth-error").textContent = describeError(e);
    $("oauth-error").hidden = false;
  } finally {
    $("oauth-submit").disabled = false;
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
  document.title = t("app.documentTitle", { title: t("oauth.title") });
  $("oauth-signin").addEventListener("submit", signIn);
  $("oauth-mode").addEventListener("click", () => setMode(!signUpMode));
  $("oauth-allow").addEventListener("click", () => decide(true));
  $("oauth-deny").addEventListener("click", () => decide(false));
  await describe().catch(() => showError("error.network"));
}

start();
