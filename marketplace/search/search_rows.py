"""The PostgreSQL backend's tables ``listing_search`` and ``search_postings``, kept in the
listing's transaction.

Each ``listing_search`` row is a projection of one listing and its organisation, computed in SQL
by one statement (``_UPSERT``) from the constants below — the only place the facet values are
defined for PostgreSQL. The postings of a published listing are a projection of that row: one
per word, with the word's own ``ts_rank`` and the row's facets packed (``facet_codes``). An
``after_flush`` hook runs both for every listing the flush wrote and for every listing of an
organisation whose region or name changed, so rows and postings are committed with the listing
or not at all; postings are rewritten only for rows that changed. Deleting a listing deletes
both (``ON DELETE CASCADE``).

Writes that bypass the ORM (bulk SQL) do not pass the hook: ``check_search_rows`` compares every
row and posting with the projection, ``refresh_search_range`` rewrites a range (``search
reindex``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation
from marketplace.listings.models import Listing
from marketplace.money import to_fen
from marketplace.search.backend import session_is_postgresql
from marketplace.search.facet_codes import pack_sql
from marketplace.search.schema import PRICE_BANDS

# ts_rank / ts_rank_cd weights of D, C, B, A.
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"

# The amount a listing is sorted and banded by, in fen: an achievement's price, a demand's
# budget (its upper bound when it has one).
_AMOUNT = (
    "(CASE WHEN l.kind = 'achievement' THEN l.price ELSE COALESCE(l.budget_max, l.budget_min) END)"
)


def _price_band_sql() -> str:
    cases = []
    for code, upper in PRICE_BANDS:
        if upper is None:
            cases.append(f"ELSE '{code}'")
        else:
            cases.append(f"WHEN {_AMOUNT} < {to_fen(upper)} THEN '{code}'")
    return f"(CASE WHEN {_AMOUNT} IS NULL THEN 'negotiable' {' '.join(cases)} END)"


_REGION = "COALESCE(NULLIF(l.region, ''), NULLIF(o.region, ''))"
# The facet value of each listing, as the Whoosh documents have it (schema.listing_document).
FACET_SQL = {
    "field": "COALESCE(l.field, 'unclassified')",
    "maturity_stage": (
        "(CASE WHEN l.maturity IS NULL THEN 'unclassified' "
        "WHEN l.maturity <= 3 THEN 'research' WHEN l.maturity <= 5 THEN 'lab' "
        "WHEN l.maturity <= 7 THEN 'pilot' ELSE 'industrial' END)"
    ),
    "ip_type": "COALESCE(l.ip_type, 'unspecified')",
    "price_band": _price_band_sql(),
    "province": (
        f"(CASE WHEN {_REGION} IS NULL THEN 'unknown' ELSE substr({_REGION}, 1, 2) || '0000' END)"
    ),
}
# Every column of ``listing_search`` but the key, and how it follows from the listing.
ROW_SQL = {
    "kind": "l.kind",
    "status": "l.status",
    "published_at": "l.published_at",
    "amount": _AMOUNT,
    **FACET_SQL,
    "modes": (
        "(CASE WHEN jsonb_typeof(CAST(l.modes AS jsonb)) = 'array' "
        "THEN CAST(l.modes AS jsonb) ELSE '[]'::jsonb END)"
    ),
    "vector": "l.search_vector",
}
_PROJECTION = (
    "SELECT l.id AS listing_id, "  # noqa: S608 — module constants only
    + ", ".join(f"{sql} AS {name}" for name, sql in ROW_SQL.items())
    + " FROM listings l JOIN organisations o ON o.id = l.org_id"
)
# FOR SHARE OF o: a transaction changing the organisation's region (or name) concurrently
# either waits for this one and then rewrites the rows itself, or is waited for and its new
# values are read here (READ COMMITTED re-reads a locked row) — neither overwrites the other.
# Rows already equal to their projection are locked but not rewritten, and not returned.
_UPSERT = (
    f"INSERT INTO listing_search (listing_id, {', '.join(ROW_SQL)}) "
    f"{_PROJECTION} WHERE {{where}} FOR SHARE OF o "
    "ON CONFLICT (listing_id) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in ROW_SQL)
    + f" WHERE ({', '.join(f'listing_search.{name}' for name in ROW_SQL)}) IS DISTINCT FROM "
    + f"({', '.join(f'EXCLUDED.{name}' for name in ROW_SQL)}) RETURNING listing_id"
)

# A word as a one-word tsquery, quoted as pg_search.tsquery_text quotes what people type.
_WORD_QUERY = (
    r"CAST('''' || replace(replace(u.lexeme, '\', '\\'), '''', '''''') || '''' AS tsquery)"
)
POSTING_SQL = {
    "weight": f"ts_rank('{RANK_WEIGHTS}', s.vector, {_WORD_QUERY})",
    "facets": pack_sql("s"),
    "published_at": "s.published_at",
    "amount": "s.amount",
}
_POSTINGS_PROJECTION = (
    "SELECT u.lexeme AS word, s.listing_id, "  # noqa: S608 — module constants only
    + ", ".join(f"{sql} AS {name}" for name, sql in POSTING_SQL.items())
    + " FROM listing_search s, unnest(s.vector) u WHERE s.status = 'published'"
)


def _rewrite_postings(connection: Connection, where: str, params: dict[str, Any]) -> None:
    """Replace the postings of the listings ``where`` selects (a condition on ``listing_id``)
    by their projection; the caller holds the listing_search rows' locks."""
    delete = f"DELETE FROM search_postings WHERE {where}"  # noqa: S608 — callers pass constants
    connection.execute(sa.text(delete), params)
    connection.execute(
        sa.text(
            f"INSERT INTO search_postings (word, listing_id, {', '.join(POSTING_SQL)}) "
            f"{_POSTINGS_PROJECTION} AND s.{where}"
        ),
        params,
    )


