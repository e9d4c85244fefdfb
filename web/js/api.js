// HTTP: the session lives in todobot's HttpOnly cookie (set at sign-in, never readable here); the
// short-lived access JWT is kept in memory only, refreshed from /api/auth/token (with the cookie)
// before it expires and once on a 401. Nothing is stored in localStorage or sessionStorage.
// Only a 401 from the token endpoint ends the session in the UI: network failures and 5xx keep it.

import { has, t } from "./i18n.js";

const REQUEST_TIMEOUT_MS = 20000;
const REFRESH_MARGIN_S = 60;

export class ApiError extends Error {
  /** kind: "network" (unreachable), "timeout", "http" (an error status), "auth" (signed out). */
  constructor(kind, status = 0, body = null) {
    super((body && body.message) || `${kind} ${status}`);
    this.kind = kind;
    this.status = status;
    this.body = body;
    this.code = body && body.code;
  }
}

// ---------------------------------------------------------------------------------------------
// connection: detects an outage, probes with backoff, announces recovery

export const connection = new EventTarget();
connection.online = true;
/** Why it is down: "network" (no answer at all) or "unavailable" (todobot answers 502/503/504). */
connection.reason = "network";
let probeAttempt = 0;
let probeTimer = null;

function emit(type, detail) {
  connection.dispatchEvent(new CustomEvent(type, { detail }));
}

/** Called when a request could not reach todobot (or its backend is down). */
export function reportDown(reason = "network") {
  connection.reason = reason;
  if (connection.online) {
    connection.online = false;
    probeAttempt = 0;
    emit("down");
  }
  if (!probeTimer) scheduleProbe();
}

function reportUp() {
  clearTimeout(probeTimer);
  probeTimer = null;
  if (!connection.online) {
    connection.online = true;
    emit("up");
  }
}

function scheduleProbe() {
  const delay = Math.min(15000, 1000 * 2 ** probeAttempt);
  probeAttempt += 1;
  emit("retrying", { at: Date.now() + delay });
  probeTimer = setTimeout(probe, delay);
}

/** Checks now whether todobot answers again; true when it does. */
export async function probe() {
  clearTimeout(probeTimer);
  probeTimer = null;
  try {
    const res = await fetch("/readyz", { cache: "no-store", signal: AbortSignal.timeout(5000) });
    if (res.ok) {
      reportUp();
      return true;
    }
  } catch {
    // still down
  }
  if (!connection.online) scheduleProbe();
  return false;
}

window.addEventListener("online", () => {
  if (!connection.online) probe();
});
window.addEventListener("offline", () => reportDown("network"));

/** 502/503/504 without one of todobot's own upstream codes: the server (or its database) is down. */
const isOutage = (status, body) =>
  [502, 503, 504].includes(status) && !(body && /^(LLM_|TOOLS_)/.test(body.code || ""));

async function send(path, init, timeoutMs) {
  let res;
  try {
    res = await fetch(path, { cache: "no-store", ...init, signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined });
  } catch (e) {
    reportDown();
    throw new ApiError(e && e.name === "TimeoutError" ? "timeout" : "network");
  }
  if (res.status < 500) reportUp();
  return res;
}

async function failure(res) {
  const body = await res.json().catch(() => null);
  if (isOutage(res.status, body)) reportDown("unavailable");
  return new ApiError("http", res.status, body);
}

// ---------------------------------------------------------------------------------------------
// session: access token in memory

const session = { jwt: null, exp: 0, refreshing: null, timer: null, onSignedOut: () => {} };

/** Registers what to do when the server says the session is over (a 401). */
export function onSignedOut(fn) {
  session.onSignedOut = fn;
}

function expiryOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).exp || 0;
  } catch {
    return 0;
  }
}

