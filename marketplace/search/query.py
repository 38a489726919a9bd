"""Free-text search over published listings: filters, facets with counts, highlights, sorting.

This module is the backend-neutral interface the web page and the API use (requests and results
are plain dataclasses); only its internals know about Whoosh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from whoosh import highlight, sorting
from whoosh.query import And, Every, Or, Query, Term

from marketplace.search.analysis import ChineseAnalyzer
from marketplace.search.index import get_searcher
from marketplace.search.schema import KINDS

MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 16
MAX_PAGE = 500
SORTS = ("relevance", "newest", "price")
# Request filter name -> index field.
FILTERS = {"field": "field", "maturity": "maturity_stage", "ip_type": "ip_type",
           "mode": "modes", "price": "price_band", "region": "province"}
FIELD_BOOSTS = {"title": 3.0, "keywords": 2.0, "text": 1.0}
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    kind: str = "achievement"
    filters: tuple[tuple[str, str], ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10


@dataclass
class SearchHit:
    id: int
    kind: str
    score: float
    title: Markup  # escaped, with <mark> around matched terms
    snippet: Markup
    stored: dict[str, Any]


@dataclass
class SearchResult:
    request: SearchRequest
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    terms: list[str] = field(default_factory=list)
    suggestion: str | None = None
    truncated: bool = False  # the query was too long and was cut

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, -(-self.total // self.request.per_page)))


class MarkFormatter(highlight.HtmlFormatter):
    """``<mark>`` around matches; everything else HTML-escaped (user text is never trusted)."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between="")

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


class ModesFacet(sorting.FacetType):  # type: ignore[misc]
    """Counts per mode (a listing has several) from the comma-joined ``modes`` column.

    Whoosh's own overlapping facet rebuilt a list of every document's modes from the postings
    on every search — most of a search's time at 20,000 documents.
    """

    def __init__(self, fieldname: str = "modes") -> None:
        self.fieldname = fieldname
        self.maptype = None

    def default_name(self) -> str:
        return self.fieldname

    def categorizer(self, global_searcher: Any) -> sorting.Categorizer:
        if not global_searcher.reader().has_column(self.fieldname):
            # An index built before the column existed, until the next reindex.
            return sorting.OverlappingCategorizer(global_searcher, self.fieldname)
        return _ModesCategorizer(self.fieldname)


class _ModesCategorizer(sorting.Categorizer):  # type: ignore[misc]
    allow_overlap = True

    def __init__(self, fieldname: str) -> None:
        self._fieldname = fieldname
        self._column: Any = None

    def set_searcher(self, segment_searcher: Any, docoffset: int) -> None:
        self._column = segment_searcher.reader().column_reader(self._fieldname)

    def keys_for(self, matcher: Any, docid: int) -> list[str]:
        value = self._column[docid]
        return value.split(",") if value else []


_analyzer = None


def analyzer() -> Any:
    global _analyzer
    if _analyzer is None:
        _analyzer = ChineseAnalyzer()
    return _analyzer


def query_terms(text: str) -> list[str]:
    """The analysed terms of a user's query (precise mode, stop words removed), deduplicated."""
    seen: dict[str, None] = {}
    for token in analyzer()(text, mode="query"):
        seen.setdefault(token.text, None)
    return list(seen)[:MAX_QUERY_TERMS]


def text_query(terms: list[str], boosts: dict[str, float] | None = None) -> Query:
    """Every term must appear in the title, keywords or text (boosted in that order)."""
    boosts = boosts or FIELD_BOOSTS
    return And([Or([Term(name, term, boost=boost) for name, boost in boosts.items()])
                for term in terms])


def filter_query(filters: tuple[tuple[str, str], ...]) -> Query | None:
    clauses = [Term(FILTERS[name], value) for name, value in filters if name in FILTERS and value]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(clauses)


def _highlight(text: str, terms: frozenset[str]) -> Markup:
    if not text:
        return Markup("")
    if terms:
        marked = highlight.highlight(text, terms, analyzer(), highlight.WholeFragmenter(),
                                     MarkFormatter(), top=1, minscore=1)
        if marked:
            return Markup(marked)  # noqa: S704 — built from escaped fragments by MarkFormatter
    return escape(text)


def search(request: SearchRequest) -> SearchResult:
    """Run a search; never raises for odd input (empty, huge, nonsense queries give results or
    an empty page)."""
    kind = request.kind if request.kind in KINDS else "achievement"
    raw = (request.q or "").strip()
    truncated = len(raw) > MAX_QUERY_CHARS
    raw = raw[:MAX_QUERY_CHARS]
    per_page = max(1, min(request.per_page, 100))
    page = max(1, min(request.page, MAX_PAGE))
    sort = request.sort if request.sort in SORTS else "relevance"
    terms = query_terms(raw) if raw else []
    if raw and not terms:
        # Only stop words or punctuation: nothing can match.
        return SearchResult(request, [], 0, {}, [], None, truncated)
    q = text_query(terms) if terms else Every()
    searcher = get_searcher(kind)
    facets = sorting.Facets()
    for name in ("field", "maturity_stage", "ip_type", "price_band", "province"):
        facets.add_field(name)
    facets.add_facet("modes", ModesFacet())
    sortedby: Any = None
    reverse = False
    if sort == "newest" or not terms:
        sortedby, reverse = "published", True
    if sort == "price":
        sortedby = "price" if kind == "achievement" else "budget_max"
    results = searcher.search(q, limit=page * per_page, filter=filter_query(request.filters),
                              groupedby=facets, maptype=sorting.Count, sortedby=sortedby,
                              reverse=reverse)
    facet_counts: dict[str, list[tuple[str, int]]] = {}
    for name in facets.names():
        counts = results.groups(name)
        facet_counts[name] = sorted(((str(k), v) for k, v in counts.items() if k not in (None, "")),
                                    key=lambda kv: (-kv[1], kv[0]))
    # Every document has exactly one field value, so the field counts add up to the total
    # (len(results) would run the query a second time).
    total = sum(count for _, count in facet_counts.get("field", []))
    term_set = frozenset(terms)
    hits = []
    for hit in results[(page - 1) * per_page: page * per_page]:
        stored = hit.fields()
        hits.append(SearchHit(
            id=int(stored["id"]), kind=kind, score=float(hit.score or 0.0),
            title=_highlight(stored.get("title", ""), term_set),
            snippet=_highlight(stored.get("excerpt", ""), term_set), stored=stored))
    suggestion = _suggest(searcher, raw) if raw and total == 0 else None
    return SearchResult(request, hits, total, facet_counts, terms, suggestion, truncated)


def _suggest(searcher: Any, raw: str) -> str | None:
    """A corrected query when some words are unknown to the index (mostly English typos)."""
    changed = False
    words = []
    for word in raw.split()[:8]:
        lowered = word.lower()
        if _CJK.search(word) or len(lowered) < 3 or searcher.doc_frequency("text", lowered):
            words.append(word)
            continue
        options = searcher.suggest("text", lowered, limit=1, maxdist=2, prefix=1)
        if options:
            words.append(options[0])
            changed = True
        else:
            words.append(word)
    return " ".join(words) if changed else None
