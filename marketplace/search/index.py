"""The search index on disk: generations, the single writer, drains, reindex, check, searchers.

Layout under ``SEARCH_INDEX_DIR``: ``gen-*/`` directories, each holding one Whoosh index per
listing kind, and a ``CURRENT`` file naming the live generation. A reindex builds a new
generation aside and replaces ``CURRENT`` atomically (``os.replace``); readers notice the new name
on their next search. ``writer.lock`` (an flock) serialises the outbox drain with the swap, on top
of Whoosh's own per-index lock (``LockError`` is retried, never bypassed with AsyncWriter).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, joinedload
from whoosh import index as whoosh_index
from whoosh.index import Index, LockError
from whoosh.searching import Searcher

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.outbox import Item, OutboxMessage, drain
from marketplace.search.codec import WriterCodec
from marketplace.search.rematch import rematch_unmatched
from marketplace.search.schema import KINDS, listing_document, make_schema
from marketplace.text.textproc import stop_words, tokenizer

log = logging.getLogger(__name__)

POINTER = "CURRENT"
LOCK_FILE = "writer.lock"
WRITER_LOCK_TIMEOUT = 120.0


def index_root(root: str | Path | None = None) -> Path:
    return Path(root or current_app.config["SEARCH_INDEX_DIR"])


# -- generations ---------------------------------------------------------------------------------


def _new_generation_name() -> str:
    return f"gen-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"


def _create_generation(root: Path) -> str:
    name = _new_generation_name()
    path = root / name
    path.mkdir(parents=True)
    for kind in KINDS:
        whoosh_index.create_in(str(path), make_schema(kind), indexname=kind)
    return name


def _write_pointer(root: Path, name: str) -> None:
    tmp = root / f"{POINTER}.{secrets.token_hex(4)}.tmp"
    tmp.write_text(name, encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, root / POINTER)  # atomic: readers see the old or the new name, never half


def current_generation(root: Path) -> str | None:
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if name and (root / name).is_dir() else None


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Serialise index writers across processes (drain, swap, tests)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_index(root: Path) -> str:
    """The live generation, creating an empty one the first time."""
    name = current_generation(root)
    if name:
        return name
    with writer_lock(root):
        name = current_generation(root)
        if name is None:
            name = _create_generation(root)
            _write_pointer(root, name)
    return name


def open_index(root: Path, kind: str, generation: str | None = None) -> Index:
    name = generation or ensure_index(root)
    return whoosh_index.open_dir(str(root / name), indexname=kind)


def _writer(ix: Index, **kwargs: Any) -> Any:
    """``ix.writer()`` retried while another writer holds Whoosh's lock (it does not wait)."""
    deadline = time.monotonic() + WRITER_LOCK_TIMEOUT
    delay = 0.05
    kwargs.setdefault("codec", WriterCodec())
    while True:
        try:
            return ix.writer(**kwargs)
        except LockError:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


# -- applying changes ------------------------------------------------------------------------------


def _load_listings(ids: Iterable[int]) -> dict[int, Listing]:
    ids = sorted(set(ids))
    found: dict[int, Listing] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = (
            db.session.execute(
                sa.select(Listing).options(joinedload(Listing.org)).where(Listing.id.in_(chunk))
            )
            .unique()
            .scalars()
        )
        found.update({row.id: row for row in rows})
    return found


def _apply(root: Path, generation: str, listing_ids: Iterable[int]) -> tuple[int, int]:
    """Make the index match the database for these listings; returns (indexed, removed)."""
    ids = sorted(set(listing_ids))
    listings = _load_listings(ids)
    indexed = removed = 0
    for kind in KINDS:
        ix = open_index(root, kind, generation)
        writer = _writer(ix)
        try:
            for listing_id in ids:
                listing = listings.get(listing_id)
                if listing is not None and listing.kind == kind and listing.status == "published":
                    writer.update_document(**listing_document(listing))
                    indexed += 1
                else:
                    # Unpublished, deleted or of the other kind: make sure it is not here.
                    writer.delete_by_term("id", str(listing_id))
                    if listing is None or listing.kind == kind:
                        removed += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        finally:
            ix.close()
    return indexed, removed