def refresh_search_rows(
    connection: Connection, listing_ids: Sequence[int] = (), org_ids: Sequence[int] = ()
) -> None:
    """Rewrite the rows of these listings and of every listing of these organisations."""
    clauses = []
    params: dict[str, Any] = {}
    if listing_ids:
        clauses.append("l.id = ANY(:ids)")
        params["ids"] = sorted(set(listing_ids))
    if org_ids:
        clauses.append("l.org_id = ANY(:orgs)")
        params["orgs"] = sorted(set(org_ids))
    if not clauses:
        return
    changed = connection.execute(sa.text(_UPSERT.format(where=" OR ".join(clauses))), params)
    changed_ids = sorted(int(row.listing_id) for row in changed)
    if changed_ids:
        _rewrite_postings(connection, "listing_id = ANY(:changed)", {"changed": changed_ids})


def refresh_search_range(connection: Connection, first_id: int, last_id: int) -> None:
    """Rewrite the rows and postings of the listings with ids in ``first_id..last_id`` (reindex
    batches) — the postings even where the row was current, as bulk SQL may have broken them."""
    bounds = {"lo": first_id, "hi": last_id}
    connection.execute(sa.text(_UPSERT.format(where="l.id BETWEEN :lo AND :hi")), bounds)
    _rewrite_postings(connection, "listing_id BETWEEN :lo AND :hi", bounds)


def _changed(obj: Any, *names: str) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: Any) -> None:
    # after_flush: the listings' rows (and new ids) are written, and session.new / dirty and the
    # attribute histories still describe what this flush changed.
    if not session_is_postgresql(session):
        return
    written = [*session.new, *session.dirty]
    listing_ids = [o.id for o in written if isinstance(o, Listing) and o.id is not None]
    org_ids = [
        o.id
        for o in session.dirty
        if isinstance(o, Organisation) and o.id is not None and _changed(o, "region", "name")
    ]
    refresh_search_rows(session.connection(), listing_ids, org_ids)


def register_search_rows_upkeep() -> None:
    """Keep ``listing_search`` current on every flush (idempotent; PostgreSQL sessions only)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def check_search_rows(connection: Connection) -> list[tuple[str, int, str]]:
    """(kind, id, "missing" | "stale" | "postings") of every listing whose row is absent or
    differs from its projection, or whose postings differ from the row's (rows and postings
    without a listing cannot exist: the foreign keys cascade)."""
    compared = " OR ".join(f"s.{name} IS DISTINCT FROM p.{name}" for name in ROW_SQL)
    rows = connection.execute(
        sa.text(
            f"SELECT p.kind, p.listing_id AS id, "  # noqa: S608 — module constants only
            f"CASE WHEN s.listing_id IS NULL THEN 'missing' ELSE 'stale' END AS problem "
            f"FROM ({_PROJECTION}) p LEFT JOIN listing_search s ON s.listing_id = p.listing_id "
            f"WHERE s.listing_id IS NULL OR {compared} ORDER BY p.listing_id"
        )
    )
    problems = [(str(r.kind), int(r.id), str(r.problem)) for r in rows]
    differs = " OR ".join(f"e.{name} IS DISTINCT FROM p.{name}" for name in POSTING_SQL)
    postings = connection.execute(
        sa.text(
            "SELECT l.kind, l.id FROM listings l WHERE l.id IN ("  # noqa: S608 — constants only
            "SELECT COALESCE(e.listing_id, p.listing_id) FROM "
            f"({_POSTINGS_PROJECTION}) e FULL JOIN search_postings p "
            "ON p.word = e.word AND p.listing_id = e.listing_id "
            f"WHERE e.word IS NULL OR p.word IS NULL OR {differs}) ORDER BY l.id"
        )
    )
    return problems + [(str(r.kind), int(r.id), "postings") for r in postings]
