"""Free-text search over published listings: filters, facets with counts, highlights, sorting.

This module is the backend-neutral interface the web page and the API use (requests and results
are plain dataclasses). Two backends answer it with the same semantics: the embedded Whoosh index
(``whoosh_search``) and PostgreSQL's full-text search (``pg_search``), chosen by
``backend.search_backend()``.

Semantics (both backends): the query is cut into terms (a patent number is one term); listings
with every term come first, then those with some of them, so a query never comes back empty while
one of its words is known; words are looked for in the title, keywords, text and the
organisation's name. Nothing found: "did you mean", nearby known words and matching fields.
"""

from __future__ import annotations

from marketplace.search import pg_search, whoosh_search
from marketplace.search.backend import search_backend
from marketplace.search.results import (
    FILTERS,
    MAX_PAGE,
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    SEARCH_KINDS,
    SORTS,
    SearchHit,
    SearchRequest,
    SearchResult,
    analyzer,
    parse_request,
    query_terms,
)

__all__ = [
    "FILTERS",
    "MAX_PAGE",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TERMS",
    "SEARCH_KINDS",
    "SORTS",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "analyzer",
    "query_terms",
    "search",
]


def search(request: SearchRequest) -> SearchResult:
    """Run a search; never raises for odd input (empty, huge, nonsense queries give results or
    an empty page)."""
    parsed = parse_request(request)
    if parsed.raw and not parsed.terms:
        # Only stop words or punctuation: nothing can match.
        return SearchResult(request, [], 0, {}, [], None, parsed.truncated)
    if search_backend() == "postgresql":
        return pg_search.search(request, parsed)
    return whoosh_search.search(request, parsed)
