"""Layout checks run in the page: cells that squeeze their first word, figures that wrap."""

from __future__ import annotations

from typing import Any

# For every non-empty table cell (and every [data-figure]/[data-kpi] figure): the first word of
# its first text (up to a space; a Chinese label has none, so all of it) must sit on one line.
# A browser squeezing a column breaks that word over several lines, so its Range has client
# rectangles at more than one height.
_SQUEEZED = """
(selector) => {
  const problems = [];
  const lines = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    const tops = new Set();
    for (const rect of range.getClientRects()) {
      if (rect.width > 0) { tops.add(Math.round(rect.top)); }
    }
    return tops.size;
  };
  for (const el of document.querySelectorAll(selector)) {
    if (!el.offsetParent) { continue; }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    while (node && !node.textContent.trim()) { node = walker.nextNode(); }
    if (!node) { continue; }
    const text = node.textContent;
    const start = text.search(/\\S/);
    const rest = text.slice(start);
    const figure = el.matches("[data-figure], [data-kpi], td.text-end, th.text-end");
    const length = figure ? rest.trimEnd().length : rest.search(/\\s|$/);
    if (lines(node, start, start + length) > 1) {
      problems.push(rest.slice(0, length).slice(0, 40));
    }
  }
  return problems;
}
"""


def squeezed_cells(page: Any, scope: str = "main") -> list[str]:
    """Texts whose first word (whole text for figures and numbers) breaks over lines."""
    selector = f"{scope} td, {scope} th, {scope} [data-figure], {scope} [data-kpi]"
    return list(page.evaluate(_SQUEEZED, selector))


def page_overflows(page: Any) -> bool:
    """True if the page itself scrolls sideways (tables must scroll inside their card)."""
    return bool(page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1"))
