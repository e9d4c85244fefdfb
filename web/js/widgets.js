// ChatKit widgets as todobot sends them (a ListView of task checkboxes), rendered with DOM nodes.
// A todo widget is a view of the user's tasks: its rows always show the CURRENT state of each task
// (from tasks.js), whatever state the widget was stored with — ticking a task anywhere updates
// every widget in the thread, and a reloaded thread shows today's state.

import { el } from "./dom.js";
import { has, t } from "./i18n.js";
import { tasks } from "./tasks.js";
import { state } from "./state.js";

const TOGGLE = "todo.toggle";

function todoRow(node, ctx) {
  const action = node.onChangeAction;
  const id = Number(action.payload && action.payload.task_id);
  const label = String(node.label || "");
  const prefix = `${id}. `;
  const input = el("input", { type: "checkbox", className: "check", checked: !!node.defaultChecked, name: node.name || "" });
  input.dataset.testid = `widget-task-${id}`;
  input.addEventListener("change", () => ctx.onToggle(ctx.itemId, id, input.checked, action));
  return el("label", { className: "wtask", dataset: { taskId: id } },
    input,
    el("span", { className: "task-id", textContent: t("tasks.number", { id: String(id) }) }),
    el("span", { className: "wtask-title", dir: "auto", textContent: label.startsWith(prefix) ? label.slice(prefix.length) : label }),
    el("span", { className: "wtask-note" }));
}

/** Renders a widget tree. ctx: {itemId, onToggle(itemId, taskId, completed, action), onAction(itemId, action)}. */
export function renderWidget(node, ctx) {
  if (!node || typeof node !== "object") return null;
  const kids = () => (node.children || []).map((c) => renderWidget(c, ctx)).filter(Boolean);
  switch (node.type) {
    case "ListView": {
      const wrap = el("div", { className: "widget-listview" });
      const todo = typeof node.id === "string" && node.id.startsWith("todo-list:");
      if (todo) wrap.dataset.todo = node.id.slice("todo-list:".length);
      const heading = el("div", { className: "widget-status", textContent: (node.status && node.status.text) || "" });
      wrap.append(heading, el("ul", { className: "widget-list" }, ...kids()));
      return wrap;
    }
    case "ListViewItem":
      return el("li", { className: "widget-row" }, ...kids());
    case "Checkbox":
      if (node.onChangeAction && node.onChangeAction.type === TOGGLE) return todoRow(node, ctx);
      return el("label", { className: "wcheck" },
        el("input", { type: "checkbox", className: "check", checked: !!node.defaultChecked, disabled: true }),
        el("span", { textContent: node.label || "" }));
    case "Text": case "Markdown": return el("span", { textContent: node.value || "" });
    case "Title": return el("strong", { textContent: node.value || "" });
    case "Caption": return el("small", { className: node.color === "danger" ? "widget-caption overdue" : "widget-caption muted", textContent: node.value || "" });
    case "Badge": return el("span", { className: `wbadge wbadge-${String(node.color || "secondary").replace(/[^a-z]/g, "")}`, textContent: node.label || "" });
    case "Row": return el("div", { className: "widget-meta" }, ...kids());
    case "Divider": return el("hr");
    case "Button": {
      const b = el("button", { type: "button", className: "small", textContent: node.label || "" });
      if (node.onClickAction) b.addEventListener("click", () => ctx.onAction(ctx.itemId, node.onClickAction));
      return b;
    }
    default:
      return el("div", { className: `widget-${String(node.type).toLowerCase()}` }, ...kids());
  }
}

/** Shows the current task state in every todo widget under root. */
export function syncWidgets(root = document) {
  for (const view of root.querySelectorAll(".widget-listview[data-todo]")) {
    if (!has(`widget.heading.${view.dataset.todo}`)) continue;
    const count = view.querySelectorAll(".wtask").length;
    view.querySelector(".widget-status").textContent = t(`widget.heading.${view.dataset.todo}`, { count });
  }
  if (!tasks.loaded) return;
  for (const row of root.querySelectorAll(".wtask[data-task-id]")) {
    const task = tasks.byId.get(Number(row.dataset.taskId));
    const box = row.querySelector("input");
    row.classList.toggle("gone", !task);
    row.classList.toggle("done", !!task && task.completed);
    if (task) {
      box.checked = task.completed;
      row.querySelector(".wtask-title").textContent = task.title;
    }
    row.querySelector(".wtask-note").textContent = task ? "" : t("widget.deleted");
    box.disabled = !task || state.streaming;
  }
}