/** Keeps an access token (from sign-in or get-session) and schedules its refresh. */
export function setAccessToken(jwt) {
  clearTimeout(session.timer);
  session.jwt = jwt || null;
  session.exp = jwt ? expiryOf(jwt) : 0;
  if (session.jwt && session.exp) {
    const inMs = (session.exp - REFRESH_MARGIN_S) * 1000 - Date.now();
    session.timer = setTimeout(() => accessToken(true).catch(() => {}), Math.max(5000, inMs));
  }
}

export function forgetSession() {
  setAccessToken(null);
}

function endSession() {
  forgetSession();
  session.onSignedOut();
}

/** A valid access token: the one in memory, or a fresh one from the session cookie. */
export function accessToken(force = false) {
  if (!force && session.jwt && Date.now() / 1000 < session.exp - 30) return Promise.resolve(session.jwt);
  if (session.refreshing) return session.refreshing;
  session.refreshing = (async () => {
    const res = await send("/api/auth/token", { credentials: "same-origin" }, REQUEST_TIMEOUT_MS);
    if (res.status === 401) {
      endSession();
      throw new ApiError("auth", 401);
    }
    if (!res.ok) throw await failure(res);
    setAccessToken((await res.json()).token);
    return session.jwt;
  })().finally(() => {
    session.refreshing = null;
  });
  return session.refreshing;
}

/**
 * JSON request. `auth` adds the access token (refreshed once on a 401; a second 401 ends the
 * session). Resolves to {data, res}; `raw` resolves to the Response (for streams).
 */
export async function request(path, { method = "GET", body, blob, auth = true, raw = false, timeout = REQUEST_TIMEOUT_MS } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const headers = { accept: raw ? "text/event-stream" : "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (blob) headers["content-type"] = blob.type || "application/octet-stream";
    if (auth) headers.authorization = `Bearer ${await accessToken(attempt > 0)}`;
    const payload = blob || (body === undefined ? undefined : JSON.stringify(body));
    const init = { method, headers, credentials: "same-origin", body: payload };
    const res = await send(path, init, raw ? 0 : timeout);
    if (res.status === 401 && auth) {
      if (attempt === 0) continue;
      endSession();
      throw new ApiError("auth", 401);
    }
    if (!res.ok) throw await failure(res);
    if (raw) return res;
    const text = await res.text();
    return { data: text ? JSON.parse(text) : null, res };
  }
}

export const chatkit = async (type, params) =>
  (await request("/chatkit", { method: "POST", body: { type, params, metadata: {} } })).data;

/** A streaming ChatKit request: calls onEvent for every `data:` frame until the stream ends. */
export async function chatkitStream(type, params, onEvent) {
  const res = await request("/chatkit", { method: "POST", body: { type, params, metadata: {} }, raw: true });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      reportDown();
      throw new ApiError("network");
    }
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of frame.split("\n")) {
        if (line.startsWith("data:")) onEvent(JSON.parse(line.slice(5).trim()));
      }
    }
  }
}

/** Requests without the access token (auth endpoints); the session cookie goes along. */
export const publicRequest = (path, opts = {}) => request(path, { ...opts, auth: false });

/** A message for people, never "Failed to fetch". */
export function describeError(e) {
  if (!(e instanceof ApiError)) return t("error.unexpected");
  if (e.kind === "network") return t("error.network");
  if (e.kind === "timeout") return t("error.timeout");
  if (e.kind === "auth") return t("auth.sessionEnded");
  if (e.code && has(`error.code.${e.code}`)) return t(`error.code.${e.code}`);
  if (e.status === 429) return t("error.rateLimited");
  if (isOutage(e.status, e.body)) return t("error.unavailable");
  if (e.status >= 500) return e.body && /^(LLM_|TOOLS_)/.test(e.code || "") ? e.body.message : t("error.server");
  const fields = e.body && e.body.fields ? Object.values(e.body.fields).join(" ") : "";
  return fields || (e.body && e.body.message) || t("error.unexpected");
}

/** Whether the failure is about reaching todobot (so it will be retried on reconnect). */
export const isConnectivity = (e) =>
  e instanceof ApiError && (e.kind === "network" || e.kind === "timeout" || isOutage(e.status, e.body));
