"""The Whoosh schema of each listing kind, and how a listing becomes an index document."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from whoosh.columns import RefBytesColumn
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from marketplace.listings.models import Listing
from marketplace.money import to_fen
from marketplace.search.analysis import ChineseAnalyzer
from marketplace.search.results import patent_terms
from marketplace.vocab import maturity_stage

KINDS = ("achievement", "demand")
EXCERPT_CHARS = 200

# Price / budget bands in CNY (upper bounds, exclusive); "negotiable" when no amount is given.
PRICE_BANDS: tuple[tuple[str, Decimal | None], ...] = (
    ("lt100k", Decimal(100_000)),
    ("100k_500k", Decimal(500_000)),
    ("500k_1m", Decimal(1_000_000)),
    ("1m_5m", Decimal(5_000_000)),
    ("gte5m", None),
)
FACET_FIELDS = ("field", "maturity_stage", "ip_type", "modes", "price_band", "province")


def price_band(amount: Decimal | None) -> str:
    if amount is None:
        return "negotiable"
    for code, upper in PRICE_BANDS:
        if upper is None or amount < upper:
            return code
    return PRICE_BANDS[-1][0]


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else to_fen(amount)


def _exact(field: NUMERIC) -> NUMERIC:
    """A numeric field indexed as its exact value only (one term, not one per trie level).

    Whoosh indexes a 64-bit number as 16 (DATETIME: 8) prefix terms so that ranges are fast;
    fields only stored, sorted or matched exactly do not need them, and those terms were a third
    of all postings written by a reindex. (Whoosh's ranges over unsigned 64-bit fields were
    also wrong: matching's budget filter let 5,000,000 through a 1,000,000 budget.)
    """
    field.shift_step = field.bits
    return field


def _facet_column() -> RefBytesColumn:
    return RefBytesColumn()


def make_schema(kind: str) -> Schema:
    """One schema per kind: text fields share the Chinese analyzer; facets are sortable columns.

    Text fields keep frequencies, not positions (``phrase=False``): no query uses phrases, and
    positions made every posting larger to write and to read. Facet columns are ``RefBytes``
    (a table of the few distinct values plus a small number per document): opening Whoosh's
    default variable-length column decodes an offset for every document, on every search.
    """
    analyzer = ChineseAnalyzer()
    fields: dict[str, Any] = {
        "id": ID(stored=True, unique=True),
        "title": TEXT(analyzer=analyzer, stored=True, phrase=False, multitoken_query="and"),
        "keywords": TEXT(analyzer=analyzer, stored=True, phrase=False, multitoken_query="and"),
        "text": TEXT(analyzer=analyzer, phrase=False, multitoken_query="and"),
        # The organisation's name and the patent numbers ("pn" + digits) are searched too.
        "org": TEXT(analyzer=analyzer, phrase=False, multitoken_query="and"),
        "patents": KEYWORD(scorable=True),
        "excerpt": STORED(),
        "field": ID(stored=True, sortable=_facet_column()),
        "maturity": _exact(NUMERIC(stored=True, sortable=True)),
        "maturity_stage": ID(stored=True, sortable=_facet_column()),
        "ip_type": ID(stored=True, sortable=_facet_column()),
        # The column holds the comma-joined modes, for query.ModesFacet's counts.
        "modes": KEYWORD(stored=True, commas=True, sortable=_facet_column()),
        "price_band": ID(stored=True, sortable=_facet_column()),
        "region": ID(stored=True),
        "province": ID(stored=True, sortable=_facet_column()),
        "org_kind": ID(stored=True, sortable=_facet_column()),
        "org_id": _exact(NUMERIC(stored=True)),
        "org_name": STORED(),
        "status": ID(stored=True),
        "published": _exact(DATETIME(stored=True, sortable=True)),
        "updated": STORED(),
    }
    # Amounts are sorted on and compared per candidate from their columns (matching's budget
    # rule), never searched as ranges: see _exact.
    if kind == "achievement":
        fields["price"] = _exact(NUMERIC(bits=64, stored=True, sortable=True, signed=False))
    else:
        fields["budget_min"] = _exact(NUMERIC(bits=64, stored=True, sortable=True, signed=False))
        fields["budget_max"] = _exact(NUMERIC(bits=64, stored=True, sortable=True, signed=False))
    return Schema(**fields)


def listing_region(listing: Listing) -> str | None:
    return listing.region or (listing.org.region if listing.org is not None else None)


def fingerprint(doc: dict[str, Any]) -> str:
    """A hash of everything indexed, which ``search check`` compares to find stale documents
    (a hash, not ``updated_at``, so that a view counter bump is not drift)."""
    content = json.dumps(
        {k: v for k, v in doc.items() if k != "updated"},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha1(content.encode("utf-8"), usedforsecurity=False).hexdigest()


def listing_document(listing: Listing) -> dict[str, Any]:
    """The index document of a published listing (money in integer fen)."""
    region = listing_region(listing)
    body = listing.body or ""
    doc: dict[str, Any] = {
        "id": str(listing.id),
        "title": listing.title,
        "keywords": " ".join(listing.keywords or []),
        "text": body,
        "excerpt": body[:EXCERPT_CHARS],
        "field": listing.field or "unclassified",
        "maturity_stage": maturity_stage(listing.maturity) or "unclassified",
        "ip_type": listing.ip_type or "unspecified",
        "modes": ",".join(listing.modes or []),
        "region": region or "",
        "province": (region[:2] + "0000") if region else "unknown",
        "org_kind": listing.org.kind if listing.org is not None else "unknown",
        "org_id": listing.org_id,
        "org_name": listing.org.name if listing.org is not None else "",
        "org": listing.org.name if listing.org is not None else "",
        "patents": " ".join(
            patent_terms(" ".join((listing.title, body, *(listing.patent_numbers or []))))
        ),
        "status": listing.status,
    }
    if listing.maturity is not None:
        doc["maturity"] = listing.maturity
    if listing.published_at is not None:
        doc["published"] = listing.published_at.replace(tzinfo=None)
    if listing.kind == "achievement":
        doc["price_band"] = price_band(listing.price)
        if listing.price is not None:
            doc["price"] = _fen(listing.price)
    else:
        doc["price_band"] = price_band(listing.budget_max or listing.budget_min)
        if listing.budget_min is not None:
            doc["budget_min"] = _fen(listing.budget_min)
        if listing.budget_max is not None:
            doc["budget_max"] = _fen(listing.budget_max)
    doc["updated"] = fingerprint(doc)
    return doc
