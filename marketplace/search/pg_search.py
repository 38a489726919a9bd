"""The PostgreSQL search backend: the narrow ``listing_search`` table, no index files.

The query's terms (cut by the same jieba analyzer as the vectors) become two ``tsquery``
values — all terms (``&``) and any term (``|``). Listings matching any term are found through
the GIN index; those matching all come first, then ``ts_rank_cd`` over the weighted words (title
A, keywords and patent numbers B, text C, organisation D). Facet counts for every facet of the
page come from one statement (``GROUPING SETS`` plus the modes, which a listing has several of).

Every SQL text below is put together from this module's constants only; whatever the user typed
reaches PostgreSQL as bound parameters (the terms as ``tsquery`` literals cast in SQL).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search import suggest
from marketplace.search.results import (
    FACET_NAMES,
    ParsedQuery,
    SearchHit,
    SearchRequest,
    SearchResult,
    highlight_text,
    is_patent_term,
)
from marketplace.search.schema import listing_document
from marketplace.search.search_rows import FACET_SQL
from marketplace.search.vectors import lexicon_words

# ts_rank_cd weights of D, C, B, A.
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"

FACET_COLUMNS = tuple(FACET_SQL)
FILTER_COLUMN = {
    "field": "field",
    "maturity": "maturity_stage",
    "ip_type": "ip_type",
    "price": "price_band",
    "region": "province",
}
SORT_SQL = {
    "relevance": "score DESC, s.published_at DESC NULLS LAST, s.listing_id DESC",
    "newest": "s.published_at DESC NULLS LAST, s.listing_id DESC",
    "price": "s.amount ASC NULLS LAST, s.listing_id DESC",
}
# Searches read the narrow rows only (marketplace.search.search_rows), never the wide listings.
FROM = "listing_search s"


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_text(terms: list[str], operator: str) -> str:
    """A ``tsquery`` literal of the terms, taken as they are (no parsing, no stemming)."""
    return f" {operator} ".join(_quote(term) for term in terms)


def _where(
    kinds: tuple[str, ...],
    filters: tuple[tuple[str, str], ...],
    has_terms: bool,
    params: dict[str, Any],
) -> str:
    clauses = ["s.status = 'published'"]
    if len(kinds) == 1:
        clauses.append("s.kind = :kind")
        params["kind"] = kinds[0]
    if has_terms:
        clauses.append("s.vector @@ CAST(:any_q AS tsquery)")
    for i, (name, value) in enumerate(filters):
        key = f"f{i}"
        params[key] = value
        if name == "mode":
            clauses.append(f"s.modes @> jsonb_build_array(CAST(:{key} AS text))")
        elif name in FILTER_COLUMN:
            clauses.append(f"s.{FILTER_COLUMN[name]} = :{key}")
    return " AND ".join(clauses)


def _params(terms: list[str]) -> dict[str, Any]:
    if not terms:
        return {}
    return {"any_q": tsquery_text(terms, "|"), "all_q": tsquery_text(terms, "&")}


def _facets(parsed: ParsedQuery) -> tuple[int, int, dict[str, list[tuple[str, int]]]]:
    """(total, all-words total, facet counts) in one statement."""
    params = _params(parsed.terms)
    where = _where(parsed.kinds, parsed.filters, bool(parsed.terms), params)
    all_words = "s.vector @@ CAST(:all_q AS tsquery)" if parsed.terms else "TRUE"
    names = list(FACET_COLUMNS)
    columns = ", ".join(names)
    which = " ".join(f"WHEN GROUPING({name}) = 0 THEN '{name}'" for name in names)
    statement = sa.text(f"""
        WITH m AS MATERIALIZED (
            SELECT {columns}, modes, ({all_words}) AS all_words
            FROM {FROM} WHERE {where}
        )
        SELECT CASE {which} ELSE '' END AS facet, COALESCE({", ".join(names)}) AS value,
               count(*) AS n, count(*) FILTER (WHERE all_words) AS n_all
        FROM m GROUP BY GROUPING SETS ({", ".join(f"({n})" for n in names)}, ())
        UNION ALL
        SELECT 'modes', mode, count(*), 0
        FROM m, jsonb_array_elements_text(m.modes) AS mode GROUP BY mode
    """)  # noqa: S608
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACET_NAMES}
    total = all_total = 0
    for row in db.session.execute(statement, params):
        if row.facet == "":
            total, all_total = int(row.n), int(row.n_all)
        elif row.value not in (None, ""):
            facets[row.facet].append((str(row.value), int(row.n)))
    for counts in facets.values():
        counts.sort(key=lambda kv: (-kv[1], kv[0]))
    return total, all_total, facets


def _page(parsed: ParsedQuery, all_total: int) -> list[tuple[int, bool, float]]:
    """(id, has all words, score) of the requested page.

    Listings with every word are ranked first and on their own; those with only some are ranked
    only when the page reaches past them — most pages never rank the (often many) partial hits.
    """
    rows: list[tuple[int, bool, float]] = []
    if not parsed.terms:
        return _ranked(parsed, "", parsed.per_page, parsed.offset, True)
    if parsed.offset < all_total:
        rows = _ranked(
            parsed,
            "s.vector @@ CAST(:all_q AS tsquery)",
            parsed.per_page,
            parsed.offset,
            True,
        )
    missing = parsed.per_page - len(rows)
    if missing > 0 and len(parsed.terms) > 1:
        rows += _ranked(
            parsed,
            "NOT (s.vector @@ CAST(:all_q AS tsquery))",
            missing,
            max(0, parsed.offset - all_total),
            False,
        )
    return rows


def _ranked(
    parsed: ParsedQuery, extra: str, limit: int, offset: int, all_words: bool
) -> list[tuple[int, bool, float]]:
    params = _params(parsed.terms)
    where = _where(parsed.kinds, parsed.filters, bool(parsed.terms), params)
    if extra:
        where += f" AND {extra}"
    if parsed.terms:
        score = f"ts_rank_cd('{RANK_WEIGHTS}', s.vector, CAST(:any_q AS tsquery))"
    else:
        score = "0.0"
    sort = SORT_SQL["newest" if not parsed.terms and parsed.sort == "relevance" else parsed.sort]
    params.update(limit=limit, offset=offset)
    statement = sa.text(f"""
        SELECT s.listing_id AS id, {score} AS score FROM {FROM} WHERE {where}
        ORDER BY {sort} LIMIT :limit OFFSET :offset
    """)  # noqa: S608
    return [(int(r.id), all_words, float(r.score)) for r in db.session.execute(statement, params)]


def search(request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
    # Broad words push the facet statement's estimated cost past jit_above_cost, and compiling
    # it took longer (about 25 ms) than it saved on 26,000 rows; only this transaction is changed.
    db.session.execute(sa.text("SET LOCAL jit = off"))
    total, all_total, facets = _facets(parsed)
    page = _page(parsed, all_total) if total else []
    listings = {}
    if page:
        rows = (
            db.session.execute(
                sa.select(Listing)
                .options(joinedload(Listing.org))
                .where(Listing.id.in_([listing_id for listing_id, _, _ in page]))
            )
            .unique()
            .scalars()
        )
        listings = {row.id: row for row in rows}
    term_set = frozenset(parsed.terms)
    hits = []
    for listing_id, all_words, score in page:
        listing = listings.get(listing_id)
        if listing is None:  # deleted between the two statements
            continue
        stored = listing_document(listing)
        hits.append(
            SearchHit(
                id=listing_id,
                kind=listing.kind,
                score=score,
                title=highlight_text(stored.get("title", ""), term_set),
                snippet=highlight_text(stored.get("excerpt", ""), term_set),
                stored=stored,
                all_words=all_words,
            )
        )
    result = SearchResult(
        request=request,
        hits=hits,
        total=total,
        facets=facets,
        terms=parsed.terms,
        truncated=parsed.truncated,
        all_words_total=all_total,
    )
    if parsed.raw and total == 0:
        _advise(result, parsed)
    return result


class PostgresLexicon:
    """The ``search_words`` table (refreshed by reindex and hourly)."""

    def frequency(self, word: str) -> int:
        return lexicon_words([word]).get(word, 0)

    def with_prefix(self, prefix: str, min_len: int, max_len: int) -> list[tuple[str, int]]:
        rows = db.session.execute(
            sa.text(
                "SELECT word, doc_count FROM search_words WHERE left(word, :n) = :prefix "
                "AND char_length(word) BETWEEN :lo AND :hi"
            ),
            {"n": len(prefix), "prefix": prefix, "lo": min_len, "hi": max_len},
        )
        return [(r.word, int(r.doc_count)) for r in rows if not is_patent_term(r.word)]

    def containing(self, fragment: str, limit: int) -> list[tuple[str, int]]:
        rows = db.session.execute(
            sa.text(
                "SELECT word, doc_count FROM search_words WHERE strpos(word, :f) > 0 "
                "ORDER BY doc_count DESC, word LIMIT :n"
            ),
            {"f": fragment, "n": limit},
        )
        return [(r.word, int(r.doc_count)) for r in rows]


def _count(kinds: tuple[str, ...], terms: list[str], filters: tuple[tuple[str, str], ...]) -> int:
    params = _params(terms)
    where = _where(kinds, filters, bool(terms), params)
    statement = sa.text(f"SELECT count(*) FROM {FROM} WHERE {where}")  # noqa: S608
    return int(db.session.execute(statement, params).scalar_one())


def _advise(result: SearchResult, parsed: ParsedQuery) -> None:
    lexicon = PostgresLexicon()
    result.suggestion = suggest.did_you_mean(lexicon, parsed.raw)
    result.related_terms = suggest.related_terms(lexicon, parsed.terms)
    result.related_fields = suggest.related_fields(parsed.raw, parsed.terms)
    others = tuple(k for k in ("achievement", "demand") if k not in parsed.kinds)
    if others and parsed.terms:
        result.other_kind_total = _count(others, parsed.terms, parsed.filters)
    if parsed.filters and parsed.terms:
        result.unfiltered_total = _count(parsed.kinds, parsed.terms, ())
