/**
 * The run viewer page's markup and styles, served from the package (no CDN).
 * Kept as strings so `tsc` ships them in `dist/` with the server.
 */

/** The page: header (runs, open/download a recording), chart, tool calls, usage, transcript, timeline, step slider. */
export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tinyagent run viewer</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header>
  <h1>tinyagent <span>run viewer</span></h1>
  <label>Run <select id="session"></select></label>
  <span id="mode" class="badge"></span>
  <label class="button">Open recording… <input id="file" type="file" accept=".jsonl,.ndjson,.json,application/x-ndjson" hidden></label>
  <a id="download" class="button" href="#" download="run.jsonl">Download JSONL</a>
  <span id="message" role="status"></span>
</header>
<main>
  <section id="chart-panel" class="panel">
    <h2>Agent machine <span id="active-state" class="state-name"></span></h2>
    <div id="chart"></div>
    <h2>Tool-call actors</h2>
    <div id="tools"><p class="empty">No tool calls yet.</p></div>
    <h2>Usage</h2>
    <div id="usage"></div>
  </section>
  <section id="transcript-panel" class="panel">
    <h2>Transcript</h2>
    <div id="transcript"><p class="empty">Nothing yet.</p></div>
  </section>
  <section id="timeline-panel" class="panel">
    <h2>Timeline</h2>
    <div class="filters">
      <select id="type-filter"><option value="">all event types</option></select>
      <label><input id="show-emitted" type="checkbox" checked> agent events</label>
      <label><input id="show-inputs" type="checkbox" checked> machine inputs</label>
      <label title="xstate.init, xstate.done.actor.…: XState's own events between the machine and its actors"><input id="show-internal" type="checkbox"> XState internals</label>
    </div>
    <ol id="timeline"></ol>
  </section>
</main>
<footer>
  <input id="scrub" type="range" min="0" max="0" value="0" aria-label="time travel: step">
  <span id="step-label">no steps</span>
  <label><input id="follow" type="checkbox" checked> follow live</label>
</footer>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;

/** The tab icon: the chart's amber active state on the header's ink. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d2330"/><rect x="6" y="9" width="20" height="14" rx="4" fill="#fff3cd" stroke="#ffb703" stroke-width="3"/></svg>';

/** The page's styles; the active state is amber. */
export const STYLE_CSS = String.raw`:root { --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #d9dde5; --accent: #2f6fed; --active: #ffb703; --ok: #2a9d62; --err: #d1495b; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); display: grid; grid-template-rows: auto 1fr auto; height: 100vh; }
header { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; padding: 8px 16px; background: #1d2330; color: #fff; }
header h1 { font-size: 15px; margin: 0 12px 0 0; }
header h1 span { font-weight: 400; opacity: .7; }
header select { max-width: 260px; }
.button { background: #34405a; color: #fff; border-radius: 6px; padding: 4px 10px; cursor: pointer; text-decoration: none; }
.badge { border-radius: 10px; padding: 1px 8px; font-size: 11px; background: #34405a; }
.badge.live { background: var(--ok); }
#message { color: #ffb4b4; }
main { display: grid; grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr) minmax(0, 1fr); gap: 10px; padding: 10px; overflow: hidden; min-height: 0; }
/* Below 1280 px three columns get too narrow: chart and transcript side by side, the timeline under them, the page scrolls. */
@media (max-width: 1279px) {
  body { height: auto; min-height: 100vh; }
  main { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); overflow: visible; }
  #timeline-panel { grid-column: 1 / -1; max-height: 70vh; }
  /* The chart gets the whole width, at about its natural size, so its labels stay readable. */
  #chart-panel { grid-column: 1 / -1; }
  #chart svg { max-height: none; max-width: 960px; display: block; margin: 0 auto; }
  #transcript-panel { max-height: 90vh; }
  footer { position: sticky; bottom: 0; }
}
@media (max-width: 760px) { main { grid-template-columns: minmax(0, 1fr); } }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; overflow: auto; }
.panel h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 6px 0; }
.state-name { text-transform: none; letter-spacing: 0; color: var(--ink); background: #fff3cd; border-radius: 4px; padding: 0 6px; }
.empty { color: var(--muted); }
#chart svg { width: 100%; height: auto; max-height: 70vh; }
.state rect.box { fill: #fff; stroke: #8a93a6; stroke-width: 1.5; }
.state text { font-size: 15px; font-weight: 600; fill: var(--ink); }
.state.active rect.box { fill: #fff3cd; stroke: var(--active); stroke-width: 3.5; }
.state .chip rect { fill: #eef1f6; stroke: #c9cfdb; }
.state .chip text { font-size: 12px; font-weight: 400; }
.state .chip.active rect { fill: var(--active); stroke: #c98a00; }
.edge path { fill: none; stroke: #9aa3b5; stroke-width: 1.2; }
.edge.taken path { stroke: var(--accent); stroke-width: 2.5; }
.edge .label text { font-size: 13px; fill: #39414f; }
.edge .label rect { fill: var(--panel); stroke: #e3e6ec; opacity: .95; }
.edge.taken .label text { fill: var(--accent); font-weight: 600; }
.tool { border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; margin-bottom: 6px; }
.tool .name { font-weight: 600; }
.tool .id { color: var(--muted); font-size: 11px; margin-left: 6px; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.chips span { border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; font-size: 11px; color: var(--muted); }
.chips span.active { background: var(--active); border-color: #c98a00; color: #000; }
#usage { display: grid; grid-template-columns: repeat(3, auto); gap: 2px 14px; }
#usage b { font-variant-numeric: tabular-nums; }
.msg { border-left: 3px solid var(--line); padding: 4px 8px; margin: 6px 0; white-space: pre-wrap; word-break: break-word; }
.msg .role { font-size: 11px; font-weight: 700; text-transform: uppercase; color: var(--muted); display: block; }
.msg.user { border-color: var(--accent); }
.msg.assistant { border-color: var(--ok); }
.msg.toolResult { border-color: #8e7dbe; background: #f7f5fc; }
.msg.error { border-color: var(--err); background: #fdf0f2; }
.msg.streaming { border-style: dashed; }
.thinking { color: var(--muted); font-style: italic; }
.toolcall { font-family: ui-monospace, monospace; font-size: 12px; background: #eef1f6; border-radius: 4px; padding: 2px 6px; display: block; margin-top: 3px; }
.filters { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin-bottom: 6px; }
#timeline { list-style: none; padding: 0; margin: 0; font-family: ui-monospace, monospace; font-size: 11.5px; }
#timeline li { padding: 1px 4px; border-radius: 3px; cursor: pointer; display: grid; grid-template-columns: 3.2em 10.5em 1fr; gap: 6px; }
#timeline li:hover { background: #eef1f6; }
#timeline li.emitted { color: #2a6a4a; grid-template-columns: 3.2em 1.2em 1fr; }
#timeline li.future { opacity: .35; }
#timeline li.current { background: #fff3cd; }
#timeline .detail { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
footer { display: flex; gap: 12px; align-items: center; padding: 8px 16px; background: var(--panel); border-top: 1px solid var(--line); }
#scrub { flex: 1; }
#step-label { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 50%; font-variant-numeric: tabular-nums; }
#scrub { min-width: 120px; }
`;
