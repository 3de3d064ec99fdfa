/**
 * The run viewer page's script (a browser ES module, served as `/assets/app.js`):
 * sessions arrive over server-sent events; the slider picks the step shown.
 * Plain browser JavaScript in a string so `tsc` ships it; `test/viewer.test.ts` runs it in Chromium.
 */

/** The page script. */
export const APP_JS = String.raw`// The run viewer page: sessions from server-sent events, a step slider (time travel), and the panels.
import { drawChart, highlight, splitValue, valueText } from "./chart.js";

const $ = function (id) { return document.getElementById(id); };
const sessions = new Map();
let current = null;
let position = 0;
let chart = null;

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function say(text) { $("message").textContent = text || ""; }

function addSession(info) {
  // After a reconnect the server sends every session again: replace, do not duplicate.
  const known = sessions.has(info.id);
  sessions.set(info.id, { info: info, steps: info.steps || [] });
  if (!known) {
    const option = h("option", "", info.title + " (" + info.mode + ")");
    option.value = info.id;
    $("session").appendChild(option);
  }
  if (!current || info.select) select(info.id);
  else if (info.id === current) render();
  else refreshTypes();
}

function select(id) {
  current = id;
  $("session").value = id;
  const session = sessions.get(id);
  $("mode").textContent = session.info.mode;
  $("mode").className = "badge " + session.info.mode;
  $("download").href = "/api/sessions/" + id + "/recording.jsonl";
  $("download").setAttribute("download", id + ".jsonl");
  position = Math.max(0, session.steps.length - 1);
  refreshTypes();
  render();
}

function steps() { return current ? sessions.get(current).steps : []; }

function refreshTypes() {
  const seen = new Set();
  for (const step of steps()) {
    seen.add(step.type);
    for (const e of step.emitted) seen.add(e.type);
  }
  const filter = $("type-filter");
  const chosen = filter.value;
  const known = new Set(Array.from(filter.options).map(function (o) { return o.value; }));
  Array.from(seen).sort().forEach(function (type) {
    if (known.has(type)) return;
    const option = h("option", "", type);
    option.value = type;
    filter.appendChild(option);
  });
  filter.value = chosen;
}

function onStep(data) {
  const session = sessions.get(data.session);
  if (!session) return;
  const atEnd = data.session === current && position >= session.steps.length - 1;
  session.steps.push(data.step);
  if (data.session !== current) return;
  if (atEnd && $("follow").checked) position = session.steps.length - 1;
  refreshTypes();
  render();
}

function transcriptAt(index) {
  const messages = [];
  const all = steps();
  for (let i = 0; i <= index && i < all.length; i++) {
    messages.length = all[i].messages.keep;
    for (const m of all[i].messages.add) messages.push(m);
  }
  return messages;
}

// Recordings are data from anywhere: content may be a string, an array, or something else entirely.
function contentNodes(target, content) {
  if (typeof content === "string") { target.appendChild(document.createTextNode(content)); return; }
  if (!Array.isArray(content)) {
    if (content != null) target.appendChild(h("code", "toolcall", "[content that is not a list: " + String(JSON.stringify(content)).slice(0, 200) + "]"));
    return;
  }
  for (const block of content) {
    if (!block || typeof block !== "object") target.appendChild(h("code", "toolcall", "[block " + String(JSON.stringify(block)) + "]"));
    else if (block.type === "text") target.appendChild(document.createTextNode(String(block.text)));
    else if (block.type === "thinking") target.appendChild(h("span", "thinking", String(block.thinking) + "\n"));
    else if (block.type === "toolCall") target.appendChild(h("code", "toolcall", "→ " + block.name + "(" + JSON.stringify(block.arguments) + ")  " + block.id));
    else if (block.type === "image") target.appendChild(h("span", "thinking", "[image " + block.mimeType + "]"));
  }
}

function messageNode(message, streaming) {
  const failed = message.role === "assistant" && (message.stopReason === "error" || message.stopReason === "aborted");
  const node = h("div", "msg " + message.role + (failed || message.isError ? " error" : "") + (streaming ? " streaming" : ""));
  let role = message.role === "toolResult" ? "tool result · " + message.toolName : message.role;
  if (streaming) role += " · streaming…";
  if (message.role === "assistant" && message.stopReason && !streaming) role += " · " + message.stopReason;
  node.appendChild(h("span", "role", role));
  contentNodes(node, message.content);
  if (message.errorMessage) node.appendChild(h("span", "thinking", "\n" + message.errorMessage));
  return node;
}

function renderTranscript(step) {
  const box = $("transcript");
  box.textContent = "";
  const messages = transcriptAt(position);
  for (const m of messages) if (m && typeof m === "object") box.appendChild(messageNode(m, false));
  if (step && step.streamMessage) box.appendChild(messageNode(step.streamMessage, true));
  if (!box.childNodes.length) box.appendChild(h("p", "empty", "Nothing yet."));
  box.scrollTop = box.scrollHeight;
}

function renderTools(step) {
  const box = $("tools");
  box.textContent = "";
  // Ids are "run<n>:tool-<turn>-<index>": show the calls of the latest run's latest turn.
  const ids = Object.keys(step ? step.toolCalls : {});
  const order = function (id) { const m = /^run(\d+):tool-(\d+)-/.exec(id); return m ? Number(m[1]) * 1e6 + Number(m[2]) : 0; };
  const last = Math.max.apply(null, ids.map(order).concat([0]));
  const shown = ids.filter(function (id) { return order(id) === last; });
  if (!shown.length) { box.appendChild(h("p", "empty", "No tool calls yet.")); return; }
  for (const id of shown) {
    const call = step.toolCalls[id];
    const row = h("div", "tool");
    row.setAttribute("data-actor", id);
    row.appendChild(h("span", "name", (call.toolName || "?") + "(" + JSON.stringify(call.args || {}) + ")"));
    row.appendChild(h("span", "id", id + " · " + call.status));
    const chips = h("div", "chips");
    const active = splitValue(call.value)[0];
    for (const state of chart.toolCallStates) {
      const chip = h("span", state === active ? "active" : "", state);
      chips.appendChild(chip);
    }
    row.appendChild(chips);
    box.appendChild(row);
  }
}

function renderUsage(step) {
  const box = $("usage");
  box.textContent = "";
  const u = step && step.usage;
  if (!u) return;
  const total = u.cost && typeof u.cost.total === "number" ? u.cost.total.toFixed(6) : String(u.cost && u.cost.total);
  const cells = [["input", u.input], ["output", u.output], ["total tokens", u.totalTokens], ["cache read", u.cacheRead], ["cache write", u.cacheWrite], ["cost", "$" + total]];
  for (const cell of cells) {
    const node = h("span", "", cell[0] + " ");
    node.appendChild(h("b", "", String(cell[1])));
    box.appendChild(node);
  }
  if (step.error) box.appendChild(h("span", "thinking", "error: " + step.error));
}

function renderTimeline() {
  const list = $("timeline");
  list.textContent = "";
  const type = $("type-filter").value;
  const emitted = $("show-emitted").checked;
  const inputs = $("show-inputs").checked;
  // XState's own events (xstate.init, xstate.done.actor.…) are plumbing; shown on request.
  const internal = $("show-internal").checked;
  const all = steps();
  const t0 = all.length ? all[0].t : 0;
  let currentRow = null;
  all.forEach(function (step) {
    const state = step.i < position ? "" : step.i === position ? " current" : " future";
    if (inputs && (!type || step.type === type) && (internal || step.type.indexOf("xstate.") !== 0)) {
      const row = h("li", "input" + state);
      row.setAttribute("data-step", String(step.i));
      row.setAttribute("data-type", step.type);
      row.appendChild(h("span", "", "#" + step.i));
      row.appendChild(h("span", "", "+" + (step.t - t0) + "ms " + step.actor));
      const text = h("span", "detail", step.type + (step.detail ? "  " + step.detail : ""));
      text.title = step.detail;
      row.appendChild(text);
      list.appendChild(row);
      if (step.i === position) currentRow = row;
    }
    if (!emitted) return;
    for (const e of step.emitted) {
      if (type && e.type !== type) continue;
      const row = h("li", "emitted" + state);
      row.setAttribute("data-step", String(step.i));
      row.setAttribute("data-type", e.type);
      row.appendChild(h("span", "", "#" + step.i));
      row.appendChild(h("span", "", "↳"));
      row.appendChild(h("span", "detail", e.type + (e.detail ? "  " + e.detail : "")));
      list.appendChild(row);
    }
  });
  if (currentRow) currentRow.scrollIntoView({ block: "nearest" });
}

function render() {
  const all = steps();
  const scrub = $("scrub");
  scrub.max = String(Math.max(0, all.length - 1));
  scrub.value = String(position);
  const step = all[position];
  const previous = position > 0 ? all[position - 1] : undefined;
  if (chart && step) highlight($("chart"), step.value, previous && previous.value);
  $("active-state").textContent = step ? valueText(step.value) : "";
  $("step-label").textContent = step
    ? "step " + position + " / " + (all.length - 1) + " · " + step.actor + " · " + step.type + " · " + new Date(step.t).toISOString().slice(11, 23)
    : "no steps";
  renderTranscript(step);
  renderTools(step);
  renderUsage(step);
  renderTimeline();
}

$("scrub").addEventListener("input", function (e) { position = Number(e.target.value); render(); });
$("session").addEventListener("change", function (e) { select(e.target.value); });
["type-filter", "show-emitted", "show-inputs", "show-internal"].forEach(function (id) { $(id).addEventListener("change", renderTimeline); });
$("timeline").addEventListener("click", function (e) {
  const row = e.target.closest("li");
  if (row) { position = Number(row.getAttribute("data-step")); render(); }
});
$("file").addEventListener("change", async function (e) {
  const file = e.target.files[0];
  if (!file) return;
  const response = await fetch("/api/recordings?title=" + encodeURIComponent(file.name), { method: "POST", body: await file.text() });
  const body = await response.json();
  if (!response.ok) { say(body.error); return; }
  say("");
  pendingSelect = body.id;
  if (sessions.has(body.id)) select(body.id);
});
let pendingSelect = null;

async function start() {
  chart = await (await fetch("/api/chart")).json();
  drawChart($("chart"), chart.agent);
  const events = new EventSource("/api/events");
  events.addEventListener("session", function (e) {
    const info = JSON.parse(e.data);
    if (info.id === pendingSelect) info.select = true;
    addSession(info);
  });
  events.addEventListener("step", function (e) { onStep(JSON.parse(e.data)); });
  document.body.setAttribute("data-ready", "true");
}
start().catch(function (error) { say(String(error)); });
`;
