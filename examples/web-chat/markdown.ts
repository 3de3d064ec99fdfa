/**
 * Model text as HTML: Markdown by `marked`, then DOMPurify, because the
 * text comes from a model (or whoever steered it) and may carry markup of
 * its own. Links open in a new tab.
 */
import DOMPurify from "dompurify";
import { marked } from "marked";

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/** Sanitised HTML for `text`. */
export function markdownHtml(text: string): string {
  return DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true, breaks: true }));
}
