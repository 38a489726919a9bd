"""The embedded search backend: the Whoosh index on local disk (one per listing kind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from whoosh import sorting
from whoosh.query import And, Every, Or, Query, Term

from marketplace.search import suggest
from marketplace.search.index import get_searcher
from marketplace.search.results import (
    FACET_NAMES,
    FILTERS,
    ParsedQuery,
    SearchHit,
    SearchRequest,
    SearchResult,
    highlight_text,
    is_patent_term,
    merge_facets,
)

FIELD_BOOSTS = {"title": 3.0, "keywords": 2.0, "text": 1.0, "org": 1.0}
PATENT_BOOST = 3.0


class ModesFacet(sorting.FacetType):
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


class _ModesCategorizer(sorting.Categorizer):
    allow_overlap = True

    def __init__(self, fieldname: str) -> None:
        self._fieldname = fieldname
        self._column: Any = None

    def set_searcher(self, segment_searcher: Any, docoffset: int) -> None:
        self._column = segment_searcher.reader().column_reader(self._fieldname)

    def keys_for(self, matcher: Any, docid: int) -> list[str]:
        value = self._column[docid]
        return value.split(",") if value else []


def term_query(term: str, boosts: dict[str, float] | None = None) -> Query:
    """One query term: a patent number in the patents field, a word in any text field."""
    if is_patent_term(term):
        return Term("patents", term, boost=PATENT_BOOST)
    return Or([Term(name, term, boost=boost) for name, boost in (boosts or FIELD_BOOSTS).items()])


def filter_query(filters: tuple[tuple[str, str], ...]) -> Query | None:
    clauses = [Term(FILTERS[name], value) for name, value in filters if name in FILTERS and value]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(clauses)


def _facets() -> sorting.Facets:
    facets = sorting.Facets()
    for name in FACET_NAMES:
        if name != "modes":
            facets.add_field(name)
    facets.add_facet("modes", ModesFacet())
    return facets


def _facet_counts(results: Any) -> dict[str, list[tuple[str, int]]]:
    return {
        name: [(str(k), v) for k, v in results.groups(name).items() if k not in (None, "")]
        for name in FACET_NAMES
    }


@dataclass
class _Ranked:
    key: tuple[Any, ...]  # the order across kinds: all-words hits first, then the sort
    hit: SearchHit


def _sort_key(
    parsed: ParsedQuery, all_words: bool, score: float, stored: dict[str, Any]
) -> tuple[Any, ...]:
    group = 0 if all_words else 1
    if parsed.sort == "price":
        price = stored.get("price", stored.get("budget_max"))
        return (group, price is None, price or 0)
    if parsed.sort == "newest" or not parsed.terms:
        published = stored.get("published") or datetime.min
        return (group, -published.timestamp() if published != datetime.min else 0.0)
    return (group, -score)


def _search_kind(
    kind: str, parsed: ParsedQuery, limit: int
) -> tuple[list[_Ranked], int, int, dict[str, list[tuple[str, int]]]]:
    """(ranked hits up to ``limit``, total, all-words total, facets) for one kind."""
    searcher = get_searcher(kind)
    terms = parsed.terms
    clauses = [term_query(term) for term in terms]
    all_q: Query = Every() if not terms else (clauses[0] if len(clauses) == 1 else And(clauses))
    some_q: Query | None = Or(clauses) if len(clauses) > 1 else None
    sortedby: Any = None
    reverse = False
    if parsed.sort == "newest" or not terms:
        sortedby, reverse = "published", True
    if parsed.sort == "price":
        sortedby = "price" if kind == "achievement" else "budget_max"
    flt = filter_query(parsed.filters)
    term_set = frozenset(terms)

    def run(
        q: Query, mask: Query | None, top: int
    ) -> tuple[Any, dict[str, list[tuple[str, int]]], int]:
        results = searcher.search(
            q,
            limit=max(1, top),
            filter=flt,
            mask=mask,
            groupedby=_facets(),
            maptype=sorting.Count,
            sortedby=sortedby,
            reverse=reverse,
        )
        counts = _facet_counts(results)
        # Every document has exactly one field value, so the field counts add up to the total
        # (len(results) would run the query a second time).
        return results, counts, sum(count for _, count in counts["field"])

    ranked: list[_Ranked] = []

    def collect(results: Any, all_words: bool, top: int) -> None:
        for hit in results[:top]:
            stored = hit.fields()
            score = float(hit.score or 0.0)
            ranked.append(
                _Ranked(
                    _sort_key(parsed, all_words, score, stored),
                    SearchHit(
                        id=int(stored["id"]),
                        kind=kind,
                        score=score,
                        title=highlight_text(stored.get("title", ""), term_set),
                        snippet=highlight_text(stored.get("excerpt", ""), term_set),
                        stored=stored,
                        all_words=all_words,
                    ),
                )
            )

    results, facets, all_total = run(all_q, None, limit)
    collect(results, True, limit)
    total = all_total
    facet_parts = [facets]
    if some_q is not None:
        # Listings with some but not all of the words, after those with all of them.
        rest_limit = limit - len(ranked)
        rest, rest_facets, rest_total = run(some_q, all_q, rest_limit)
        if rest_limit > 0:
            collect(rest, False, rest_limit)
        total += rest_total
        facet_parts.append(rest_facets)
    return ranked, total, all_total, merge_facets(facet_parts)


def search(request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
    limit = parsed.page * parsed.per_page
    ranked: list[_Ranked] = []
    total = all_total = 0
    facet_parts = []
    for kind in parsed.kinds:
        kind_ranked, kind_total, kind_all, kind_facets = _search_kind(kind, parsed, limit)
        ranked.extend(kind_ranked)
        total += kind_total
        all_total += kind_all
        facet_parts.append(kind_facets)
    ranked.sort(key=lambda r: r.key)
    hits = [r.hit for r in ranked[parsed.offset : parsed.offset + parsed.per_page]]
    result = SearchResult(
        request=request,
        hits=hits,
        total=total,
        facets=merge_facets(facet_parts),
        terms=parsed.terms,
        truncated=parsed.truncated,
        all_words_total=all_total,
    )
    if parsed.raw and total == 0:
        _advise(result, parsed)
    return result


class WhooshLexicon:
    """The words of the live indexes of some kinds (their text fields)."""

    FIELDS = ("title", "keywords", "text", "org")

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self._readers = [get_searcher(kind).reader() for kind in kinds]

    def frequency(self, word: str) -> int:
        return sum(
            max(
                (reader.doc_frequency(name, word) for name in self.FIELDS if name in reader.schema),
                default=0,
            )
            for reader in self._readers
        )

    def _fields(self) -> list[tuple[Any, str]]:
        return [
            (reader, name)
            for reader in self._readers
            for name in self.FIELDS
            if name in reader.schema
        ]

    def with_prefix(self, prefix: str, min_len: int, max_len: int) -> list[tuple[str, int]]:
        found: dict[str, int] = {}
        for reader, name in self._fields():
            for raw, info in reader.iter_prefix(name, prefix):
                word = raw.decode("utf-8")
                if min_len <= len(word) <= max_len:
                    found[word] = max(found.get(word, 0), info.doc_frequency())
        return list(found.items())

    def containing(self, fragment: str, limit: int) -> list[tuple[str, int]]:
        found: dict[str, int] = {}
        needle = fragment.encode("utf-8")
        for reader, name in self._fields():
            # Every word of the field: only ever run for a search that found nothing.
            for raw, info in reader.iter_field(name):
                if needle in raw:
                    word = raw.decode("utf-8")
                    found[word] = max(found.get(word, 0), info.doc_frequency())
        return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _count(kind: str, terms: list[str], filters: tuple[tuple[str, str], ...]) -> int:
    if not terms:
        return 0
    results = get_searcher(kind).search(
        Or([term_query(t) for t in terms]), limit=1, filter=filter_query(filters)
    )
    return len(results)


def _advise(result: SearchResult, parsed: ParsedQuery) -> None:
    lexicon = WhooshLexicon(("achievement", "demand"))
    result.suggestion = suggest.did_you_mean(lexicon, parsed.raw)
    result.related_terms = suggest.related_terms(lexicon, parsed.terms)
    result.related_fields = suggest.related_fields(parsed.raw, parsed.terms)
    others = tuple(k for k in ("achievement", "demand") if k not in parsed.kinds)
    result.other_kind_total = sum(_count(k, parsed.terms, parsed.filters) for k in others)
    if parsed.filters:
        result.unfiltered_total = sum(_count(k, parsed.terms, ()) for k in parsed.kinds)
