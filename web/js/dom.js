// Small DOM helpers. All text goes in through textContent (never innerHTML).

export const $ = (id) => document.getElementById(id);

/** Creates an element: props are properties (or attributes when not a property), `dataset`,
 *  `onX` listeners; children are nodes or strings. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k in node && !k.includes("-") && k !== "list") node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null && c !== false) node.append(c);
  return node;
}

// 24×24 stroke icons (drawn for todobot).
const ICONS = {
  menu: "M4 6h16M4 12h16M4 18h16",
  close: "M6 6l12 12M18 6L6 18",
  plus: "M12 5v14M5 12h14",
  pencil: "M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6",
  send: "M12 19V5M5 12l7-7 7 7",
  down: "M12 5v14M5 12l7 7 7-7",
  tasks: "M10 6h10M10 12h10M10 18h10M3.5 6l1.5 1.5L7.5 5M3.5 12l1.5 1.5 2.5-2.5M3.5 18l1.5 1.5 2.5-2.5",
  thumbUp: "M7 11v9H4v-9h3zm0 0l4-7.5c1.4 0 2.4 1.1 2.2 2.5L12.6 10H18a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 16.8 20H7",
  thumbDown: "M7 13V4H4v9h3zm0 0l4 7.5c1.4 0 2.4-1.1 2.2-2.5l-.6-4H18a2 2 0 0 0 2-2.3l-1.2-6A2 2 0 0 0 16.8 4H7",
  alert: "M12 3l9.5 17h-19L12 3zM12 10v4M12 17.5v.01",
  offline: "M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 4.2-2.4M12 8c2.9 0 5.5 1.1 7 2.9M2 8.8A15 15 0 0 1 7.6 6M12 20h.01",
  check: "M5 12.5l4.5 4.5L19 7.5",
  chat: "M4 5h16v11H9l-5 4V5z",
  logo: "M4 4h16v16H4zM8 12.5l3 3 5-6.5",
  mic: "M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zM5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8.5 21h7",
  speaker: "M4 9.5h3.5L12 5v14l-4.5-4.5H4v-5zM15.5 9a4 4 0 0 1 0 6M18 6.5a7.5 7.5 0 0 1 0 11",
};

/** An inline SVG icon (decorative: hidden from assistive technology). */
export function icon(name, className = "icon") {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", className);
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name] || "");
  svg.append(path);
  return svg;
}

/** Replaces every `<span data-icon="name">` placeholder under root with its SVG. */
export function mountIcons(root = document) {
  for (const slot of root.querySelectorAll("[data-icon]")) {
    slot.replaceChildren(icon(slot.dataset.icon));
    slot.removeAttribute("data-icon");
  }
}

export const prefersReducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;
