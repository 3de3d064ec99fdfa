/**
 * Every file the run viewer serves, by exact path. Serving from this map (and
 * nothing else) is what keeps the server from ever reading the file system.
 */
import { APP_JS } from "./page-app.js";
import { CHART_JS } from "./page-chart.js";
import { FAVICON_SVG, INDEX_HTML, STYLE_CSS } from "./page-html.js";

/** A served file. */
export type ViewerAsset = { type: string; body: string };

/** The viewer's files by URL path. */
export const VIEWER_ASSETS: ReadonlyMap<string, ViewerAsset> = new Map([
  ["/index.html", { type: "text/html; charset=utf-8", body: INDEX_HTML }],
  ["/assets/style.css", { type: "text/css; charset=utf-8", body: STYLE_CSS }],
  ["/assets/app.js", { type: "text/javascript; charset=utf-8", body: APP_JS }],
  ["/assets/chart.js", { type: "text/javascript; charset=utf-8", body: CHART_JS }],
  ["/favicon.svg", { type: "image/svg+xml", body: FAVICON_SVG }],
]);
