"""What every search backend shares: the request and result types, how a query becomes terms,
patent numbers as terms, and highlighting of the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from marketplace.search.analysis import ChineseAnalyzer

MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 16
MAX_PAGE = 500
SORTS = ("relevance", "newest", "price")
# "all" searches achievements and demands together (全部).
SEARCH_KINDS = ("all", "achievement", "demand")
# Request filter name -> facet / index field.
FILTERS = {
    "field": "field",
    "maturity": "maturity_stage",
    "ip_type": "ip_type",
    "mode": "modes",
    "price": "price_band",
    "region": "province",
}
FACET_NAMES = ("field", "maturity_stage", "ip_type", "modes", "price_band", "province")

# A Chinese patent or application number as people type it: ZL201720001285.X, CN103380725A,
# 2017200012851, 201410227707.6. Indexed and asked as one term, "pn" + its digits without the
# check digit, so that every way of writing the same number finds it.
PATENT_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:ZL|CN)?\s?(\d{8,13})(?:\.([0-9Xx]))?(?:[ABUSY]\d?)?(?![0-9A-Za-z])",
    re.IGNORECASE,
)
PATENT_PREFIX = "pn"


def patent_terms(text: str) -> list[str]:
    """The patent-number terms found in ``text`` (deduplicated, in order)."""
    seen: dict[str, None] = {}
    for match in PATENT_NUMBER.finditer(text or ""):
        digits = match.group(1)
        # 13 digits without a dot are 12 plus the check digit (the newer application numbers).
        if len(digits) == 13 and match.group(2) is None:
            digits = digits[:12]
        seen.setdefault(PATENT_PREFIX + digits, None)
    return list(seen)


def is_patent_term(term: str) -> bool:
    return term.startswith(PATENT_PREFIX) and term[len(PATENT_PREFIX) :].isdigit()


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
    all_words: bool = True  # the listing has every word of the query


@dataclass
class SearchResult:
    request: SearchRequest
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    terms: list[str] = field(default_factory=list)
    suggestion: str | None = None
    truncated: bool = False  # the query was too long and was cut
    all_words_total: int = 0  # hits with every word (listed first); the rest have some
    # When nothing matched: known words close to the query's, fields whose name matches, and
    # how many the other kinds / the search without filters would find.
    related_terms: list[str] = field(default_factory=list)
    related_fields: list[str] = field(default_factory=list)
    other_kind_total: int = 0
    unfiltered_total: int = 0

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, -(-self.total // self.request.per_page)))

    @property
    def partial(self) -> bool:
        """Some hits lack a word of the query (shown after those that have them all)."""
        return len(self.terms) > 1 and self.total > self.all_words_total


@dataclass(frozen=True)
class ParsedQuery:
    """A request with its input cleaned: the terms to find and the page window."""

    raw: str
    terms: list[str]
    kind: str
    sort: str
    page: int
    per_page: int
    filters: tuple[tuple[str, str], ...]
    truncated: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("achievement", "demand") if self.kind == "all" else (self.kind,)


_analyzer = None


def analyzer() -> Any:
    global _analyzer
    if _analyzer is None:
        _analyzer = ChineseAnalyzer()
    return _analyzer


def query_terms(text: str) -> list[str]:
    """The analysed terms of a user's query (precise mode, stop words removed), deduplicated;
    patent numbers become one term each."""
    seen: dict[str, None] = {}
    for term in patent_terms(text):
        seen.setdefault(term, None)
    for token in analyzer()(PATENT_NUMBER.sub(" ", text), mode="query"):
        seen.setdefault(token.text, None)
    return list(seen)[:MAX_QUERY_TERMS]


def parse_request(request: SearchRequest) -> ParsedQuery:
    """Clamp every part of a request to what the backends accept (never raises)."""
    raw = (request.q or "").strip()
    truncated = len(raw) > MAX_QUERY_CHARS
    raw = raw[:MAX_QUERY_CHARS]
    filters = tuple((name, value) for name, value in request.filters if name in FILTERS and value)
    return ParsedQuery(
        raw=raw,
        terms=query_terms(raw) if raw else [],
        kind=request.kind if request.kind in SEARCH_KINDS else "achievement",
        sort=request.sort if request.sort in SORTS else "relevance",
        page=max(1, min(request.page, MAX_PAGE)),
        per_page=max(1, min(request.per_page, 100)),
        filters=filters,
        truncated=truncated,
    )


_LATIN = re.compile(r"[0-9A-Za-z]")


def _term_pattern(term: str) -> str:
    if is_patent_term(term):
        digits = term[len(PATENT_PREFIX) :]
        return rf"(?:ZL|CN)?\s?{digits}\d?(?:\.[0-9Xx])?"
    pattern = re.escape(term)
    # Latin words are marked whole ("led" not inside "called"); Chinese has no spaces to mark
    # word edges, so a term is marked wherever it occurs.
    if _LATIN.match(term[0]):
        pattern = r"(?<![0-9A-Za-z])" + pattern
    if _LATIN.match(term[-1]):
        pattern += r"(?![0-9A-Za-z])"
    return pattern


def highlight_text(text: str, terms: frozenset[str]) -> Markup:
    """The original (unsegmented) text, escaped, with ``<mark>`` around the query's terms.

    The terms are looked for in the text as it is (longest first) rather than by cutting every
    hit's text with jieba again: that was half of a search's time, for the same marks.
    """
    if not text:
        return Markup("")
    if not terms:
        return escape(text)
    pattern = re.compile(
        "|".join(_term_pattern(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        parts.append(str(escape(text[last : match.start()])))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 — every piece escaped above


def merge_facets(parts: list[dict[str, list[tuple[str, int]]]]) -> dict[str, list[tuple[str, int]]]:
    """Facet counts added up over several result sets, most frequent first."""
    totals: dict[str, dict[str, int]] = {}
    for facets in parts:
        for name, counts in facets.items():
            bucket = totals.setdefault(name, {})
            for value, count in counts:
                bucket[value] = bucket.get(value, 0) + count
    return {
        name: sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0]))
        for name, bucket in totals.items()
    }
