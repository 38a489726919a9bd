"""The search-queue worker's start: make sure its own Whoosh index exists before it consumes.

With several hosts only the worker serving the ``search`` queue keeps Whoosh files (matching reads
them; web hosts search PostgreSQL). A new or replaced worker host starts with an empty disk and
the outbox messages of the past are long processed, so it builds the index from the database.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from whoosh import index as whoosh_index

from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.index import current_generation, index_root, reindex
from marketplace.search.schema import KINDS, make_schema

log = logging.getLogger(__name__)


def index_problem() -> str | None:
    """Why the local index cannot serve as is (absent, or built for other fields), or None."""
    root = index_root()
    generation = current_generation(root)
    if generation is None:
        return f"no search index in {root}"
    for kind in KINDS:
        try:
            ix = whoosh_index.open_dir(str(root / generation), indexname=kind)
        except Exception as error:  # a damaged or half-copied folder
            return f"the {kind} index cannot be opened ({error})"
        try:
            if set(ix.schema.names()) != set(make_schema(kind).names()):
                return f"the {kind} index has other fields than this version indexes"
            # An empty index (created by a reader, or a fresh folder) beside published listings.
            if ix.doc_count() == 0 and _published(kind):
                return f"the {kind} index is empty but the database has published listings"
        finally:
            ix.close()
    return None


def _published(kind: str) -> bool:
    return (
        db.session.execute(
            sa.select(Listing.id)
            .where(Listing.kind == kind, Listing.status == "published")
            .limit(1)
        ).first()
        is not None
    )


def ensure_local_index() -> bool:
    """Build the index from the database if it cannot serve; True if it was (re)built."""
    problem = index_problem()
    if problem is None:
        return False
    log.warning("%s: building it from the database before serving the search queue", problem)
    report = reindex(procs=1)
    log.warning(
        "search index built: %s documents in %.1f s", report["documents"], report["seconds"]
    )
    return True
