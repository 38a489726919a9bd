"""The PostgreSQL search backend: postings and narrow rows, no index files.

The query's terms (cut by the same jieba analyzer as the vectors) are looked up in
``search_postings``: each posting is one word of one published listing with that word's own
``ts_rank`` and the listing's facets packed into one integer (``facet_codes``), all read from the
primary key's index. Summed per listing, the postings give each hit its words (those with every
word come first), a rank that orders hits as ``ts_rank`` of the terms joined by ``|`` would, and
its facets — so the hits are counted and pooled without reading any other table. Only the pool of
best hits is read in ``listing_search`` and ordered by ``ts_rank_cd`` over the weighted words
(title A, keywords and patent numbers B, text C, organisation D). Requests without words are
counted and paged in ``listing_search``.

Every SQL text below is put together from this module's constants only; whatever the user typed
reaches PostgreSQL as bound parameters (the terms as an array and as ``tsquery`` literals).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search import suggest
from marketplace.search.facet_codes import MODE_CODES, SLOT, SLOTS, filter_sql, mode_bit
from marketplace.search.results import (
    FACET_NAMES,
    FILTERS,
    ParsedQuery,
    SearchHit,
    SearchRequest,
    SearchResult,
    highlight_text,
    is_patent_term,
)
from marketplace.search.schema import listing_document
from marketplace.search.search_rows import FACET_SQL, RANK_WEIGHTS
from marketplace.search.vectors import lexicon_words

_SCORE = f"ts_rank_cd('{RANK_WEIGHTS}', s.vector, CAST(:any_q AS tsquery))"
# The pool ts_rank_cd orders: at least this many of each group's best hits by ts_rank, and this
# many times the rows up to the end of the requested page.
POOL_MIN = 200
POOL_FACTOR = 5
PAGE_ROW = "#page"  # the facet name that marks the page's rows in the combined statement

FACET_COLUMNS = tuple(FACET_SQL)
SORT_SQL = {
    "relevance": "score DESC, s.published_at DESC NULLS LAST, s.listing_id DESC",
    "newest": "s.published_at DESC NULLS LAST, s.listing_id DESC",
    "price": "s.amount ASC NULLS LAST, s.listing_id DESC",
}
# Requests without words read the narrow rows (marketplace.search.search_rows), never the wide
# listings; requests with words read the postings, and the narrow rows of their pool only.
FROM = "listing_search s"
# One row per hit: its words' summed ts_rank, whether it has every word, its packed facets and
# sort keys (the same in each of its postings).
HITS = """
    SELECT p.listing_id, sum(p.weight) AS pre, count(*) = :n_terms AS all_words,
           max(p.facets) AS facets, max(p.published_at) AS published_at, max(p.amount) AS amount
    FROM search_postings p WHERE p.word = ANY(CAST(:terms AS text[])) AND {where}
    GROUP BY p.listing_id
