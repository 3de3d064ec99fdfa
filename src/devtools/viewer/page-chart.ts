/**
 * The run viewer's chart painter (a browser ES module, served as `/assets/chart.js`):
 * draws the server's elkjs layout of the machine as SVG and highlights the active state.
 */

/** The chart painter. */
export const CHART_JS = String.raw`// Paints the statechart laid out by the server (from the machine definition) and highlights the active state.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const key in attrs) node.setAttribute(key, String(attrs[key]));
  if (parent) parent.appendChild(node);
  return node;
}

export function drawChart(container, chart) {
  container.textContent = "";
  const svg = el("svg", { viewBox: "0 0 " + chart.width + " " + chart.height, role: "img", "aria-label": "agent statechart" }, container);
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#9aa3b5" }, marker);
  for (const edge of chart.edges) {
    const g = el("g", { class: "edge", "data-source": edge.source, "data-target": edge.target }, svg);
    el("title", {}, g).textContent = edge.transitions.join("\n");
    const d = edge.points.map(function (p, i) { return (i ? "L " : "M ") + p.x + " " + p.y; }).join(" ");
    el("path", { d: d, "marker-end": "url(#arrow)" }, g);
    // The label is centred on a point of the edge (chart.ts), on a backing box so the line under it does not cross the text.
    const label = el("g", { class: "label" }, g);
    el("rect", { x: edge.label.x, y: edge.label.y, width: edge.label.width, height: edge.label.height, rx: 4 }, label);
    const cx = edge.label.x + edge.label.width / 2;
    edge.lines.forEach(function (line, i) {
      const text = el("text", { x: cx, y: edge.label.y + 14 + i * 16, "text-anchor": "middle" }, label);
      text.textContent = line;
    });
  }
  const first = chart.nodes.find(function (n) { return n.id === chart.initial; });
  if (first) {
    el("circle", { cx: first.x - 22, cy: first.y + 22, r: 6, fill: "#1d2330" }, svg);
    el("path", { d: "M " + (first.x - 16) + " " + (first.y + 22) + " L " + (first.x - 2) + " " + (first.y + 22), stroke: "#1d2330", "marker-end": "url(#arrow)" }, svg);
  }
  for (const node of chart.nodes) {
    const g = el("g", { class: "state", "data-state": node.id, transform: "translate(" + node.x + "," + node.y + ")" }, svg);
    el("rect", { class: "box", width: node.width, height: node.height, rx: node.final ? 22 : 10 }, g);
    const label = el("text", { x: node.width / 2, y: 27, "text-anchor": "middle" }, g);
    label.textContent = node.id;
    let x = 8;
    for (const sub of node.substates) {
      const width = sub.length * 7 + 16;
      const chip = el("g", { class: "chip", "data-substate": sub, transform: "translate(" + x + ",42)" }, g);
      el("rect", { width: width, height: 22, rx: 11 }, chip);
      const text = el("text", { x: width / 2, y: 15, "text-anchor": "middle" }, chip);
      text.textContent = sub;
      x += width + 6;
    }
  }
}

/** The top-level key and the substate key of a state value ("idle", { executingTools: "running" }). */
export function splitValue(value) {
  if (typeof value === "string") return [value, null];
  const top = Object.keys(value || {})[0] || "";
  const sub = value[top];
  return [top, typeof sub === "string" ? sub : Object.keys(sub || {})[0] || null];
}

export function valueText(value) {
  const parts = splitValue(value);
  return parts[1] ? parts[0] + "." + parts[1] : parts[0];
}

export function highlight(container, value, previous) {
  const parts = splitValue(value);
  const before = previous === undefined ? null : splitValue(previous)[0];
  container.querySelectorAll(".state").forEach(function (node) {
    const active = node.getAttribute("data-state") === parts[0];
    node.classList.toggle("active", active);
    node.querySelectorAll(".chip").forEach(function (chip) {
      chip.classList.toggle("active", active && chip.getAttribute("data-substate") === parts[1]);
    });
  });
  container.querySelectorAll(".edge").forEach(function (edge) {
    edge.classList.toggle("taken", before !== null && before !== parts[0] && edge.getAttribute("data-source") === before && edge.getAttribute("data-target") === parts[0]);
  });
}
`;
