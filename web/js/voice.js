// Voice in and out.
// In: the browser's own speech recognition where it has one (interim text shown in the composer as
// the user speaks; they check or edit it and send); otherwise, when the server can transcribe
// (/api/config `transcription`), a recording (MediaRecorder, at most MAX_SECONDS) sent to
// POST /api/{user_id}/transcriptions and put into the composer. The microphone button is hidden when
// neither is available. Out: replies read aloud with speech synthesis, in the reply's own language.

import { $ } from "./dom.js";
import { currentLocale, t } from "./i18n.js";
import { ApiError, describeError, request } from "./api.js";
import { state } from "./state.js";

const MAX_SECONDS = 60;
const READ_ALOUD_KEY = "todobot.readAloud";
let Recognition = window.SpeechRecognition || window.webkitSpeechRecognition || null;

let serverTranscription = false;
let active = null; // { stop(): void } while listening or recording

/** BCP 47 tag for speech in the UI language. */
const speechLang = () => (currentLocale() === "ur" ? "ur-PK" : "en-US");

/** The language of a text by its script: Urdu script → ur-PK, else en-US. */
export const textLang = (text) => (/[\u0600-\u06FF]/.test(text) ? "ur-PK" : "en-US");

function status(message) {
  const box = $("voice-status");
  box.textContent = message || "";
  box.hidden = !message;
}

function setListening(on) {
  const mic = $("mic");
  mic.setAttribute("aria-pressed", String(on));
  mic.classList.toggle("live", on);
  const label = t(on ? "voice.stop" : "voice.start");
  mic.setAttribute("aria-label", label);
  mic.title = label;
}

/** Puts recognised text into the composer (after what was already typed) for the user to check. */
function fillComposer(base, text) {
  const box = $("message");
  box.value = [base, text].filter((s) => s && s.trim()).join(base && !/\s$/.test(base) ? " " : "");
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

function stopActive() {
  if (active) active.stop();
}

function listen() {
  const rec = new Recognition();
  rec.lang = speechLang();
  rec.interimResults = true;
  rec.continuous = false;
  const base = $("message").value;
  let finalText = "";
  let heard = false;
  let fallback = false;
  rec.onresult = (event) => {
    let interim = "";
    for (let i = event.resultIndex; i < event.results.length; i += 1) {
      const r = event.results[i];
      if (r.isFinal) finalText += r[0].transcript;
      else interim += r[0].transcript;
    }
    heard = true;
    fillComposer(base, (finalText + interim).trim());
  };
  rec.onerror = (event) => {
    // Browsers without a speech service of their own (e.g. Chromium builds) fail with "network":
    // record instead, for the server to transcribe, when it can.
    if ((event.error === "network" || event.error === "language-not-supported") && serverTranscription) {
      fallback = true;
      return;
    }
    if (event.error === "not-allowed" || event.error === "service-not-allowed") status(t("voice.denied"));
    else if (event.error === "no-speech") status(t("voice.noSpeech"));
    else if (event.error !== "aborted") status(t("voice.failed", { reason: event.error }));
  };
  rec.onend = () => {
    active = null;
    setListening(false);
    if (fallback) {
      Recognition = null; // this browser cannot recognise speech itself: record from now on
      record();
      return;
    }
    if (heard && $("voice-status").textContent === t("voice.listening")) status("");
    $("message").focus();
  };
  active = { stop: () => rec.stop() };
  setListening(true);
  status(t("voice.listening"));
  rec.start();
}

async function record() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    status(t("voice.denied"));
    return;
  }
  const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].find((m) => MediaRecorder.isTypeSupported(m));
  const rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  const chunks = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    rec.stop();
  }, MAX_SECONDS * 1000);
  rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  rec.onstop = async () => {
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    active = null;
    setListening(false);
    const blob = new Blob(chunks, { type: (rec.mimeType || "audio/webm").split(";")[0] });
    if (!blob.size) {
      status(t("voice.noSpeech"));
      return;
    }
    await transcribe(blob, timedOut);
  };
  active = { stop: () => rec.state !== "inactive" && rec.stop() };
  setListening(true);
  status(t("voice.recording"));
  rec.start();
}

async function transcribe(blob, timedOut) {
  status(t("voice.transcribing"));
  const mic = $("mic");
  mic.disabled = true;
  try {
    const lang = currentLocale().split("-")[0];
    const path = `/api/${encodeURIComponent(state.user.id)}/transcriptions?language=${encodeURIComponent(lang)}`;
    const { data } = await request(path, { method: "POST", blob, timeout: 60000 });
    const text = (data && data.text) || "";
    if (!text) {
      status(t("voice.noSpeech"));
      return;
    }
    fillComposer($("message").value, text);
    status(timedOut ? t("voice.tooLong", { seconds: MAX_SECONDS }) : "");
    $("message").focus();
  } catch (e) {
    if (!(e instanceof ApiError && e.kind === "auth")) status(t("voice.failed", { reason: describeError(e) }));
  } finally {
    mic.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// voice out

const readAloud = () => localStorage.getItem(READ_ALOUD_KEY) === "1";

/** Reads a finished reply aloud when the user asked for it, in the reply's own language. */
export function speakReply(text) {
  if (!readAloud() || !("speechSynthesis" in window) || !text.trim()) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = textLang(text);
  const voice = speechSynthesis.getVoices().find((v) => v.lang.replace("_", "-").startsWith(utterance.lang.split("-")[0]));
  if (voice) utterance.voice = voice;
  speechSynthesis.speak(utterance);
}

function initReadAloud() {
  const button = $("read-aloud");
  if (!("speechSynthesis" in window)) return;
  button.hidden = false;
  button.setAttribute("aria-pressed", String(readAloud()));
  button.addEventListener("click", () => {
    const on = !readAloud();
    localStorage.setItem(READ_ALOUD_KEY, on ? "1" : "0");
    button.setAttribute("aria-pressed", String(on));
    if (!on) speechSynthesis.cancel();
  });
}

/** Shows the microphone when the browser can recognise speech or the server can transcribe. */
export function initVoice(config) {
  serverTranscription = !!(config && config.transcription) && "MediaRecorder" in window && !!navigator.mediaDevices;
  const mic = $("mic");
  mic.hidden = !Recognition && !serverTranscription;
  mic.addEventListener("click", () => {
    status("");
    if (active) stopActive();
    else if (Recognition) listen();
    else record();
  });
  initReadAloud();
}

/** Stops listening (sign-out, leaving the page). */
export const stopVoice = stopActive;
