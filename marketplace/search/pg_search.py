"""The PostgreSQL search backend: the narrow ``listing_search`` table, no index files.

The query's terms (cut by the same jieba analyzer as the vectors) become two ``tsquery``
values — all terms (``&``) and any term (``|``). Listings matching any term are found through
the GIN index; those matching all come first, then ``ts_rank_cd`` over the weighted words (title
A, keywords and patent numbers B, text C, organisation D) — computed for a pool of the best hits
by the cheaper ``ts_rank``, not for every hit. The facet counts (``GROUPING SETS`` plus the modes,
which a listing has several of) and the page come from one statement that reads the hits once.

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
_SCORE = f"ts_rank_cd('{RANK_WEIGHTS}', s.vector, CAST(:any_q AS tsquery))"
_PRE_SCORE = f"ts_rank('{RANK_WEIGHTS}', s.vector, CAST(:any_q AS tsquery))"
# The pool ts_rank_cd orders: at least this many of each group's best hits by ts_rank, and this
# many times the rows up to the end of the requested page.
POOL_MIN = 200
POOL_FACTOR = 5
PAGE_ROW = "#page"  # the facet name that marks the page's rows in the combined statement

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
    prefix: str = "",
) -> str:
    clauses = ["s.status = 'published'"]
    if len(kinds) == 1:
        clauses.append(f"s.kind = :{prefix}kind")
        params[f"{prefix}kind"] = kinds[0]
    if has_terms:
        clauses.append("s.vector @@ CAST(:any_q AS tsquery)")
    for i, (name, value) in enumerate(filters):
        key = f"{prefix}f{i}"
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


def _facet_sql(names: list[str]) -> tuple[str, str]:
    """The facet counting part over the materialised hits ``m``: the grouped rows and the modes."""
    which = " ".join(f"WHEN GROUPING({name}) = 0 THEN '{name}'" for name in names)
    grouped = f"""
        SELECT CASE {which} ELSE '' END AS facet, COALESCE({", ".join(names)}) AS value,
               count(*) AS n, count(*) FILTER (WHERE all_words) AS n_all
        FROM m GROUP BY GROUPING SETS ({", ".join(f"({n})" for n in names)}, ())
    """  # noqa: S608 — module constants only
    # A listing has several modes: group the hits by their list of modes first (a few hundred
    # lists), and only then spread the lists — spreading every hit's list cost ~35 ms a query.
    modes = (
        "SELECT 'modes' AS facet, mode AS value, sum(g.n) AS n, 0 AS n_all "
        "FROM (SELECT modes, count(*) AS n FROM m GROUP BY modes) g, "
        "jsonb_array_elements_text(g.modes) AS mode GROUP BY mode"
    )
    return grouped, modes


Facets = dict[str, list[tuple[str, int]]]
PageRows = list[tuple[int, bool, float]]


def _read_facets(rows: Any) -> tuple[int, int, Facets, PageRows]:
    facets: Facets = {name: [] for name in FACET_NAMES}
    total = all_total = 0
    page: list[tuple[int, int, bool, float]] = []
    for row in rows:
        if row.facet == PAGE_ROW:
            page.append((int(row.n), int(row.hit_id), bool(row.n_all), float(row.score)))
        elif row.facet == "":
            total, all_total = int(row.n), int(row.n_all)
        elif row.value not in (None, ""):
            facets[row.facet].append((str(row.value), int(row.n)))
    for counts in facets.values():
        counts.sort(key=lambda kv: (-kv[1], kv[0]))
    page.sort()
    return (
        total,
        all_total,
        facets,
        [(hit_id, all_words, score) for _, hit_id, all_words, score in page],
    )


def _facets(parsed: ParsedQuery) -> tuple[int, int, Facets]:
    """(total, all-words total, facet counts) in one statement, for a request without words."""
    params: dict[str, Any] = {}
    where = _where(parsed.kinds, parsed.filters, False, params)
    names = list(FACET_COLUMNS)
    grouped, modes = _facet_sql(names)
    statement = sa.text(f"""
        WITH m AS MATERIALIZED (
            SELECT {", ".join(names)}, modes, TRUE AS all_words FROM {FROM} WHERE {where}
        )
        SELECT facet, value, n, n_all, CAST(NULL AS bigint) AS hit_id,
               CAST(NULL AS real) AS score
        FROM ({grouped}) g
        UNION ALL SELECT facet, value, n, n_all, NULL, NULL FROM ({modes}) md
    """)  # noqa: S608
    total, all_total, facets, _ = _read_facets(db.session.execute(statement, params))
    return total, all_total, facets


def _facets_and_page(parsed: ParsedQuery) -> tuple[int, int, Facets, PageRows]:
    """(total, all-words total, facet counts, the page's (id, has all words, score)) in one
    statement: the hits are read once (for broad words, a quarter of all listings) and both the
    counts and the page are taken from that one materialised set.

    Hits with every word come first. Within each group, by relevance: ts_rank_cd looks for covers
    among all positions of the query's words (about 8 µs a row, 220 ms for a broad word's 26,000
    hits), while ts_rank weighs each word's positions without covers at a fraction of that cost
    and orders nearly alike — so ts_rank picks a pool of each group's best hits and only the pool
    is ordered by ts_rank_cd (agreement with ranking every hit: docs/performance.md). By date or
    price the page is exact and only its rows are scored.
    """
    params = _params(parsed.terms)
    where = _where(parsed.kinds, parsed.filters, True, params)
    names = list(FACET_COLUMNS)
    grouped, modes = _facet_sql(names)
    end = parsed.offset + parsed.per_page
    if parsed.sort == "relevance":
        pool_order = "s.pre DESC, s.published_at DESC NULLS LAST, s.listing_id DESC"
        params["pool"] = max(POOL_MIN, POOL_FACTOR * end)
    else:
        pool_order = SORT_SQL[parsed.sort]
        params["pool"] = end
    params.update(limit=parsed.per_page, offset=parsed.offset)
    statement = sa.text(f"""
        WITH m AS MATERIALIZED (
            SELECT s.listing_id, s.published_at, s.amount, {", ".join(names)}, s.modes,
                   s.vector @@ CAST(:all_q AS tsquery) AS all_words, {_PRE_SCORE} AS pre
            FROM {FROM} WHERE {where}
        ), pool AS (
            (SELECT s.listing_id, s.all_words FROM m s WHERE s.all_words
             ORDER BY {pool_order} LIMIT :pool)
            UNION ALL
            (SELECT s.listing_id, s.all_words FROM m s WHERE NOT s.all_words
             ORDER BY {pool_order} LIMIT :pool)
        ), page AS (
            SELECT s.*, row_number() OVER (ORDER BY s.all_words DESC, {SORT_SQL[parsed.sort]})
                   AS place
            FROM (
                SELECT s.listing_id, s.published_at, s.amount, p.all_words, {_SCORE} AS score
                FROM pool p JOIN {FROM} ON s.listing_id = p.listing_id
            ) s
        )
        SELECT facet, value, n, n_all, CAST(NULL AS bigint) AS hit_id,
               CAST(NULL AS real) AS score
        FROM ({grouped}) g
        UNION ALL SELECT facet, value, n, n_all, NULL, NULL FROM ({modes}) md
        UNION ALL SELECT '{PAGE_ROW}', NULL, place, CAST(all_words AS int), listing_id, score
        FROM page WHERE place > :offset AND place <= :offset + :limit
    """)  # noqa: S608
    return _read_facets(db.session.execute(statement, params))


def _ranked(parsed: ParsedQuery) -> PageRows:
    """The page of a request without words: newest first (or by price)."""
    params: dict[str, Any] = {}
    where = _where(parsed.kinds, parsed.filters, False, params)
    sort = SORT_SQL["newest" if parsed.sort == "relevance" else parsed.sort]
    params.update(limit=parsed.per_page, offset=parsed.offset)
    statement = sa.text(f"""
        SELECT s.listing_id AS id FROM {FROM} WHERE {where}
        ORDER BY {sort} LIMIT :limit OFFSET :offset
    """)  # noqa: S608
    return [(int(r.id), True, 0.0) for r in db.session.execute(statement, params)]


def search(request: SearchRequest, parsed: ParsedQuery) -> SearchResult:
    # Broad words push the facet statement's estimated cost past jit_above_cost, and compiling
    # it took longer (about 25 ms) than it saved on 26,000 rows; only this transaction is changed.
    db.session.execute(sa.text("SET LOCAL jit = off"))
    if parsed.terms:
        total, all_total, facets, page = _facets_and_page(parsed)
    else:
        total, all_total, facets = _facets(parsed)
        page = _ranked(parsed) if total else []
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


def _advice_totals(parsed: ParsedQuery) -> tuple[int, int]:
    """(hits of the other kinds with the filters, hits of the asked kinds without the filters),
    counted in one read of the hits (the word index finds every kind's; filters apply after)."""
    params = _params(parsed.terms)
    others = tuple(k for k in ("achievement", "demand") if k not in parsed.kinds)
    other_kinds = _where(others, parsed.filters, True, params, "o_") if others else "FALSE"
    unfiltered = _where(parsed.kinds, (), True, params, "u_") if parsed.filters else "FALSE"
    row = db.session.execute(
        sa.text(f"""
            SELECT count(*) FILTER (WHERE {other_kinds}) AS other_kinds,
                   count(*) FILTER (WHERE {unfiltered}) AS unfiltered
            FROM {FROM} WHERE s.status = 'published' AND s.vector @@ CAST(:any_q AS tsquery)
        """),  # noqa: S608
        params,
    ).one()
    return int(row.other_kinds), int(row.unfiltered)


def _advise(result: SearchResult, parsed: ParsedQuery) -> None:
    lexicon = PostgresLexicon()
    result.suggestion = suggest.did_you_mean(lexicon, parsed.raw)
    result.related_terms = suggest.related_terms(lexicon, parsed.terms)
    result.related_fields = suggest.related_fields(parsed.raw, parsed.terms)
    if parsed.terms and (parsed.filters or parsed.kind != "all"):
        result.other_kind_total, result.unfiltered_total = _advice_totals(parsed)