"""


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_text(terms: list[str], operator: str) -> str:
    """A ``tsquery`` literal of the terms, taken as they are (no parsing, no stemming)."""
    return f" {operator} ".join(_quote(term) for term in terms)


def _where(
    kinds: tuple[str, ...], filters: tuple[tuple[str, str], ...], params: dict[str, Any]
) -> str:
    """Conditions on ``listing_search s`` for the kinds asked and the filters."""
    clauses = ["s.status = 'published'"]
    if len(kinds) == 1:
        clauses.append("s.kind = :kind")
        params["kind"] = kinds[0]
    for i, (name, value) in enumerate(filters):
        key = f"f{i}"
        params[key] = value
        column = FILTERS.get(name)
        if column == "modes":
            clauses.append(f"s.modes @> jsonb_build_array(CAST(:{key} AS text))")
        elif column is not None:
            clauses.append(f"s.{column} = :{key}")
    return " AND ".join(clauses)


def _term_params(terms: list[str]) -> dict[str, Any]:
    distinct = sorted(set(terms))
    return {"terms": distinct, "n_terms": len(distinct), "any_q": tsquery_text(distinct, "|")}


def _grouped_sql(names: list[str], source: str) -> str:
    """Counts of each value of each of the columns ``names`` of ``source`` (which has
    ``all_words``), plus the totals (the row whose facet is ``''``), in one pass."""
    which = " ".join(f"WHEN GROUPING({name}) = 0 THEN '{name}'" for name in names)
    return f"""
        SELECT CASE {which} ELSE '' END AS facet, COALESCE({", ".join(names)}) AS value,
               count(*) AS n, count(*) FILTER (WHERE all_words) AS n_all
        FROM {source} GROUP BY GROUPING SETS ({", ".join(f"({n})" for n in names)}, ())
    """  # noqa: S608 — module constants only


def _facet_sql(names: list[str]) -> tuple[str, str]:
    """The facet counting part over the rows ``m`` of a request without words (text values): the
    grouped rows and the modes."""
    # A listing has several modes: group the rows by their list of modes first (a few hundred
    # lists), and only then spread the lists — spreading every row's list cost ~35 ms a query.
    modes = (
        "SELECT 'modes' AS facet, mode AS value, sum(g.n) AS n, 0 AS n_all "
        "FROM (SELECT modes, count(*) AS n FROM m GROUP BY modes) g, "
        "jsonb_array_elements_text(g.modes) AS mode GROUP BY mode"
    )
    return _grouped_sql(names, "m"), modes


def _code_facet_sql() -> tuple[str, str]:
    """The facet counting part over the hits ``m`` of a request with words (packed facets, see
    facet_codes): the grouped codes and the modes, one count per mode bit in one pass."""
    codes = ", ".join(f"{slot.extract_sql('facets')} AS {slot.facet}" for slot in SLOTS)
    grouped = _grouped_sql(
        [slot.facet for slot in SLOTS],
        f"(SELECT {codes}, all_words FROM m) c",  # noqa: S608
    )
    counts = ", ".join(
        f"count(*) FILTER (WHERE (facets & {mode_bit(mode)}) <> 0) AS m{i}"
        for i, mode in enumerate(MODE_CODES)
    )
    values = ", ".join(f"({i}, m{i})" for i in range(len(MODE_CODES)))
    modes = (
        "SELECT 'modes' AS facet, v.code AS value, v.n, 0 AS n_all "  # noqa: S608
        f"FROM (SELECT {counts} FROM m) c, LATERAL (VALUES {values}) AS v(code, n)"
    )
    return grouped, modes


def _code_value(facet: str, code: Any) -> str:
    if facet == "modes":
        return MODE_CODES[int(code)]
    return SLOT[facet].value(int(code))


Facets = dict[str, list[tuple[str, int]]]
PageRows = list[tuple[int, bool, float]]


def _read_facets(rows: Any, coded: bool) -> tuple[int, int, Facets, PageRows]:
    facets: Facets = {name: [] for name in FACET_NAMES}
    total = all_total = 0
    page: list[tuple[int, int, bool, float]] = []
    for row in rows:
        if row.facet == PAGE_ROW:
            page.append((int(row.n), int(row.hit_id), bool(row.n_all), float(row.score)))
        elif row.facet == "":
            total, all_total = int(row.n), int(row.n_all)
        elif coded and row.n:
            facets[row.facet].append((_code_value(row.facet, row.value), int(row.n)))
        elif not coded and row.value not in (None, ""):
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
    where = _where(parsed.kinds, parsed.filters, params)
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
    total, all_total, facets, _ = _read_facets(db.session.execute(statement, params), False)
    return total, all_total, facets


def _facets_and_page(parsed: ParsedQuery) -> tuple[int, int, Facets, PageRows]:
    """(total, all-words total, facet counts, the page's (id, has all words, score)) in one
    statement: the hits are gathered once from the postings (for broad words, a quarter of all
    listings) and both the counts and the page are taken from that one materialised set.

    Hits with every word come first. Within each group, by relevance: ts_rank_cd looks for covers
    among all positions of the query's words (about 8 µs a row, 220 ms for a broad word's 26,000
    hits), while the postings' summed ts_rank costs nothing more and orders nearly alike — so it
    picks a pool of each group's best hits and only the pool is ordered by ts_rank_cd (agreement
    with ranking every hit: docs/performance.md). By date or price the page is exact and only its
    rows are scored.
    """
    params = _term_params(parsed.terms)
    where = filter_sql("p.facets", parsed.kinds, parsed.filters, FILTERS, params)
    grouped, modes = _code_facet_sql()
    end = parsed.offset + parsed.per_page
    if parsed.sort == "relevance":
        pool_order = "s.pre DESC, s.published_at DESC NULLS LAST, s.listing_id DESC"
        params["pool"] = max(POOL_MIN, POOL_FACTOR * end)
    else:
        pool_order = SORT_SQL[parsed.sort]
        params["pool"] = end
    params.update(limit=parsed.per_page, offset=parsed.offset)
    statement = sa.text(f"""
        WITH m AS MATERIALIZED ({HITS.format(where=where)}), pool AS (
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
    return _read_facets(db.session.execute(statement, params), True)


def _ranked(parsed: ParsedQuery) -> PageRows:
    """The page of a request without words: newest first (or by price)."""
    params: dict[str, Any] = {}
    where = _where(parsed.kinds, parsed.filters, params)
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
    params = _term_params(parsed.terms)
    others = tuple(k for k in ("achievement", "demand") if k not in parsed.kinds)
    other_kinds = (
        filter_sql("h.facets", others, parsed.filters, FILTERS, params, "o_") if others else "FALSE"
    )
    unfiltered = (
        filter_sql("h.facets", parsed.kinds, (), FILTERS, params, "u_")
        if parsed.filters
        else "FALSE"
    )
    row = db.session.execute(
        sa.text(f"""
            SELECT count(*) FILTER (WHERE {other_kinds}) AS other_kinds,
                   count(*) FILTER (WHERE {unfiltered}) AS unfiltered
            FROM ({HITS.format(where="TRUE")}) h
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