def index_listings(listing_ids: Iterable[int], root: str | Path | None = None) -> tuple[int, int]:
    """Index (or remove) these listings now, as the single writer."""
    path = index_root(root)
    ensure_index(path)
    with writer_lock(path):
        return _apply(path, ensure_index(path), listing_ids)


def drain_search_outbox(batch_size: int = 200, root: str | Path | None = None) -> int:
    """Apply pending ``search`` outbox messages; returns how many were processed.

    ``outbox.drain`` in batch mode: each batch is written to the index (one commit per kind,
    under the writer lock), then one short database transaction marks the messages processed
    and queues matching for listings of the other kind that have none yet (see
    ``matching.rematch_unmatched``). A crash before that commit leaves them pending and they are
    simply applied again — indexing a listing's current state is idempotent. A bad message is
    retried alone, and given up after the outbox's attempts cap.
    """
    path = index_root(root)
    ensure_index(path)

    def apply(items: list[Item]) -> None:
        ids = []
        for _message_id, payload in items:
            listing_id = (payload or {}).get("listing_id")
            if not isinstance(listing_id, int):
                raise ValueError(f"bad search payload: {payload!r}")
            ids.append(listing_id)
        with writer_lock(path):
            _apply(path, ensure_index(path), ids)

    def then(items: list[Item]) -> None:
        rematch_unmatched(payload["listing_id"] for _message_id, payload in items)

    return drain(
        "search", apply, batch=True, then=then, transient=(LockError,), batch_size=batch_size
    )


# -- full reindex and check ----------------------------------------------------------------------


def published_query(kind: str) -> sa.Select:
    return (
        sa.select(Listing)
        .options(joinedload(Listing.org))
        .where(Listing.kind == kind, Listing.status == "published")
        .order_by(Listing.id)
    )


def published_count() -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Listing).where(Listing.status == "published")
    ).scalar_one()


