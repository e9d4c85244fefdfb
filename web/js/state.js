// State shared by the UI modules (one signed-in user, one open conversation).

export const state = {
  user: null,
  /** The open conversation (null: a new one, created by the first message). */
  threadId: null,
  threadTitle: null,
  /** A turn is streaming (one at a time). */
  streaming: false,
  /** Bumped whenever another conversation is shown: late results for the old one are dropped. */
  view: 0,
};

export const userPath = (suffix = "") => `/api/${encodeURIComponent(state.user.id)}${suffix}`;

/** A tiny pub/sub: `on(name, fn)`, `emit(name, detail)`. */
const bus = new EventTarget();
export const on = (name, fn) => bus.addEventListener(name, (e) => fn(e.detail));
export const emit = (name, detail) => bus.dispatchEvent(new CustomEvent(name, { detail }));
