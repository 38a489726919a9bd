"""The PostgreSQL search columns: computed when a listing is written, in the same transaction.

``listings.search_vector`` holds the words of a listing as cut by the project's jieba analyzer
(the same as the Whoosh index), weighted title A, keywords and patent numbers B, text C,
organisation name D; ``listings.search_hash`` a hash of the inputs. A ``before_flush`` hook sets
both for every listing whose inputs changed (and for every listing of a renamed organisation), so
the words are committed with the row or not at all: no queue, no lag, no lost update.

Writes that bypass the ORM (bulk SQL) do not pass the hook: ``check`` finds those rows by the
hash, ``reindex`` recomputes every row in batches.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.search.backend import session_is_postgresql
from marketplace.search.results import analyzer, is_patent_term, patent_terms
from marketplace.search.search_rows import check_search_rows, refresh_search_range
from marketplace.text.textproc import DATA

MAX_POSITION = 16383  # PostgreSQL's largest word position
MAX_POSITIONS_PER_WORD = 256
MAX_WORD_BYTES = 200  # longer "words" (pasted URLs, base64) are not worth a lexeme
# Bump when the way vectors are built changes: every row becomes stale for `search check`.
VECTOR_VERSION = "1"


@cache
def analyzer_version() -> str:
    """Changes whenever the vector format or the analyzer's dictionaries change."""
    digest = hashlib.sha1(VECTOR_VERSION.encode(), usedforsecurity=False)
    for name in ("user_dict.txt", "stopwords.txt"):
        digest.update(resources.files(DATA).joinpath(name).read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class VectorInputs:
    title: str
    keywords: tuple[str, ...]
    body: str
    org_name: str
    patent_numbers: tuple[str, ...]

    def digest(self) -> str:
        content = json.dumps(
            [
                analyzer_version(),
                self.title,
                self.keywords,
                self.body,
                self.org_name,
                self.patent_numbers,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha1(content.encode("utf-8"), usedforsecurity=False).hexdigest()


def _quote(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(inputs: VectorInputs) -> str:
    """The ``tsvector`` literal of a listing: every analysed word with its positions and weight."""
    positions: dict[str, list[str]] = {}
    base = 0

    def add(text: str, weight: str) -> None:
        nonlocal base
        last = base
        for token in analyzer()(text, positions=True):
            word = token.text
            if len(word.encode("utf-8")) > MAX_WORD_BYTES:
                continue
            position = min(MAX_POSITION, base + token.pos + 1)
            last = max(last, position)
            entries = positions.setdefault(word, [])
            if len(entries) < MAX_POSITIONS_PER_WORD:
                entries.append(f"{position}{weight}")
        base = last + 1  # a gap, so that sections never count as adjacent

    add(inputs.title, "A")
    add(" ".join(inputs.keywords), "B")
    for term in patent_terms(" ".join((inputs.title, inputs.body, *inputs.patent_numbers))):
        base = min(MAX_POSITION - 1, base + 1)
        positions.setdefault(term, []).append(f"{base}B")
    add(inputs.body, "C")
    add(inputs.org_name, "D")
    return " ".join(
        f"{_quote(word)}:{','.join(dict.fromkeys(entries))}" for word, entries in positions.items()
    )


def inputs_of(listing: Listing, org_name: str) -> VectorInputs:
    return VectorInputs(
        title=listing.title or "",
        keywords=tuple(listing.keywords or ()),
        body=listing.body or "",
        org_name=org_name,
        patent_numbers=tuple(listing.patent_numbers or ()),
    )


def _org_name(session: Session, listing: Listing) -> str:
    org = listing.org if "org" in listing.__dict__ else None
    if org is None and listing.org_id is not None:
        with session.no_autoflush:
            org = session.get(Organisation, listing.org_id)
    return org.name if org is not None else ""


def refresh_vector(session: Session, listing: Listing, force: bool = False) -> bool:
    """Recompute the listing's search columns if their inputs changed; True if it did."""
    inputs = inputs_of(listing, _org_name(session, listing))
    digest = inputs.digest()
    if not force and listing.search_hash == digest:
        return False
    listing.search_vector = tsvector_text(inputs)
    listing.search_hash = digest
    return True


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if not session_is_postgresql(session):
        return
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, Listing):
                refresh_vector(session, obj)
        renamed = [
            obj.id
            for obj in session.dirty
            if isinstance(obj, Organisation)
            and obj.id is not None
            and sa.inspect(obj).attrs.name.history.has_changes()
        ]
        if renamed:
            listings = (
                session.execute(sa.select(Listing).where(Listing.org_id.in_(renamed)))
                .scalars()
                .all()
            )
            for listing in listings:
                refresh_vector(session, listing)


def register_vector_upkeep() -> None:
    """Keep the search columns current on every flush (idempotent; PostgreSQL sessions only)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


# -- reindex, check, lexicon ---------------------------------------------------------------------


def vector_rows_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar_one()


def reindex_vectors(
    batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Recompute every listing's search columns, ``batch_size`` rows per transaction.

    Each batch locks its rows (``FOR UPDATE``) while it computes, so a listing edited meanwhile
    waits a moment instead of having its new words overwritten by ones computed from the old
    text. Ends with a lexicon refresh.
    """
    t0 = time.perf_counter()
    last = 0
    done = 0
    while True:
        with Session(db.engine) as session, session.begin():
            rows = session.execute(
                sa.select(
                    Listing.id,
                    Listing.title,
                    Listing.keywords,
                    Listing.body,
                    Listing.patent_numbers,
                    Organisation.name,
                )
                .join(Organisation, Organisation.id == Listing.org_id, isouter=True)
                .where(Listing.id > last)
                .order_by(Listing.id)
                .limit(batch_size)
                .with_for_update(of=Listing)
            ).all()
            if not rows:
                break
            values = []
            for row in rows:
                inputs = VectorInputs(
                    title=row.title or "",
                    keywords=tuple(row.keywords or ()),
                    body=row.body or "",
                    org_name=row.name or "",
                    patent_numbers=tuple(row.patent_numbers or ()),
                )
                values.append(
                    {"row_id": row.id, "vector": tsvector_text(inputs), "digest": inputs.digest()}
                )
            table = sa.table(
                "listings", sa.column("id"), sa.column("search_vector"), sa.column("search_hash")
            )
            session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"))
                .values(
                    search_vector=sa.cast(sa.bindparam("vector"), TSVECTOR),
                    search_hash=sa.bindparam("digest"),
                ),
                values,
            )
            # The narrow rows are copied from the rows just written, under the same locks.
            refresh_search_range(session.connection(), rows[0].id, rows[-1].id)
            last = rows[-1].id
        done += len(rows)
        if progress is not None:
            progress(len(rows))
    # Every row was just rewritten: without this the table holds a dead copy of each row and no
    # planner statistics until autovacuum gets to it, and the first minutes of searches and
    # browse pages scan twice the heap with blind plans (1 s per page at 100,000 listings).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM (ANALYZE) listings"))
        conn.execute(sa.text("VACUUM (ANALYZE) listing_search"))
        conn.execute(sa.text("VACUUM (ANALYZE) search_postings"))
        # Every posting was deleted and written again: the B-trees keep the dead half's pages
        # (the key index 320 → 670 MB at 100,000 listings). Rebuilt beside the live ones, so
        # searches and writes go on meanwhile.
        conn.execute(sa.text("REINDEX TABLE CONCURRENTLY search_postings"))
    words = refresh_lexicon()
    seconds = time.perf_counter() - t0
    return {
        "documents": done,
        "words": words,
        "seconds": seconds,
        "docs_per_second": done / seconds if seconds else 0.0,
    }


@dataclass
class VectorCheck:
    missing: list[tuple[str, int]] = field(default_factory=list)  # published, no vector
    stale: list[tuple[str, int]] = field(default_factory=list)  # computed from other inputs
    # (kind, id, "missing" | "stale" | "postings"): listing_search rows that are not the
    # listing's projection, listings whose postings are not their row's
    rows: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.rows)

    def lines(self) -> list[str]:
        return (
            [f"missing {kind} {i}" for kind, i in self.missing]
            + [f"stale {kind} {i}" for kind, i in self.stale]
            + [
                f"stale postings of {kind} {i}"
                if problem == "postings"
                else f"{problem} search row {kind} {i}"
                for kind, i, problem in self.rows
            ]
        )


def check_vectors(chunk: int = 2000) -> VectorCheck:
    """Published listings whose search columns are absent or not computed from their text, and
    listings whose ``listing_search`` row is absent or out of step."""
    report = VectorCheck()
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(
                Listing.id,
                Listing.kind,
                Listing.title,
                Listing.keywords,
                Listing.body,
                Listing.patent_numbers,
                Listing.search_hash,
                Listing.search_vector.is_(None).label("no_vector"),
                Organisation.name,
            )
            .join(Organisation, Organisation.id == Listing.org_id, isouter=True)
            .where(Listing.status == "published", Listing.id > last)
            .order_by(Listing.id)
            .limit(chunk)
        ).all()
        if not rows:
            break
        for row in rows:
            inputs = VectorInputs(
                title=row.title or "",
                keywords=tuple(row.keywords or ()),
                body=row.body or "",
                org_name=row.name or "",
                patent_numbers=tuple(row.patent_numbers or ()),
            )
            if row.no_vector:
                report.missing.append((row.kind, row.id))
            elif row.search_hash != inputs.digest():
                report.stale.append((row.kind, row.id))
        last = rows[-1].id
    report.rows = check_search_rows(db.session.connection())
    db.session.rollback()
    return report


def refresh_lexicon() -> int:
    """Rebuild ``search_words`` from the published listings' vectors; returns the word count."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM search_words"))
        conn.execute(
            sa.text(
                "INSERT INTO search_words (word, doc_count) "
                "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM listings "
                "WHERE status = ''published'' AND search_vector IS NOT NULL') "
                "WHERE length(word) <= 100"
            )
        )
        count = conn.execute(sa.text("SELECT count(*) FROM search_words")).scalar_one()
    return int(count)


def lexicon_words(words: Iterable[str]) -> dict[str, int]:
    """Known words among ``words`` with their listing counts."""
    words = list(words)
    if not words:
        return {}
    rows = db.session.execute(
        sa.text("SELECT word, doc_count FROM search_words WHERE word = ANY(:words)"),
        {"words": words},
    )
    return {row.word: int(row.doc_count) for row in rows if not is_patent_term(row.word)}