def _documents(kind: str, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """Index documents of every published listing of ``kind``, read in chunks on a session of
    their own (memory stays flat over 100k rows; the caller's session is left alone)."""
    last = 0
    while True:
        with Session(db.engine) as session:
            rows = (
                session.execute(published_query(kind).where(Listing.id > last).limit(chunk))
                .unique()
                .scalars()
                .all()
            )
            docs = [listing_document(row) for row in rows]
        if not docs:
            return
        yield from docs
        last = int(docs[-1]["id"])


def reindex(
    root: str | Path | None = None, procs: int = 2, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Build a fresh generation from the database aside, then swap it in atomically.

    Changes still pending in the outbox are drained into the new generation after the swap; the
    ones the drain applied to the old generation while we were building are re-applied to the new
    one under the writer lock right at the swap, so nothing published meanwhile is lost.
    """
    path = index_root(root)
    path.mkdir(parents=True, exist_ok=True)
    started = utcnow()
    t0 = time.perf_counter()
    name = _create_generation(path)
    # Load jieba and the stop words before the writer forks its workers, which then inherit
    # them instead of each spending a second or more loading the dictionary again.
    tokenizer()
    stop_words()
    counts: dict[str, int] = {}
    for kind in KINDS:
        ix = whoosh_index.open_dir(str(path / name), indexname=kind)
        # procs > 1 needs multisegment=True (without it the merge step can crash).
        # limitmb: Whoosh spills postings beyond it to disk one pickle per posting and merges
        # them back, which cost a third of the time at 20,000 documents; 1 GB (an estimate,
        # per process) keeps 100,000 documents over two processes in memory.
        options: dict[str, Any] = {"limitmb": 1024, "codec": WriterCodec()}
        if procs > 1:
            options.update(procs=procs, multisegment=True)
        writer = ix.writer(**options)
        count = 0
        try:
            for doc in _documents(kind):
                writer.add_document(**doc)
                count += 1
                if progress is not None:
                    progress(1)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        finally:
            ix.close()
        # Whoosh's multi-process writer drops a worker's segment without a word if the worker
        # died; never swap in an index that lacks documents.
        built = whoosh_index.open_dir(str(path / name), indexname=kind)
        try:
            if built.doc_count() != count:
                raise RuntimeError(
                    f"reindex of {kind}: {count} documents added but "
                    f"{built.doc_count()} in the new index"
                )
        finally:
            built.close()
        counts[kind] = count
    with writer_lock(path):
        previous = current_generation(path)
        _write_pointer(path, name)
        # Changes the drain wrote into the old generation while we were building.
        changed = (
            db.session.execute(
                sa.select(OutboxMessage.payload).where(
                    OutboxMessage.topic == "search", OutboxMessage.processed_at >= started
                )
            )
            .scalars()
            .all()
        )
        changed = [
            p["listing_id"]
            for p in changed
            if isinstance(p, dict) and isinstance(p.get("listing_id"), int)
        ]
        if changed:
            _apply(path, name, changed)
        _remove_old_generations(path, keep={name, previous})
    seconds = time.perf_counter() - t0
    total = sum(counts.values())
    return {
        "generation": name,
        "counts": counts,
        "documents": total,
        "seconds": seconds,
        "docs_per_second": total / seconds if seconds else 0.0,
    }


def _remove_old_generations(root: Path, keep: set[str | None]) -> None:
    # The previous generation stays for readers that still have it open.
    for child in root.iterdir():
        if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


@dataclass
class CheckReport:
    missing: list[tuple[str, int]] = field(default_factory=list)  # published, not indexed
    extra: list[tuple[str, int]] = field(default_factory=list)  # indexed, not published
    stale: list[tuple[str, int]] = field(default_factory=list)  # indexed content differs

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)

    def lines(self) -> list[str]:
        out = [f"missing {kind} {i}" for kind, i in self.missing]
        out += [f"extra {kind} {i}" for kind, i in self.extra]
        out += [f"stale {kind} {i}" for kind, i in self.stale]
        return out


def check(root: str | Path | None = None) -> CheckReport:
    """Compare the live index with the published listings in the database."""
    path = index_root(root)
    report = CheckReport()
    for kind in KINDS:
        ix = open_index(path, kind)
        with ix.searcher() as searcher:
            indexed = {
                int(fields["id"]): fields.get("updated") for fields in searcher.all_stored_fields()
            }
        ix.close()
        seen: set[int] = set()
        for doc in _documents(kind):
            listing_id = int(doc["id"])
            seen.add(listing_id)
            if listing_id not in indexed:
                report.missing.append((kind, listing_id))
            elif indexed[listing_id] != doc["updated"]:
                report.stale.append((kind, listing_id))
        report.extra.extend((kind, i) for i in sorted(set(indexed) - seen))
    return report


# -- searchers for web processes -------------------------------------------------------------------

_local = threading.local()


def get_searcher(kind: str, root: str | Path | None = None) -> Searcher:
    """A searcher on the live index, reopened only when the index changed.

    Per thread (Whoosh searchers are not shared across threads). ``up_to_date()`` is a cheap
    generation check; when it fails a new searcher is opened on the cached index. Whoosh's
    ``refresh()`` is not used: it reuses segment readers by segment id, so deletions committed to
    an existing segment stayed visible. A swapped-in generation opens a new index.
    """
    path = index_root(root)
    cache: dict[tuple[str, str], tuple[str, Index, Searcher]] = _local.__dict__.setdefault(
        "cache", {}
    )
    key = (str(path), kind)
    generation = current_generation(path) or ensure_index(path)
    entry = cache.get(key)
    if entry is not None:
        cached_generation, ix, searcher = entry
        if cached_generation == generation:
            if searcher.up_to_date():
                return searcher
            searcher.close()
            searcher = ix.searcher()
            cache[key] = (generation, ix, searcher)
            return searcher
        searcher.close()
        ix.close()
    ix = open_index(path, kind, generation)
    searcher = ix.searcher()
    cache[key] = (generation, ix, searcher)
    return searcher
